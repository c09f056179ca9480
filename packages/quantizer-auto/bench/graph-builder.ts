/**
 * A small GraphDef builder that writes TensorFlow.js graph models (model.json + one weight shard)
 * the way tfjs-converter does: a `graph-model` with a GraphDef JSON topology (`node[]` with `op`,
 * `input`, `attr` in protobuf-JSON form: strings base64, ints as strings, lists as `{list: {i|s}}`),
 * weights as `Const` nodes listed in one `weightsManifest` group, fused ops (`_FusedConv2D`,
 * `FusedDepthwiseConv2dNative`, `_FusedMatMul` with `fused_ops`/`num_args`) and a `signature`
 * naming the inputs and outputs. Every output is an `Identity` node named after its signature key,
 * so the node name (what tfjs's `GraphModel.outputs` lists) and the signature key agree.
 */

/** A float32 or int32 constant. */
export interface ConstSpec {
  readonly name: string;
  readonly shape: readonly number[];
  data: Float32Array | Int32Array;
}

interface NodeDef {
  readonly name: string;
  readonly op: string;
  readonly input: string[];
  readonly attr: Record<string, unknown>;
}

/** Files of one model: `model.json` and its shard, keyed by file name. */
export type ModelFiles = ReadonlyMap<string, Uint8Array>;

/** The shard file name tfjs-converter gives a single-shard model. */
export const SHARD_FILE = "group1-shard1of1.bin";

const b64 = (s: string): string => Buffer.from(s).toString("base64");
const dims = (shape: readonly number[]): { dim?: { size: string }[] } => (shape.length === 0 ? {} : { dim: shape.map((d) => ({ size: String(d) })) });
const FLOAT = { type: "DT_FLOAT" };
const INT32 = { type: "DT_INT32" };
const ints = (v: readonly number[]) => ({ list: { i: v.map(String) } });

/** Activation fused into a conv/matmul (tfjs-converter's `fused_ops` second entry). */
export type Activation = "Relu" | "Relu6" | undefined;

/** Options of a convolution node. */
export interface ConvOptions {
  /** Bias added by the fused op; none → a plain `Conv2D`/`DepthwiseConv2dNative`. */
  readonly bias?: Float32Array;
  readonly activation?: Activation;
  readonly stride?: number;
  readonly padding?: "SAME" | "VALID";
  /** A depthwise convolution (`FusedDepthwiseConv2dNative`), filter `[kh, kw, c, 1]`. */
  readonly depthwise?: boolean;
}

/** Builds one graph model. Names are node names; tensors are referenced as `node` or `node:k`. */
export class GraphBuilder {
  private readonly nodes: NodeDef[] = [];
  private readonly consts: ConstSpec[] = [];
  private readonly inputs: { name: string; shape: number[] }[] = [];
  private readonly outputs: { name: string; shape: number[] }[] = [];

  /** A float32 `Placeholder` of shape `[-1, ...sample]`. */
  input(name: string, sample: readonly number[]): string {
    const shape = [-1, ...sample];
    this.nodes.push({ name, op: "Placeholder", input: [], attr: { dtype: FLOAT, shape: { shape: dims(shape) } } });
    this.inputs.push({ name, shape });
    return name;
  }

