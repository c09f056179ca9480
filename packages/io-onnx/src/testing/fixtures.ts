import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import protobuf from "protobufjs";
import { Rng } from "@quantforge/core";
import { toFloat16Bits } from "@quantforge/core/format";

// A test-only ONNX schema with the messages needed to assemble whole models (ModelProto,
// GraphProto, attributes); field numbers from onnx/onnx.proto.
const SCHEMA = `
syntax = "proto2";
package onnx;
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message TensorProto {
  repeated int64 dims = 1; optional int32 data_type = 2; repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true]; repeated int64 int64_data = 7 [packed = true];
  optional string name = 8; optional bytes raw_data = 9; optional string doc_string = 12;
  repeated StringStringEntryProto external_data = 13; optional int32 data_location = 14;
}
message AttributeProto {
  optional string name = 1; optional float f = 2; optional int64 i = 3; optional bytes s = 4; optional TensorProto t = 5;
  optional GraphProto g = 6; repeated float floats = 7; repeated int64 ints = 8; repeated GraphProto graphs = 11; optional int32 type = 20;
}
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  repeated AttributeProto attribute = 5; optional string doc_string = 6; optional string domain = 7;
}
message TensorShapeProto { message Dimension { optional int64 dim_value = 1; optional string dim_param = 2; } repeated Dimension dim = 1; }
message TypeProto { message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; } optional Tensor tensor_type = 1; }
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; }
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5; optional string doc_string = 10;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13;
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message ModelProto {
  optional int64 ir_version = 1; optional string producer_name = 2; optional string producer_version = 3;
  optional string doc_string = 6; optional GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
`;
const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const ModelProto = root.lookupType("onnx.ModelProto");

/** Encodes a plain-object ModelProto (field names as in onnx.proto; attributes may hold `t` tensors and `g`/`graphs` subgraphs). */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** A fresh temp directory and its cleanup. */
export async function scratch(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "qf-io-onnx-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Seeded Laplacian values. */
export function laplace(rng: Rng, n: number, sigma: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.laplace(sigma);
  return out;
}

/** A float32 array's bytes (raw_data). */
export const raw = (a: Float32Array) => new Uint8Array(a.buffer.slice(0));
/** A float tensor ValueInfoProto object (strings are symbolic dims). */
export const vi = (name: string, dims: (number | string)[]) => ({
  name,
  type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) } } },
});

/** Initializer names of the test model. */
export const ONNX_WEIGHTS = { convW: "conv.weight", convB: "conv.bias", shape: "reshape.shape", gemmB: "fc.weight", gemmC: "fc.bias", gain: "gain.fp16" } as const;

/** IR version for an opset: opset 21 came with IR version 10, so models declaring it need 10. */
const irVersionFor = (opset: number, legacy: boolean) => (opset >= 21 ? 10 : legacy ? 7 : 8);

/**
 * Assembles a small ONNX model (opset 13 unless `opset` says otherwise) with protobufjs:
 * x [N, 2, 5, 5] → Conv (3×2×3×3, pads 1, bias) → Relu → Reshape [−1, 75] (int64 shape in
 * int64_data) → Gemm (B 4×75 with transB, C in float_data) → Relu → Mul by Cast(FLOAT16 gain) → y.
 * Float weights are seeded Laplacian in raw_data. With `listInitializersAsInputs`, the weights
 * also appear in graph.input, as IR version 3 exporters wrote them. Every op in it has the same
 * semantics from opset 13 to 21, so `opset` only changes what the model declares (and its IR
 * version: 10 from opset 21).
 */
