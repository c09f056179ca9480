import { describe, expect, it } from "vitest";
import { createProgress } from "./progress.js";

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, rt: { isTTY, err: (s: string) => void chunks.push(s) } };
}

describe("createProgress", () => {
  it("draws one self-overwriting line on a TTY, once per percent, and clears it", () => {
    const { chunks, rt } = sink(true);
    const p = createProgress(rt);
    for (let i = 0; i <= 1000; i++) p.update("quantize", i, 1000);
    expect(chunks.length).toBe(101);
    expect(chunks[chunks.length - 1]).toBe("\r\x1b[2Kquantize 100% (1000/1000)");
    p.done();
    expect(chunks[chunks.length - 1]).toBe("\r\x1b[2K");
  });
  it("is silent when stderr is not a TTY", () => {
    const { chunks, rt } = sink(false);
    const p = createProgress(rt);
    p.update("x", 1, 2);
    p.done();
    expect(chunks).toEqual([]);
  });
  it("is silent with --json even on a TTY", () => {
    const { chunks, rt } = sink(true);
    const p = createProgress(rt, { json: true });
    p.update("x", 1, 2);
    p.done();
    expect(chunks).toEqual([]);
  });
});