  /** A weight constant (float32 or int32 by the array type); listed in the manifest in call order. */
  constant(name: string, data: Float32Array | Int32Array, shape: readonly number[]): string {
    if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`constant ${name}: ${data.length} values for shape [${shape.join(", ")}]`);
    const dt = data instanceof Int32Array ? "DT_INT32" : "DT_FLOAT";
    this.nodes.push({ name, op: "Const", input: [], attr: { dtype: { type: dt }, value: { tensor: { dtype: dt, tensorShape: dims(shape) } } } });
    this.consts.push({ name, shape: [...shape], data });
    return name;
  }

  /** Replaces a constant's values (e.g. batch-norm statistics measured on the built graph). */
  setConstant(name: string, data: Float32Array): void {
    const c = this.consts.find((k) => k.name === name);
    if (!c || c.data.length !== data.length) throw new Error(`setConstant ${name}: no such constant of ${data.length} values`);
    c.data = data;
  }

  /** A raw node. */
  op(name: string, op: string, input: string[], attr: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input, attr });
    return name;
  }

  /**
   * A 2-D convolution with NHWC data: `_FusedConv2D`/`FusedDepthwiseConv2dNative` with
   * `fused_ops` [BiasAdd(, activation)] when a bias is given (tfjs-converter folds BiasAdd and the
   * activation into the conv), else a plain `Conv2D`/`DepthwiseConv2dNative`.
   */
  conv(layer: string, x: string, filter: Float32Array, shape: readonly [number, number, number, number], o: ConvOptions = {}): string {
    const w = this.constant(`${layer}/weights`, filter, shape);
    const s = o.stride ?? 1;
    const common = {
      T: FLOAT,
      strides: ints([1, s, s, 1]),
      padding: { s: b64(o.padding ?? "SAME") },
      data_format: { s: b64("NHWC") },
      dilations: ints([1, 1, 1, 1]),
      explicit_paddings: { list: {} },
    };
    if (!o.bias) {
      return this.op(`${layer}/${o.depthwise ? "depthwise" : "Conv2D"}`, o.depthwise ? "DepthwiseConv2dNative" : "Conv2D", [x, w], o.depthwise ? common : { ...common, use_cudnn_on_gpu: { b: true } });
    }
    const b = this.constant(`${layer}/bias`, o.bias, [o.bias.length]);
    const fused = ["BiasAdd", ...(o.activation ? [o.activation] : [])];
    return this.op(`${layer}/${o.activation ?? "BiasAdd"}`, o.depthwise ? "FusedDepthwiseConv2dNative" : "_FusedConv2D", [x, w, b], {
      ...common,
      ...(o.depthwise ? {} : { use_cudnn_on_gpu: { b: true }, epsilon: { f: 0 }, leakyrelu_alpha: { f: 0.2 } }),
      num_args: { i: "1" },
      fused_ops: { list: { s: fused.map(b64) } },
    });
  }

  /** A dense layer `x · kernel [in, out]`: `_FusedMatMul` with a bias, else a plain `MatMul`. */
  matmul(layer: string, x: string, kernel: Float32Array, shape: readonly [number, number], o: { bias?: Float32Array; activation?: Activation } = {}): string {
    const w = this.constant(`${layer}/weights`, kernel, shape);
    const common = { T: FLOAT, transpose_a: { b: false }, transpose_b: { b: false } };
    if (!o.bias) return this.op(`${layer}/MatMul`, "MatMul", [x, w], common);
    const b = this.constant(`${layer}/bias`, o.bias, [o.bias.length]);
    const fused = ["BiasAdd", ...(o.activation ? [o.activation] : [])];
    return this.op(`${layer}/${o.activation ?? "BiasAdd"}`, "_FusedMatMul", [x, w, b], {
      ...common,
      num_args: { i: "1" },
      fused_ops: { list: { s: fused.map(b64) } },
      epsilon: { f: 0 },
      leakyrelu_alpha: { f: 0.2 },
    });
  }

  /** An unfolded batch norm (`FusedBatchNormV3`, inference mode) with its four 1-D constants. */
  batchNorm(layer: string, x: string, channels: number, epsilon: number): string {
    const c = (k: string, v: number) => this.constant(`${layer}/${k}`, new Float32Array(channels).fill(v), [channels]);
    const ins = [x, c("gamma", 1), c("beta", 0), c("moving_mean", 0), c("moving_variance", 1)];
    return this.op(`${layer}/FusedBatchNormV3`, "FusedBatchNormV3", ins, {
      T: FLOAT,
      U: FLOAT,
      epsilon: { f: epsilon },
      exponential_avg_factor: { f: 1 },
      data_format: { s: b64("NHWC") },
      is_training: { b: false },
    });
  }

  /** A unary op (`Relu`, `Relu6`, `Sigmoid`, `Softmax`, …). */
  unary(name: string, op: string, x: string): string {
    return this.op(name, op, [x], { T: FLOAT });
  }

  /** Global average pooling over H and W: `Mean` with an int32 axis constant [1, 2]. */
  globalMean(name: string, x: string): string {
    const axes = this.constant(`${name}/reduction_indices`, Int32Array.of(1, 2), [2]);
    return this.op(name, "Mean", [x, axes], { T: FLOAT, Tidx: INT32, keep_dims: { b: false } });
  }

  /** `Reshape` to `shape` (an int32 constant). */
  reshape(name: string, x: string, shape: readonly number[]): string {
    const s = this.constant(`${name}/shape`, Int32Array.from(shape), [shape.length]);
    return this.op(name, "Reshape", [x, s], { T: FLOAT, Tshape: INT32 });
  }

  /** `SplitV` of `x` into `sizes` along `axis`; returns the output tensor names `name:k`. */
  splitV(name: string, x: string, sizes: readonly number[], axis: number): string[] {
    const sz = this.constant(`${name}/size_splits`, Int32Array.from(sizes), [sizes.length]);
    const ax = this.constant(`${name}/split_dim`, Int32Array.of(axis), []);
    this.op(name, "SplitV", [x, sz, ax], { T: FLOAT, Tlen: INT32, num_split: { i: String(sizes.length) } });
    return sizes.map((_, k) => `${name}:${k}`);
  }

  /** Per-channel affine `x · scale + offset` (`Mul`, `AddV2` with 1-D constants): an unfolded batch norm. */
  scaleShift(layer: string, x: string, scale: Float32Array, offset: Float32Array): string {
    const s = this.constant(`${layer}/scale`, scale, [scale.length]);
    const o = this.constant(`${layer}/offset`, offset, [offset.length]);
    const m = this.op(`${layer}/mul`, "Mul", [x, s], { T: FLOAT });
    return this.op(`${layer}/add`, "AddV2", [m, o], { T: FLOAT });
  }

  /** A model output: an `Identity` node named `key` (also its signature key). */
  output(key: string, x: string, sample: readonly number[]): void {
    this.op(key, "Identity", [x], { T: FLOAT });
    this.outputs.push({ name: key, shape: [-1, ...sample] });
  }

  /** model.json and the shard, as tfjs-converter lays them out (one manifest group, one shard). */
  files(meta: { readonly description: string }): ModelFiles {
    const tensorInfo = (v: { name: string; shape: number[] }) => ({ name: `${v.name}:0`, dtype: "DT_FLOAT", tensorShape: dims(v.shape) });
    const json = {
      format: "graph-model",
      generatedBy: "quantforge packages/quantizer-auto/bench/make-graph-models.ts",
      convertedBy: "hand-built GraphDef in tfjs-converter 4.x conventions",
      userDefinedMetadata: { description: meta.description },
      modelTopology: { node: this.nodes, library: {}, versions: { producer: 1482 } },
      signature: {
        inputs: Object.fromEntries(this.inputs.map((v) => [v.name, tensorInfo(v)])),
        outputs: Object.fromEntries(this.outputs.map((v) => [v.name, tensorInfo(v)])),
      },
      weightsManifest: [{ paths: [SHARD_FILE], weights: this.consts.map((c) => ({ name: c.name, shape: c.shape, dtype: c.data instanceof Int32Array ? "int32" : "float32" })) }],
    };
    const total = this.consts.reduce((a, c) => a + c.data.byteLength, 0);
    const shard = new Uint8Array(total);
    let o = 0;
    for (const c of this.consts) {
      shard.set(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength), o);
      o += c.data.byteLength;
    }
    return new Map([
      ["model.json", new TextEncoder().encode(`${JSON.stringify(json, null, 1)}\n`)],
      [SHARD_FILE, shard],
    ]);
  }
}
