import { Rng } from "@quantforge/core";
import { encodeModel, laplace, raw, vi } from "./fixtures.js";

const viTyped = (name: string, elemType: number, dims: (number | string)[]) => ({
  name,
  type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) } } },
});
const constant = (output: string, t: Record<string, unknown>) => ({ op_type: "Constant", output: [output], name: `${output}_const`, attribute: [{ name: "value", t, type: 4 }] });

/** Constant-node names of {@link buildConstantOnnxModel} (its weights; it has no initializers). */
export const CONSTANT_WEIGHTS = { convW: "conv2d_0.w_0", convB: "conv2d_0.b_0", fcW: "fc_0.w_0", fcB: "fc_0.b_0", shape: "shape_0" } as const;

/**
 * A paddle2onnx-style model (opset 13 unless given): every weight is a `Constant` node, there are
 * no initializers. x [N, 2, 5, 5] → Conv (W 3×2×3×3 + B, pads 1) → Relu → Reshape [−1, 75] (int64
 * Constant) → MatMul (W 75×4) → Add (b 4) → y [N, 4]. The conv bias Constant stores `float_data`.
 */
export function buildConstantOnnxModel(opts: { seed?: number; opset?: number } = {}): Uint8Array {
  const rng = new Rng(opts.seed ?? 1);
  const node = [
    constant(CONSTANT_WEIGHTS.convW, { dims: [3, 2, 3, 3], data_type: 1, raw_data: raw(laplace(rng, 54, 0.3)) }),
    constant(CONSTANT_WEIGHTS.convB, { dims: [3], data_type: 1, float_data: [...laplace(rng, 3, 0.1)] }),
    {
      name: "conv",
      op_type: "Conv",
      input: ["x", CONSTANT_WEIGHTS.convW, CONSTANT_WEIGHTS.convB],
      output: ["c"],
      attribute: [
        { name: "pads", ints: [1, 1, 1, 1], type: 7 },
        { name: "kernel_shape", ints: [3, 3], type: 7 },
      ],
    },
    { name: "relu", op_type: "Relu", input: ["c"], output: ["r"] },
    constant(CONSTANT_WEIGHTS.shape, { dims: [2], data_type: 7, int64_data: [-1, 75] }),
    { name: "reshape", op_type: "Reshape", input: ["r", CONSTANT_WEIGHTS.shape], output: ["flat"] },
    constant(CONSTANT_WEIGHTS.fcW, { dims: [75, 4], data_type: 1, raw_data: raw(laplace(rng, 300, 0.2)) }),
    { name: "fc", op_type: "MatMul", input: ["flat", CONSTANT_WEIGHTS.fcW], output: ["m"] },
    constant(CONSTANT_WEIGHTS.fcB, { dims: [4], data_type: 1, raw_data: raw(laplace(rng, 4, 0.1)) }),
    { name: "add", op_type: "Add", input: ["m", CONSTANT_WEIGHTS.fcB], output: ["y"] },
  ];
  const opset = opts.opset ?? 13;
  return encodeModel({
    ir_version: 8,
    producer_name: "quantforge-test",
    opset_import: [{ domain: "", version: opset }],
    graph: { name: "paddle-like", node, input: [vi("x", ["N", 2, 5, 5])], output: [vi("y", ["N", 4])] },
  });
}

/**
 * A silero-style model with weights inside `If` branches (opset 13): inputs x [N, 8] (float) and
 * `sr`, a scalar int64 the graph compares with the int64 Constants 16000 and 8000 (`Equal`).
 * `sr == 16000` → then: MatMul(x, W 8×4, a then-branch initializer named "W") + a then-branch
 * Constant bias "b"; else: `If (sr == 8000)` nested → then: MatMul(x, W 8×4, an initializer also
 * named "W") ; else: MatMul(x, main-graph initializer "shared.W"). Every branch is then scaled by
 * the main-graph initializer "gain" [4] (read only inside the subgraphs). Output y [N, 4].
 */
