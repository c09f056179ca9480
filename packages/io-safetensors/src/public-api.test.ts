import { expect, it } from "vitest";

it("pins the public API", async () => {
  expect(Object.keys(await import("./index.js")).sort()).toEqual([
    "SAFETENSORS_DTYPE_BYTES",
    "SAFETENSORS_MAX_HEADER_BYTES",
    "bfloat16BitsToFloat32",
    "createSafetensorsWriter",
    "decodeBfloat16",
    "decodeFloat16",
    "decodeFloat64",
    "encodeSafetensorsHeader",
    "float16BitsToFloat32",
    "loadSafetensors",
    "readSafetensorsHeader",
    "readTensor",
    "readTensorChunks",
    "saveSafetensors",
    "streamSafetensors",
  ]);
});
