import type { Tensor, Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs";
import { shapeSize, type WeightSet, type WeightTensor } from "@quantforge/core";
import { forwardLogits, paramTensors } from "./forward.js";
import { im2col } from "./im2col-impl.js";
import { padBefore, paramOps, paramShape, type ConvOp, type DenseOp, type MaxPoolOp, type NetSpec } from "./net.js";
import type { Tf } from "./tf.js";

/** Samples per batch of the Hessian pass (each is replicated once per class). */
const HESSIAN_BATCH = 50;

/**
 * The exact diagonal of the Hessian of the average cross-entropy loss over `count` samples,
 * w.r.t. every kernel and bias of the dense and conv layers (hessian-ecsq.md §2).
 *
 * Why exact: in a chain of linear layers, ReLU and max-pool, the logits z are linear in each single
 * weight (the activation pattern is fixed in a neighbourhood), so ∂²z/∂w² = 0 and the Hessian
 * diagonal equals the Gauss–Newton diagonal. With g_a = ∂z_a/∂w and softmax p, per sample
 *   h = Σ_a p_a g_a² − (Σ_a p_a g_a)² = Σ_a p_a (g_a − ḡ)²,  ḡ = Σ_a p_a g_a,
 * the variance form being used because it is non-negative by construction (no cancellation).
 * The label does not enter (∇²_z CE = diag p − p pᵀ).
 *
 * How: one forward pass per batch records every layer's input and p; then one backward pass on
 * C·B cotangent rows e_a − p_n (the activation pattern held fixed: the same linear map autodiff
 * would apply) gives D_a = ∂(z_a − Σ_b p_b z_b)/∂y = G_a − Ḡ at every layer's pre-activation y
 * for all classes at once. Then
 * - dense `W_ij` (input x): g_a − ḡ = x_j·D_ai, so h_ij = mean_n x_nj² · Σ_a p_na D_nai² — one
 *   matmul of x² with Σ_a p_a D_a² (the formula `x_j² · [Σ_a p_a G_ai² − (Σ_a p_a G_ai)²]`);
 * - conv `W[kh,kw,ci,co]`: g_a − ḡ = Σ_pos patch[pos, (kh,kw,ci)] · D_a[pos, co] (the per-sample
 *   filter gradient, computed exactly as a batched matmul of the im2col patches with D_a), then
 *   h = mean_n Σ_a p_na (g_a − ḡ)² — exact, no estimator;
 * - biases: the same with x ≡ 1 (dense) or the sum over positions (conv).
 */
export async function exactHessianDiagonal(tf: Tf, spec: NetSpec, weights: WeightSet, inputs: Float32Array, count: number): Promise<WeightSet> {
  const per = shapeSize(spec.inputShape);
  const C = spec.classes;
  const layers = paramOps(spec);
  const acc = new Map<string, Float64Array>();
  for (const { op } of layers) {
    acc.set(op.kernel, new Float64Array(shapeSize(paramShape(op, "kernel"))));
    if (op.bias) acc.set(op.bias, new Float64Array(paramShape(op, "bias")[0]!));
  }
  const params = paramTensors(tf, spec, weights);
  try {
    for (let s = 0; s < count; s += HESSIAN_BATCH) {
      const B = Math.min(HESSIAN_BATCH, count - s);
      const x = tf.tensor(inputs.subarray(s * per, (s + B) * per), [B, ...spec.inputShape], "float32");
      // One forward pass records every op's input and the logits; p = softmax(logits).
      const rec = recordForward(tf, spec, params, x);
      const p = tf.tidy(() => tf.softmax(rec.logits as Tensor2D));
      const pData = (await p.data()) as Float32Array;
      // Rows a·B + n: sample n, class a; cotangent row e_a − p_n.
      const wRows = new Float32Array(C * B * C);
      for (let a = 0; a < C; a++) {
        for (let n = 0; n < B; n++) {
          const r = (a * B + n) * C;
          for (let b = 0; b < C; b++) wRows[r + b] = (a === b ? 1 : 0) - pData[n * C + b]!;
        }
      }
      const D = backwardDeviations(tf, spec, params, rec.inputs, wRows, B);
      const layerIn = rec.inputs;
      // pa[a·B + n] = p_na: the weight of each replica row.
      const pa = new Float32Array(C * B);
      for (let a = 0; a < C; a++) for (let n = 0; n < B; n++) pa[a * B + n] = pData[n * C + a]!;
      const paT = tf.tensor1d(pa);
      for (let k = 0; k < layers.length; k++) {
        const { op, index } = layers[k]!;
        const xin = layerIn.get(index)!;
        const Dk = D.get(index)!;
        if (op.kind === "dense") await accumulateDense(tf, op, xin, Dk, paT, B, C, acc);
        else await accumulateConv(tf, op, spec.shapes[index]!, xin, Dk, pData, B, C, acc);
      }
      paT.dispose();
      p.dispose();
      x.dispose();
      rec.logits.dispose();
      for (const t of D.values()) t.dispose();
      for (const t of layerIn.values()) t.dispose();
    }
  } finally {
    for (const t of params.values()) t.dispose();
  }
  const byName = new Map(weights.map((t) => [t.name, t]));
  const out: WeightTensor[] = [];
  for (const { op } of layers) {
    for (const name of [op.kernel, op.bias]) {
      if (!name) continue;
      const sum = acc.get(name)!;
      const h = new Float32Array(sum.length);
      for (let i = 0; i < sum.length; i++) h[i] = sum[i]! / count;
      const src = byName.get(name)!;
      out.push({ name, shape: [...src.shape], data: h, ...(src.role ? { role: src.role } : {}), ...(src.layer ? { layer: src.layer } : {}), ...(src.layerKind ? { layerKind: src.layerKind } : {}) });
    }
  }
  return out;
}

/**
 * Runs the chain once on `x` [B, …], keeping the input of every op (kept tensors, disposed by
 * the caller) and the logits. Same ops as `forwardLogits`.
 */
export function recordForward(tf: Tf, spec: NetSpec, params: ReadonlyMap<string, Tensor>, x: Tensor): { inputs: Map<number, Tensor>; logits: Tensor } {
  const inputs = new Map<number, Tensor>();
  const logits = tf.tidy(() =>
    forwardLogits(tf, spec, params, x, {
      onOp: (i, input) => {
        inputs.set(i, tf.keep(input.clone()));
      },
    }),
  );
  return { inputs, logits };
}

/**
 * Vector–Jacobian products of the logits for R = C·B cotangent rows (row a·B + n is e_a − p_n
 * for sample n) back through the chain, with the activation pattern of the recorded forward
 * pass held fixed — exactly what autodiff computes, but without running the forward pass C times
 * (the network is piecewise linear, so the backward pass is a fixed linear map per sample).
 * Returns D_i = ∂(z_a − Σ_b p_b z_b)/∂y_i, [R, …out], for the pre-activation y_i of every dense
 * and conv op i. Per-sample masks (ReLU signs) are broadcast over the C replicas; max-pool routes
 * through tfjs's own max-pool gradient on the recorded input.
 */
export function backwardDeviations(tf: Tf, spec: NetSpec, params: ReadonlyMap<string, Tensor>, inputs: ReadonlyMap<number, Tensor>, wRows: Float32Array, B: number): Map<number, Tensor> {
  const C = spec.classes;
  const R = C * B;
  const first = paramOps(spec)[0]!.index;
  const out = new Map<number, Tensor>();
  let g: Tensor = tf.tensor2d(wRows, [R, C]);
  // Multiplies [R, …] rows by a per-sample [B, …] factor, the same for every class replica.
  const perSample = (t: Tensor, f: Tensor) => tf.reshape(tf.mul(tf.reshape(t, [C, ...f.shape]), f), t.shape);
  for (let i = spec.ops.length - 1; i >= first; i--) {
    const op = spec.ops[i]!;
    const xin = inputs.get(i)!;
    const next = tf.tidy(() => {
      if (op.kind === "dense" || op.kind === "conv2d") {
        let D = g;
        if (op.activation === "relu") {
          // ReLU'(y) from the recorded pre-activation y (recomputed once, on B rows).
          const w = params.get(op.kernel)!;
          let y = op.kind === "dense" ? tf.matMul(xin, w) : tf.conv2d(xin as Tensor4D, w as Tensor4D, [op.strides[0], op.strides[1]], op.padding);
          if (op.bias) y = tf.add(y, params.get(op.bias)!);
          D = perSample(g, tf.cast(tf.greater(y, 0), "float32"));
        }
        out.set(i, tf.keep(D));
        if (i === first) return D;
        const w = params.get(op.kernel)!;
        return op.kind === "dense" ? tf.matMul(D, w, false, true) : convInputGrad(tf, op, D as Tensor4D, w as Tensor4D, spec.shapes[i]!, R);
      }
      if (op.kind === "maxPool") return maxPoolInputGrad(tf, op, g as Tensor4D, xin as Tensor4D, C);
      if (op.kind === "reshape") return tf.reshape(g, [R, ...spec.shapes[i]!]);
      return op.activation === "relu" ? perSample(g, tf.cast(tf.greater(xin, 0), "float32")) : tf.clone(g);
    });
    if (!out.has(i) || out.get(i) !== g) g.dispose();
    g = next;
  }
  if (![...out.values()].includes(g)) g.dispose();
  return out;
}

/**
 * ∂/∂x of a convolution for R cotangent rows. For stride 1 it is the "full" correlation of the
 * zero-padded cotangent with the kernel flipped in space and transposed in channels:
 * dx[i] = Σ_m dy[i + m − (K−1−pt)] · W[K−1−m] — a forward conv2d, which XNNPACK runs ~4× faster
 * than the WASM backend's Conv2DBackpropInput (measured, LeNet conv2 on 500 rows: 0.22 s vs
 * 0.93 s). Other strides use conv2dTranspose.
 */
function convInputGrad(tf: Tf, op: ConvOp, D: Tensor4D, w: Tensor4D, inShape: readonly number[], R: number): Tensor {
  const [H, W] = inShape as [number, number, number];
  if (op.strides[0] !== 1 || op.strides[1] !== 1) {
    return tf.conv2dTranspose(D, w, [R, ...inShape] as [number, number, number, number], [op.strides[0], op.strides[1]], op.padding);
  }
  const [KH, KW] = op.kernelSize;
  const OH = D.shape[1];
  const OW = D.shape[2];
  const pt = padBefore(H, KH, 1, op.padding);
  const pl = padBefore(W, KW, 1, op.padding);
  const padded = tf.pad(D, [
    [0, 0],
    [KH - 1 - pt, H - OH + pt],
    [KW - 1 - pl, W - OW + pl],
    [0, 0],
  ]);
  const flipped = tf.transpose<Tensor4D>(tf.reverse(w, [0, 1]), [0, 1, 3, 2]);
  return tf.conv2d(padded, flipped, 1, "valid");
}

/**
 * ∂/∂x of a max-pool for R = C·B cotangent rows, routed through the maxima of the recorded input
 * `xin` [B, …]. For non-overlapping windows that tile the input (stride = pool size, 'valid',
 * sizes divisible) the route is the first-maximum indicator M (tfjs's MaxPoolGrad of ones on B
 * rows: the same tie rule as autodiff), applied by a broadcast multiply over the C replicas;
 * otherwise tfjs's MaxPoolGrad runs on the input tiled C times.
 */
function maxPoolInputGrad(tf: Tf, op: MaxPoolOp, g: Tensor4D, xin: Tensor4D, C: number): Tensor {
  const [B, H, W, Ch] = xin.shape;
  const [ph, pw] = op.poolSize;
  const pool = (z: Tensor) => tf.maxPool(z as Tensor4D, [ph, pw], [op.strides[0], op.strides[1]], op.padding);
  if (op.strides[0] === ph && op.strides[1] === pw && op.padding === "valid" && H % ph === 0 && W % pw === 0) {
    const M = tf.grad((z: Tensor) => tf.sum(pool(z)))(xin);
    const h = H / ph;
    const w = W / pw;
    const routed = tf.mul(tf.reshape(g, [C, B * h, 1, w, 1, Ch]), tf.reshape(M, [1, B * h, ph, w, pw, Ch]));
    return tf.reshape(routed, [C * B, H, W, Ch]);
  }
  const xt = tf.tile(xin, [C, 1, 1, 1]);
  return tf.grad((z: Tensor) => tf.sum(tf.mul(pool(z), g)))(xt);
}

async function addInto(acc: Float64Array, t: Tensor): Promise<void> {
  const d = (await t.data()) as Float32Array;
  for (let i = 0; i < d.length; i++) acc[i]! += d[i]!;
  t.dispose();
}

async function accumulateDense(tf: Tf, op: DenseOp, xin: Tensor, D: Tensor, paT: Tensor, B: number, C: number, acc: Map<string, Float64Array>): Promise<void> {
  // S[n, i] = Σ_a p_na D_nai²  (D rows are a·B + n).
  const S = tf.tidy(() => tf.sum<Tensor2D>(tf.reshape(tf.mul(tf.square(D), tf.reshape(paT, [C * B, 1])), [C, B, op.units]), 0));
  const hk = tf.tidy(() => tf.matMul(tf.square(xin as Tensor2D), S, true, false));
  await addInto(acc.get(op.kernel)!, hk);
  if (op.bias) await addInto(acc.get(op.bias)!, tf.sum(S, 0));
  S.dispose();
}

async function accumulateConv(tf: Tf, op: ConvOp, inShape: readonly number[], xin: Tensor, D: Tensor, pData: Float32Array, B: number, C: number, acc: Map<string, Float64Array>): Promise<void> {
  const [H, W, Cin] = inShape as [number, number, number];
  const g = { height: H, width: W, channels: Cin, kernelSize: op.kernelSize, strides: op.strides, padding: op.padding };
  const patches = im2col((await xin.data()) as Float32Array, B, g);
  const K = op.kernelSize[0] * op.kernelSize[1] * Cin;
  const P = patches.length / (B * K);
  const Co = op.filters;
  // pw[n, a] = p_na as a [B, 1, C, 1] weight.
  const pw = new Float32Array(B * C);
  for (let n = 0; n < B; n++) for (let a = 0; a < C; a++) pw[n * C + a] = pData[n * C + a]!;
  const [gk, gb] = tf.tidy(() => {
    const pt = tf.tensor3d(patches, [B, P, K]);
    // D rows are a·B + n; regroup to [B, P, C·Co] so one batched matmul gives every class's
    // per-sample filter-gradient deviation (fewer, larger kernels than one matmul per class).
    const Dn: Tensor3D = tf.reshape(tf.transpose(tf.reshape(D, [C, B, P, Co]), [1, 2, 0, 3]), [B, P, C * Co]);
    const w = tf.tensor4d(pw, [B, 1, C, 1]);
    const dk = tf.reshape(tf.matMul(pt, Dn, true, false), [B, K, C, Co]);
    const wk = tf.sum(tf.mul(tf.square(dk), w), [0, 2]);
    const db = tf.reshape(tf.sum(Dn, 1), [B, C, Co]);
    const wb = tf.sum(tf.mul(tf.square(db), tf.reshape(w, [B, C, 1])), [0, 1]);
    return [wk, wb];
  });
  await addInto(acc.get(op.kernel)!, gk);
  if (op.bias) await addInto(acc.get(op.bias)!, gb);
  else gb.dispose();
}