export function buildSubgraphOnnxModel(opts: { seed?: number } = {}): Uint8Array {
  const rng = new Rng(opts.seed ?? 1);
  const w = (n: number, s: number) => raw(laplace(rng, n, s));
  const out = vi("y", ["N", 4]);
  const thenBranch = {
    name: "then16k",
    initializer: [{ name: "W", dims: [8, 4], data_type: 1, raw_data: w(32, 0.4) }],
    node: [
      constant("b", { dims: [4], data_type: 1, raw_data: w(4, 0.2) }),
      { name: "mm16", op_type: "MatMul", input: ["x", "W"], output: ["m16"] },
      { name: "add16", op_type: "Add", input: ["m16", "b"], output: ["a16"] },
      { name: "gain16", op_type: "Mul", input: ["a16", "gain"], output: ["y16"] },
    ],
    output: [vi("y16", ["N", 4])],
  };
  const then8k = {
    name: "then8k",
    initializer: [{ name: "W", dims: [8, 4], data_type: 1, raw_data: w(32, 0.4) }],
    node: [
      { name: "mm8", op_type: "MatMul", input: ["x", "W"], output: ["m8"] },
      { name: "gain8", op_type: "Mul", input: ["m8", "gain"], output: ["y8"] },
    ],
    output: [vi("y8", ["N", 4])],
  };
  const elseOther = {
    name: "other",
    node: [
      { name: "mmo", op_type: "MatMul", input: ["x", "shared.W"], output: ["mo"] },
      { name: "gaino", op_type: "Mul", input: ["mo", "gain"], output: ["yo"] },
    ],
    output: [vi("yo", ["N", 4])],
  };
  const else16k = {
    name: "else16k",
    node: [
      constant("eight_k", { dims: [], data_type: 7, int64_data: [8000] }),
      { name: "is8k", op_type: "Equal", input: ["sr", "eight_k"], output: ["c8"] },
      {
        name: "if8k",
        op_type: "If",
        input: ["c8"],
        output: ["ye"],
        attribute: [
          { name: "then_branch", g: then8k, type: 5 },
          { name: "else_branch", g: elseOther, type: 5 },
        ],
      },
    ],
    output: [vi("ye", ["N", 4])],
  };
  return encodeModel({
    ir_version: 8,
    producer_name: "quantforge-test",
    opset_import: [{ domain: "", version: 13 }],
    graph: {
      name: "silero-like",
      initializer: [
        { name: "gain", dims: [4], data_type: 1, raw_data: raw(Float32Array.of(1, -0.5, 2, 0.75)) },
        { name: "shared.W", dims: [8, 4], data_type: 1, raw_data: w(32, 0.4) },
      ],
      node: [
        constant("sixteen_k", { dims: [], data_type: 7, int64_data: [16000] }),
        { name: "is16k", op_type: "Equal", input: ["sr", "sixteen_k"], output: ["c16"] },
        {
          name: "If_0",
          op_type: "If",
          input: ["c16"],
          output: ["y"],
          attribute: [
            { name: "then_branch", g: thenBranch, type: 5 },
            { name: "else_branch", g: else16k, type: 5 },
          ],
        },
      ],
      input: [vi("x", ["N", 8]), viTyped("sr", 7, [])],
      output: [out],
    },
  });
}

/**
 * A recurrent-state-style model whose batch is not first on every tensor (opset 13): inputs
 * x [N, 3] (float), h [2, N, 3] (float, the batch on axis 1, as silero VAD's state) and m [N, 3]
 * (bool); outputs y = x · w · float(m) [N, 3] (w: the float initializer "w" [3]) and
 * hn = h + x [2, N, 3] (batch on axis 1).
 */
export function buildStateOnnxModel(): Uint8Array {
  return encodeModel({
    ir_version: 8,
    producer_name: "quantforge-test",
    opset_import: [{ domain: "", version: 13 }],
    graph: {
      name: "state-like",
      initializer: [{ name: "w", dims: [3], data_type: 1, raw_data: raw(Float32Array.of(0.5, -1.25, 2)) }],
      node: [
        { name: "cast", op_type: "Cast", input: ["m"], output: ["mf"], attribute: [{ name: "to", i: 1, type: 2 }] },
        { name: "xw", op_type: "Mul", input: ["x", "w"], output: ["xw"] },
        { name: "ym", op_type: "Mul", input: ["xw", "mf"], output: ["y"] },
        { name: "hn", op_type: "Add", input: ["h", "x"], output: ["hn"] },
      ],
      input: [vi("x", ["N", 3]), vi("h", [2, "N", 3]), viTyped("m", 9, ["N", 3])],
      output: [vi("y", ["N", 3]), vi("hn", [2, "N", 3])],
    },
  });
}