export function buildOnnxModel(opts: { seed?: number; listInitializersAsInputs?: boolean; opset?: number } = {}): Uint8Array {
  const rng = new Rng(opts.seed ?? 1);
  const convW = laplace(rng, 3 * 2 * 3 * 3, 0.3);
  const convB = laplace(rng, 3, 0.1);
  const gemmB = laplace(rng, 4 * 75, 0.2);
  const gemmC = laplace(rng, 4, 0.1);
  const gain = Float32Array.of(1, 0.5, -1.25, 2);
  const half = new Uint16Array(gain.length);
  for (let i = 0; i < gain.length; i++) half[i] = toFloat16Bits(gain[i]!);
  const initializer = [
    { name: ONNX_WEIGHTS.convW, dims: [3, 2, 3, 3], data_type: 1, raw_data: raw(convW) },
    { name: ONNX_WEIGHTS.convB, dims: [3], data_type: 1, raw_data: raw(convB), doc_string: "conv bias" },
    { name: ONNX_WEIGHTS.shape, dims: [2], data_type: 7, int64_data: [-1, 75] },
    { name: ONNX_WEIGHTS.gemmB, dims: [4, 75], data_type: 1, raw_data: raw(gemmB) },
    { name: ONNX_WEIGHTS.gemmC, dims: [4], data_type: 1, float_data: [...gemmC] },
    { name: ONNX_WEIGHTS.gain, dims: [4], data_type: 10, raw_data: new Uint8Array(half.buffer) },
  ];
  const node = [
    {
      name: "conv",
      op_type: "Conv",
      input: ["x", ONNX_WEIGHTS.convW, ONNX_WEIGHTS.convB],
      output: ["c"],
      attribute: [
        { name: "pads", ints: [1, 1, 1, 1], type: 7 },
        { name: "kernel_shape", ints: [3, 3], type: 7 },
      ],
    },
    { name: "relu1", op_type: "Relu", input: ["c"], output: ["r"] },
    { name: "reshape", op_type: "Reshape", input: ["r", ONNX_WEIGHTS.shape], output: ["flat"] },
    { name: "fc", op_type: "Gemm", input: ["flat", ONNX_WEIGHTS.gemmB, ONNX_WEIGHTS.gemmC], output: ["g"], attribute: [{ name: "transB", i: 1, type: 2 }] },
    { name: "relu2", op_type: "Relu", input: ["g"], output: ["h"] },
    { name: "cast", op_type: "Cast", input: [ONNX_WEIGHTS.gain], output: ["gain32"], attribute: [{ name: "to", i: 1, type: 2 }] },
    { name: "mul", op_type: "Mul", input: ["h", "gain32"], output: ["y"] },
  ];
  const inputs = [vi("x", ["N", 2, 5, 5])];
  if (opts.listInitializersAsInputs) inputs.push(vi(ONNX_WEIGHTS.convW, [3, 2, 3, 3]), vi(ONNX_WEIGHTS.gemmB, [4, 75]));
  const model = {
    ir_version: irVersionFor(opts.opset ?? 13, opts.listInitializersAsInputs === true),
    producer_name: "quantforge-test",
    producer_version: "1",
    doc_string: "test model",
    opset_import: [{ domain: "", version: opts.opset ?? 13 }],
    metadata_props: [{ key: "origin", value: "hand-assembled" }],
    graph: { name: "g", node, initializer, input: inputs, output: [vi("y", ["N", 4])], value_info: [vi("c", ["N", 3, 5, 5])] },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Initializer names of the MatMul test model. */
export const MATMUL_WEIGHTS = { w1: "mm1.weight", b1: "mm1.bias", w2: "mm2.weight" } as const;
const MATMUL_WEIGHTS_DEFAULT = MATMUL_WEIGHTS;

/**
 * Assembles a two-layer MatMul model (`names` renames its initializers, e.g. to `__proto__`) (opset 21 unless `opset` says otherwise) with protobufjs:
 * x [N, 64] → MatMul (B 64×96) → Add (bias 96) → Relu → MatMul (B 96×32) → y [N, 32]
 * (`dims` [64, 96, 32] by default: input, hidden and output widths).
 * Both MatMul B last dimensions are multiples of 32, so per-group grids with a group size
 * dividing 32 tile them along the last axis (blocked DequantizeLinear, opset ≥ 21).
 */
export function buildMatMulOnnxModel(opts: { seed?: number; opset?: number; names?: Partial<Record<"w1" | "b1" | "w2", string>>; dims?: readonly [number, number, number] } = {}): Uint8Array {
  const rng = new Rng(opts.seed ?? 1);
  const [d0, d1, d2] = opts.dims ?? [64, 96, 32];
  const opset = opts.opset ?? 21;
  const MATMUL_WEIGHTS = { ...MATMUL_WEIGHTS_DEFAULT, ...opts.names };
  const initializer = [
    { name: MATMUL_WEIGHTS.w1, dims: [d0, d1], data_type: 1, raw_data: raw(laplace(rng, d0 * d1, 0.15)) },
    { name: MATMUL_WEIGHTS.b1, dims: [d1], data_type: 1, raw_data: raw(laplace(rng, d1, 0.1)) },
    { name: MATMUL_WEIGHTS.w2, dims: [d1, d2], data_type: 1, raw_data: raw(laplace(rng, d1 * d2, 0.15)) },
  ];
  const node = [
    { name: "mm1", op_type: "MatMul", input: ["x", MATMUL_WEIGHTS.w1], output: ["m1"] },
    { name: "add1", op_type: "Add", input: ["m1", MATMUL_WEIGHTS.b1], output: ["a1"] },
    { name: "relu1", op_type: "Relu", input: ["a1"], output: ["r1"] },
    { name: "mm2", op_type: "MatMul", input: ["r1", MATMUL_WEIGHTS.w2], output: ["y"] },
  ];
  const model = {
    ir_version: irVersionFor(opset, false),
    producer_name: "quantforge-test",
    producer_version: "1",
    opset_import: [{ domain: "", version: opset }],
    graph: { name: "mm", node, initializer, input: [vi("x", ["N", d0])], output: [vi("y", ["N", d2])] },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Writes bytes to `dir/name` and returns the path. */
export async function put(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, bytes);
  return p;
}

/** Seeded uniform [−1, 1) values. */
export function randomInput(seed: number, n: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.float() * 2 - 1;
  return out;
}
