import { describe, expect, it } from "vitest";
import { parseOnnxModel, streamOnnxWeights } from "./read.js";
import { runOnnxModel } from "./run.js";
import { LSTM_CELL_WEIGHTS, buildLstmCellOnnxModel } from "./testing/graph-fixtures.js";
import { randomInput } from "./testing/fixtures.js";

describe("tagWeights through Slice/Concat/Unsqueeze (PyTorch LSTMCell exports)", () => {
  const bytes = buildLstmCellOnnxModel();

  it("is a model onnxruntime runs (the fixture is the real export pattern, not a guess)", async () => {
    const [y] = await runOnnxModel(bytes, [{ name: "x", shape: [1, 3, 3], data: randomInput(3, 9) }]);
    expect(y?.shape).toEqual([1, 3, 2]);
  });

  it("tags the gate-sliced [4H, K] cell weights as LSTM weights (output axis 0) and a row-swapped MatMul weight as dense", async () => {
    const m = await parseOnnxModel(bytes, "lstm-cell.onnx");
    expect(m.tags.get(LSTM_CELL_WEIGHTS.wih)).toEqual({ role: "weight", layer: "lstm", layerKind: "dense", outputAxis: 0, inputAxis: 1 });
    expect(m.tags.get(LSTM_CELL_WEIGHTS.whh)).toEqual({ role: "weight", layer: "lstm", layerKind: "dense", outputAxis: 0, inputAxis: 1 });
    expect(m.tags.get(LSTM_CELL_WEIGHTS.head)).toEqual({ role: "weight", layer: "head", layerKind: "dense", outputAxis: -1, inputAxis: -2 });
    expect(m.tags.get(LSTM_CELL_WEIGHTS.bias)?.role).toBe("bias");
  });

  it("streams the cell weights with their role, so the default selection quantizes them", async () => {
    const m = await parseOnnxModel(bytes, "lstm-cell.onnx");
    const roles: [string, string | undefined][] = [];
    for await (const t of streamOnnxWeights(m)) roles.push([t.name, t.role]);
    expect(roles.filter(([, r]) => r === "weight").map(([n]) => n)).toEqual([LSTM_CELL_WEIGHTS.wih, LSTM_CELL_WEIGHTS.whh, LSTM_CELL_WEIGHTS.head]);
  });
});