/** Initializer names of {@link buildLstmCellOnnxModel}. */
export const LSTM_CELL_WEIGHTS = { wih: "rnn.weight_ih", whh: "rnn.weight_hh", head: "head.weight", bias: "rnn.bias" } as const;

/**
 * A PyTorch-LSTMCell-style export (opset 13): the cell's weights are stored as [4H, K] and
 * [4H, H] (H = 2, K = 3), cut into gates by Slice, re-joined in ONNX gate order by Concat and
 * lifted to [1, 4H, ·] by Unsqueeze before LSTM reads them; the head [2, 2] reaches MatMul
 * with its rows swapped by Slice → Concat. x [1, N, 3] → LSTM (bias [1, 16]) → Y_h [1, N, 2] → MatMul → y [1, N, 2].
 */
export function buildLstmCellOnnxModel(opts: { seed?: number } = {}): Uint8Array {
  const rng = new Rng(opts.seed ?? 5);
  const H = 2;
  const i64 = (name: string, v: number[]) => ({ name, dims: [v.length], data_type: 7, int64_data: v });
  // PyTorch gate order i, f, g, o → ONNX i, o, f, c: rows [0, H), [3H, 4H), [H, 3H).
  const gates = (w: string) => [
    { name: `${w}_s0`, op_type: "Slice", input: [w, "s0", "e0", "ax0"], output: [`${w}_i`] },
    { name: `${w}_s1`, op_type: "Slice", input: [w, "s1", "e1", "ax0"], output: [`${w}_o`] },
    { name: `${w}_s2`, op_type: "Slice", input: [w, "s2", "e2", "ax0"], output: [`${w}_fc`] },
    { name: `${w}_cat`, op_type: "Concat", input: [`${w}_i`, `${w}_o`, `${w}_fc`], output: [`${w}_ioc`], attribute: [{ name: "axis", i: 0, type: 2 }] },
    { name: `${w}_unsq`, op_type: "Unsqueeze", input: [`${w}_ioc`, "ax0"], output: [`${w}_3d`] },
  ];
  return encodeModel({
    ir_version: 8,
    producer_name: "quantforge-test",
    opset_import: [{ domain: "", version: 13 }],
    graph: {
      name: "lstm-cell",
      initializer: [
        { name: LSTM_CELL_WEIGHTS.wih, dims: [4 * H, 3], data_type: 1, raw_data: raw(laplace(rng, 4 * H * 3, 0.5)) },
        { name: LSTM_CELL_WEIGHTS.whh, dims: [4 * H, H], data_type: 1, raw_data: raw(laplace(rng, 4 * H * H, 0.5)) },
        { name: LSTM_CELL_WEIGHTS.bias, dims: [1, 8 * H], data_type: 1, raw_data: raw(laplace(rng, 8 * H, 0.1)) },
        { name: LSTM_CELL_WEIGHTS.head, dims: [H, 2], data_type: 1, raw_data: raw(laplace(rng, 2 * H, 0.5)) },
        ...[i64("s0", [0]), i64("e0", [H]), i64("s1", [3 * H]), i64("e1", [4 * H]), i64("s2", [H]), i64("e2", [3 * H]), i64("ax0", [0]), i64("r1", [1]), i64("r2", [2])],
      ],
      node: [
        ...gates(LSTM_CELL_WEIGHTS.wih),
        ...gates(LSTM_CELL_WEIGHTS.whh),
        { name: "lstm", op_type: "LSTM", input: ["x", `${LSTM_CELL_WEIGHTS.wih}_3d`, `${LSTM_CELL_WEIGHTS.whh}_3d`, LSTM_CELL_WEIGHTS.bias], output: ["", "h"], attribute: [{ name: "hidden_size", i: H, type: 2 }] },
        { name: "head_a", op_type: "Slice", input: [LSTM_CELL_WEIGHTS.head, "s0", "r1", "ax0"], output: ["head_top"] },
        { name: "head_b", op_type: "Slice", input: [LSTM_CELL_WEIGHTS.head, "r1", "r2", "ax0"], output: ["head_bot"] },
        { name: "head_cat", op_type: "Concat", input: ["head_bot", "head_top"], output: ["head_w"], attribute: [{ name: "axis", i: 0, type: 2 }] },
        { name: "head", op_type: "MatMul", input: ["h", "head_w"], output: ["y"] },
      ],
      input: [vi("x", [1, "N", 3])],
      output: [vi("y", [1, "N", H])],
    },
  });
}
