import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_QUEUE_NAME, parseQueueName, parseQueueUrl, probeRedis } from "./url.js";
import { freePort } from "./redis-harness.js";

describe("parseQueueUrl", () => {
  it("reads host, port, db, credentials; shows no password", () => {
    expect(parseQueueUrl("redis://127.0.0.1:6390/3")).toMatchObject({ host: "127.0.0.1", port: 6390, db: 3, tls: false, display: "redis://127.0.0.1:6390/3" });
    expect(parseQueueUrl("redis://cache.lan")).toMatchObject({ host: "cache.lan", port: 6379, db: 0 });
    const t = parseQueueUrl("rediss://u:s%40cret@[::1]:7000/");
    expect(t).toMatchObject({ host: "::1", port: 7000, db: 0, username: "u", password: "s@cret", tls: true });
    expect(t.display).not.toContain("cret");
  });

  it("any host/port/db round-trips", () => {
    fc.assert(
      fc.property(fc.domain(), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 99999 }), (host, port, db) => {
        expect(parseQueueUrl(`redis://${host}:${port}/${db}`)).toMatchObject({ host: new URL(`redis://${host}`).hostname, port, db });
      }),
    );
  });

  it.each(["127.0.0.1:6379", "http://127.0.0.1:6379", "redis://", "redis://h:99999", "redis://h:1/x", "redis://h:1/0?a=b", "not a url", "redis://h/1/2"])("refuses %s with QF_USAGE (exit 2)", (raw) => {
    expect(() => parseQueueUrl(raw)).toThrow(expect.objectContaining({ code: "QF_USAGE", exitCode: 2 }));
  });
});

describe("parseQueueName", () => {
  it("defaults, accepts plain names, refuses ':' and spaces", () => {
    expect(parseQueueName(undefined)).toBe(DEFAULT_QUEUE_NAME);
    expect(parseQueueName("sweep-1.a_b")).toBe("sweep-1.a_b");
    for (const bad of ["a:b", "a b", "", "-x"]) expect(() => parseQueueName(bad)).toThrow(expect.objectContaining({ code: "QF_USAGE" }));
  });
});

describe("probeRedis", () => {
  it("nothing listening → QF_QUEUE naming the URL, within seconds", async () => {
    const port = await freePort();
    const t0 = Date.now();
    await expect(probeRedis(parseQueueUrl(`redis://127.0.0.1:${port}/2`))).rejects.toMatchObject({ code: "QF_QUEUE", exitCode: 2, message: expect.stringContaining(`redis://127.0.0.1:${port}/2`) });
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
