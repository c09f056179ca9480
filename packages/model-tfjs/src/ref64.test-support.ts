/**
 * Test support (not exported from the package): a plain-JS float64 forward pass of a
 * {@link NetSpec}, used as an independent reference for the tfjs forward pass, the layer inputs
 * and the Hessian diagonal (central finite differences).
 */
import type { LayersModel } from "@tensorflow/tfjs";
import { padBefore, type NetSpec } from "./net.js";

/** Parameters as float64 arrays by name. */
export type Params64 = Map<string, Float64Array>;

/** Result of {@link ref64Forward}. */
export interface Ref64Result {
  /** Mean cross-entropy over the samples. */
  readonly loss: number;
  /** Softmax probabilities `[count, classes]`. */
  readonly probs: Float64Array;
  /** ReLU signs and max-pool winners: identical patterns mean no kink was crossed. */
  readonly pattern: string;
  /** Input of every dense/conv op, per sample, by op index. */
  readonly inputs: Map<number, Float64Array[]>;
}

/** Runs `spec` in float64 on `count` samples of `x` with `labels`. */
export function ref64Forward(spec: NetSpec, params: Params64, x: Float32Array, labels: Int32Array, count: number): Ref64Result {
  const per = spec.inputShape.reduce((a, b) => a * b, 1);
  const C = spec.classes;
  const probs = new Float64Array(count * C);
  const inputs = new Map<number, Float64Array[]>();
  const pat: number[] = [];
  let loss = 0;
  for (let n = 0; n < count; n++) {
    let h: Float64Array = Float64Array.from(x.subarray(n * per, (n + 1) * per));
    spec.ops.forEach((op, i) => {
      const inShape = spec.shapes[i]!;
      const outShape = spec.shapes[i + 1]!;
      if (op.kind === "dense" || op.kind === "conv2d") {
        if (!inputs.has(i)) inputs.set(i, []);
        inputs.get(i)!.push(h);
      }
      if (op.kind === "dense") {
        const W = params.get(op.kernel)!;
        const b = op.bias ? params.get(op.bias)! : undefined;
        const y = new Float64Array(op.units);
        for (let o = 0; o < op.units; o++) {
          let s = b ? b[o]! : 0;
          for (let j = 0; j < op.inUnits; j++) s += h[j]! * W[j * op.units + o]!;
          y[o] = s;
        }
        h = act(y, op.activation, pat);
      } else if (op.kind === "conv2d") {
        const [H, Wd, Ci] = inShape as [number, number, number];
        const [OH, OW, Co] = outShape as [number, number, number];
        const [KH, KW] = op.kernelSize;
        const [SH, SW] = op.strides;
        const PT = padBefore(H, KH, SH, op.padding);
        const PL = padBefore(Wd, KW, SW, op.padding);
        const K = params.get(op.kernel)!;
        const b = op.bias ? params.get(op.bias)! : undefined;
        const y = new Float64Array(OH * OW * Co);
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++)
            for (let co = 0; co < Co; co++) {
              let s = b ? b[co]! : 0;
              for (let i2 = 0; i2 < KH; i2++)
                for (let j2 = 0; j2 < KW; j2++) {
                  const ih = oh * SH + i2 - PT;
                  const iw = ow * SW + j2 - PL;
                  if (ih < 0 || ih >= H || iw < 0 || iw >= Wd) continue;
                  for (let ci = 0; ci < Ci; ci++) s += h[(ih * Wd + iw) * Ci + ci]! * K[((i2 * KW + j2) * Ci + ci) * Co + co]!;
                }
              y[(oh * OW + ow) * Co + co] = s;
            }
        h = act(y, op.activation, pat);
      } else if (op.kind === "maxPool") {
        const [H, Wd, Ch] = inShape as [number, number, number];
        const [OH, OW] = outShape as [number, number, number];
        const [PH, PW] = op.poolSize;
        const [SH, SW] = op.strides;
        const PT = padBefore(H, PH, SH, op.padding);
        const PL = padBefore(Wd, PW, SW, op.padding);
        const y = new Float64Array(OH * OW * Ch);
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++)
            for (let c = 0; c < Ch; c++) {
              let best = -Infinity;
              let arg = -1;
              for (let i2 = 0; i2 < PH; i2++)
                for (let j2 = 0; j2 < PW; j2++) {
                  const ih = oh * SH + i2 - PT;
                  const iw = ow * SW + j2 - PL;
                  if (ih < 0 || ih >= H || iw < 0 || iw >= Wd) continue;
                  const v = h[(ih * Wd + iw) * Ch + c]!;
                  if (v > best) {
                    best = v;
                    arg = i2 * PW + j2;
                  }
                }
              y[(oh * OW + ow) * Ch + c] = best;
              pat.push(arg);
            }
        h = y;
      } else if (op.kind === "activation") {
        h = act(h, op.activation, pat);
      }
    });
    // Stable log-softmax.
    let m = -Infinity;
    for (let a = 0; a < C; a++) m = Math.max(m, h[a]!);
    let z = 0;
    for (let a = 0; a < C; a++) z += Math.exp(h[a]! - m);
    for (let a = 0; a < C; a++) probs[n * C + a] = Math.exp(h[a]! - m) / z;
    loss += -(h[labels[n]!]! - m - Math.log(z));
  }
  return { loss: loss / count, probs, pattern: pat.join(","), inputs };
}

function act(y: Float64Array, a: "relu" | "linear", pat: number[]): Float64Array {
  if (a === "linear") return y;
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    pat.push(y[i]! > 0 ? 1 : 0);
    out[i] = y[i]! > 0 ? y[i]! : 0;
  }
  return out;
}

/** The model's parameters as float64 arrays (exactly the float32 values). */
export function params64(model: LayersModel): Params64 {
  const p: Params64 = new Map();
  for (const w of model.weights) p.set(w.originalName, Float64Array.from((w as unknown as { read(): { dataSync(): Float32Array } }).read().dataSync()));
  return p;
}

/** A deterministic pseudo-random generator (LCG) for test data. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
