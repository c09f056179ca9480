import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTfjsModelProbe } from "./file-probe.js";
import { resolveModelJson } from "./probe.js";

/** A pre-1.0 tfjs graph model as handtrackjs ships it: a frozen GraphDef beside a bare weights manifest and its shard. */
function legacyModel(withPb: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "qf-legacy-tfjs-"));
  writeFileSync(join(dir, "weights_manifest.json"), JSON.stringify([{ paths: ["group1-shard1of1"], weights: [{ name: "conv/weights", shape: [2, 2], dtype: "float32" }] }]));
  writeFileSync(join(dir, "group1-shard1of1"), new Uint8Array(new Float32Array([1, -2, 3, -4]).buffer));
  if (withPb) writeFileSync(join(dir, "tensorflowjs_model.pb"), Uint8Array.from([0x0a, 0xff, 0xfe]));
  return dir;
}

describe("pre-1.0 tfjs graph models", () => {
  it("running its manifest names the format and points at quantizing the weights", async () => {
    const dir = legacyModel(true);
    await expect(loadTfjsModelProbe(join(dir, "weights_manifest.json"))).rejects.toMatchObject({ code: "QF_USAGE", message: expect.stringMatching(/tensorflowjs_model\.pb" is a pre-1\.0 TensorFlow\.js graph model/) });
    // A bare manifest without the .pb keeps its own message.
    await expect(loadTfjsModelProbe(join(legacyModel(false), "weights_manifest.json"))).rejects.toMatchObject({ code: "QF_USAGE", message: expect.stringMatching(/is a bare weights manifest/) });
  });

  it("its folder (no model.json) is named as that format, not as 'neither a reference model nor a model.json'", () => {
    expect(() => resolveModelJson(legacyModel(true))).toThrow(/pre-1\.0 TensorFlow\.js graph model/);
    expect(() => resolveModelJson(legacyModel(false))).toThrow(/neither a reference model/);
  });
});
