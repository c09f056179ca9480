import { describe, expect, it } from "vitest";
import { cacheDir, integrityOf, tarballName, verifyIntegrity } from "./fetch.js";

describe("fetch helpers", () => {
  it("names tarballs as npm pack does", () => {
    expect(tarballName("@vladmandic/human", "3.3.6")).toBe("vladmandic-human-3.3.6.tgz");
    expect(tarballName("openwakeword-js", "0.1.27")).toBe("openwakeword-js-0.1.27.tgz");
  });
  it("verifies sha512 integrity and rejects any other bytes or malformed pins", () => {
    const bytes = new TextEncoder().encode("model bytes");
    const pin = integrityOf(bytes);
    expect(verifyIntegrity(bytes, pin)).toBe(true);
    expect(verifyIntegrity(new TextEncoder().encode("model bytez"), pin)).toBe(false);
    expect(verifyIntegrity(bytes, "md5-abc")).toBe(false);
    expect(verifyIntegrity(bytes, "")).toBe(false);
  });
  it("takes the cache from the flag, then QF_CORPUS_CACHE", () => {
    expect(cacheDir("/x", { QF_CORPUS_CACHE: "/y" })).toBe("/x");
    expect(cacheDir(undefined, { QF_CORPUS_CACHE: "/y" })).toBe("/y");
    expect(cacheDir(undefined, {})).toMatch(/\.cache\/qf-corpus$/);
  });
});
