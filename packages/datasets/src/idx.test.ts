import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeIdx, loadIdx, parseIdx } from "./idx.js";

function images(n: number, rows = 4, cols = 3): Uint8Array {
  const d = new Uint8Array(n * rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = (i * 37) % 256;
  return encodeIdx([n, rows, cols], d);
}
function labels(n: number, max = 10): Uint8Array {
  const d = new Uint8Array(n);
  for (let i = 0; i < n; i++) d[i] = i % max;
  return encodeIdx([n], d);
}
function writeSet(files: Record<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), "qf-idx-"));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}
const good = () => ({
  "train-images-idx3-ubyte": images(5),
  "train-labels-idx1-ubyte": labels(5),
  "t10k-images-idx3-ubyte": images(3),
  "t10k-labels-idx1-ubyte": labels(3),
});

describe("loadIdx", () => {
  it("reads raw files, scales pixels to [0,1] and keeps labels", () => {
    const { train, test } = loadIdx(writeSet(good()));
    expect(train.count).toBe(5);
    expect(test.count).toBe(3);
    expect(train.sampleShape).toEqual([4, 3, 1]);
    expect(train.inputs[1]).toBeCloseTo(37 / 255, 7);
    expect([...test.labels]).toEqual([0, 1, 2]);
  });
  it("reads .gz files and the dotted spelling", () => {
    const g = good();
    const { train, test } = loadIdx(
      writeSet({
        "train-images-idx3-ubyte.gz": gzipSync(g["train-images-idx3-ubyte"]),
        "train-labels-idx1-ubyte.gz": gzipSync(g["train-labels-idx1-ubyte"]),
        "t10k-images.idx3-ubyte": g["t10k-images-idx3-ubyte"],
        "t10k-labels.idx1-ubyte": g["t10k-labels-idx1-ubyte"],
      }),
    );
    expect(train.count).toBe(5);
    expect(test.count).toBe(3);
    expect(train.inputs[2]).toBeCloseTo(74 / 255, 7);
  });
  it("rejects a wrong magic number", () => {
    const bad = images(5);
    bad[0] = 0x12;
    expect(() => loadIdx(writeSet({ ...good(), "train-images-idx3-ubyte": bad }))).toThrow(expect.objectContaining({ code: "QF_FORMAT", message: expect.stringMatching(/magic number 0x12000803/) }));
    const swapped = { ...good(), "train-images-idx3-ubyte": labels(5) };
    expect(() => loadIdx(writeSet(swapped))).toThrow(expect.objectContaining({ code: "QF_FORMAT", message: expect.stringMatching(/expected 0x00000803/) }));
    const float = images(5);
    float[2] = 0x0d;
    expect(() => loadIdx(writeSet({ ...good(), "train-images-idx3-ubyte": float }))).toThrow(expect.objectContaining({ code: "QF_FORMAT", message: expect.stringMatching(/float32/) }));
  });
  it("rejects truncated files (raw, inside the header and gzip)", () => {
    const full = images(5);
    expect(() => loadIdx(writeSet({ ...good(), "train-images-idx3-ubyte": full.subarray(0, full.length - 1) }))).toThrow(expect.objectContaining({ code: "QF_FORMAT", message: expect.stringMatching(/truncated/) }));
    expect(() => loadIdx(writeSet({ ...good(), "t10k-labels-idx1-ubyte": labels(3).subarray(0, 6) }))).toThrow(expect.objectContaining({ code: "QF_FORMAT", message: expect.stringMatching(/truncated inside its header/) }));
    const gz = gzipSync(full);
    const g = good();
    expect(() =>
      loadIdx(
        writeSet({
          "train-images-idx3-ubyte.gz": gz.subarray(0, gz.length - 10),
          "train-labels-idx1-ubyte": g["train-labels-idx1-ubyte"],
          "t10k-images-idx3-ubyte": g["t10k-images-idx3-ubyte"],
          "t10k-labels-idx1-ubyte": g["t10k-labels-idx1-ubyte"],
        }),
      ),
    ).toThrow(expect.objectContaining({ code: "QF_FORMAT", message: expect.stringMatching(/gzip/) }));
  });
  it("rejects trailing bytes", () => {
    const full = images(5);
    const longer = new Uint8Array(full.length + 3);
    longer.set(full);
    expect(() => parseIdx(longer, "x", 3)).toThrow(expect.objectContaining({ code: "QF_FORMAT", message: expect.stringMatching(/unexpected bytes/) }));
  });
  it("rejects an image/label count mismatch and out-of-range labels", () => {
    expect(() => loadIdx(writeSet({ ...good(), "train-labels-idx1-ubyte": labels(4) }))).toThrow(expect.objectContaining({ code: "QF_FORMAT", message: expect.stringMatching(/5 images but the labels file 4/) }));
    const bad = labels(5);
    bad[bad.length - 1] = 10;
    expect(() => loadIdx(writeSet({ ...good(), "train-labels-idx1-ubyte": bad }))).toThrow(expect.objectContaining({ code: "QF_FORMAT", message: expect.stringMatching(/label 10/) }));
  });
  it("rejects train and test images of different sizes", () => {
    expect(() => loadIdx(writeSet({ ...good(), "t10k-images-idx3-ubyte": images(3, 5, 3) }))).toThrow(expect.objectContaining({ code: "QF_FORMAT" }));
  });
  it("reports a missing file as QF_IO", () => {
    const g = good();
    expect(() => loadIdx(writeSet({ "train-images-idx3-ubyte": g["train-images-idx3-ubyte"] }))).toThrow(expect.objectContaining({ code: "QF_IO" }));
  });
});
