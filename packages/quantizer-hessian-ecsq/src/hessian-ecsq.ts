import { ShapeMismatchError, type LevelsCodebook, type QuantizedModel, type QuantizedTensor, type WeightSet } from "@quantforge/core";
import { iterativeEcsq, type Clustering, type EcsqResult } from "./ecsq-impl.js";
import { searchRate, stepForClusters, uniformEcsq } from "./ecsq-uniform-impl.js";
import { linearInit, lloyd1d, optimalHistogramInit } from "./kmeans-impl.js";
import { resolveClusters, type HessianEcsqOptions } from "./options.js";
import { magnitudePrune } from "./prune-impl.js";
import { prepareSorted, type SortedData } from "./sorted-impl.js";

/** What one clustering group (the whole model, or one tensor with scope `layer`) came to. */
export interface GroupStats {
  /** Codebook id of the group. */
  readonly codebook: string;
  readonly tensors: readonly string[];
  /** Quantized values (survivors) in the group. */
  readonly count: number;
  /** Levels in the codebook (clusters left after dropping empty ones). */
  readonly levels: number;
  /** Zeroth-order entropy of the group's codes, bits per quantized value. */
  readonly entropy: number;
  /** Importance-weighted distortion Σ h (w − w̄)² / N with h normalised to mean 1. */
  readonly weightedDistortion: number;
  /** Plain mean squared error of the quantized values. */
  readonly mse: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** Δ used by `uniform`. */
  readonly step?: number;
  /** λ used by `iterative-ecsq`. */
  readonly lambda?: number;
  /** `targetBits` asked for, and how far the reached entropy is from it. */
  readonly targetBits?: number;
  readonly rateError?: number;
  /** Every (parameter, entropy, distortion) evaluated by a rate search. */
  readonly search?: readonly { readonly x: number; readonly entropy: number; readonly weightedDistortion: number }[];
}

/** Output of {@link quantizeHessianEcsq}. */
export interface HessianEcsqResult {
  readonly model: QuantizedModel;
  readonly groups: readonly GroupStats[];
  /** Survivor positions per tensor when pruning ran (dense tensors are absent). */
  readonly survivors: ReadonlyMap<string, Uint32Array>;
}

/** Joint codebook id. */
export const JOINT_CODEBOOK = "hessian-ecsq";

interface Solved {
  clustering: Clustering;
  iterations: number;
  converged: boolean;
  step?: number;
  lambda?: number;
  search?: GroupStats["search"];
}

function solveGroup(d: SortedData, o: HessianEcsqOptions, shouldStop: () => void): Solved {
  const k = resolveClusters(o);
  if (o.mode === "kmeans" || o.mode === "hessian-kmeans") {
    const init = o.init === "optimal" ? optimalHistogramInit(d, k, o.histogramBins) : linearInit(d, k);
    const r = lloyd1d(d, init, o.maxIterations);
    // Express the interval solution as a clustering (same centres, members by interval).
    const assign = new Uint32Array(d.n);
    const counts = new Float64Array(r.centres.length);
    for (let j = 0; j < r.centres.length; j++) {
      assign.fill(j, r.bounds[j], r.bounds[j + 1]);
      counts[j] = r.bounds[j + 1]! - r.bounds[j]!;
    }
    let ent = 0;
    for (const c of counts) if (c > 0) ent -= (c / d.n) * Math.log2(c / d.n);
    return { clustering: { centres: r.centres, assign, counts, distortion: r.distortion / d.n, entropy: ent }, iterations: r.iterations, converged: r.converged };
  }
  if (o.mode === "uniform") {
    const weighted = o.weightedMeans;
    if (o.targetBits !== undefined) {
      const range = d.raw[d.n - 1]! - d.raw[0]!;
      const scale = range > 0 ? range : Math.abs(d.raw[0]!) || 1;
      const { best, points } = searchRate(
        (step) => {
          shouldStop();
          const c = uniformEcsq(d, step, weighted, o.pinZero);
          return { rate: c.entropy, result: c };
        },
        o.targetBits,
        { x0: scale / 64, lower: scale / 2 ** 20, tolerance: o.tolerance, maxSteps: o.maxSearchSteps },
      );
      return { clustering: best.result, iterations: points.length, converged: true, step: best.x, search: points.map((p) => ({ x: p.x, entropy: p.rate, weightedDistortion: p.result.distortion })) };
    }
    const step = o.step ?? stepForClusters(d, k);
    return { clustering: uniformEcsq(d, step, weighted, o.pinZero), iterations: 1, converged: true, step };
  }
  const init = linearInit(d, k);
  if (o.targetBits !== undefined) {
    // λ has units of D (h has mean 1): start the bracket at the variance scale per bit.
    let varw = 0;
    for (let i = 0; i < d.n; i++) varw += d.h[i]! * d.v[i]! * d.v[i]!;
    varw /= Math.max(1, d.n);
    const { best, points } = searchRate<EcsqResult>(
      (lambda) => {
        shouldStop();
        const r = iterativeEcsq(d, init, lambda, o.maxIterations);
        return { rate: r.entropy, result: r };
      },
      o.targetBits,
      { x0: Math.max(varw, Number.MIN_VALUE) / 100, lower: 0, tolerance: o.tolerance, maxSteps: o.maxSearchSteps },
    );
    const r = best.result;
    return { clustering: r, iterations: r.iterations, converged: r.converged, lambda: best.x, search: points.map((p) => ({ x: p.x, entropy: p.rate, weightedDistortion: p.result.distortion })) };
  }
  const lambda = o.lambda ?? 0;
  const r = iterativeEcsq(d, init, lambda, o.maxIterations);
  return { clustering: r, iterations: r.iterations, converged: r.converged, lambda };
}

/**
 * Quantizes a weight set with one of the paper's four methods (spec §3): optional magnitude
 * pruning, then clustering of the surviving values — jointly (one `levels` codebook) or per
 * tensor — with importance weights h (Hessian diagonal, Adam √v̂, or none), then codes per
 * tensor (sparse tensors keep only their survivors).
 *
 * @param weights - tensors to quantize.
 * @param importance - per-weight h with the same names and shapes (null for `none`).
 * @param o - parsed options.
 * @param shouldStop - called between expensive steps; throw to abort.
 */
export function quantizeHessianEcsq(weights: WeightSet, importance: WeightSet | null, o: HessianEcsqOptions, shouldStop: () => void = () => {}): HessianEcsqResult {
  const imp = new Map<string, Float32Array>();
  if (importance) {
    const byName = new Map(importance.map((t) => [t.name, t]));
    for (const t of weights) {
      const h = byName.get(t.name);
      if (!h) throw new ShapeMismatchError(`the importance weights lack tensor "${t.name}". Provide a Hessian diagonal / second moments for every quantized tensor.`);
      if (h.data.length !== t.data.length) throw new ShapeMismatchError(`importance of "${t.name}" has ${h.data.length} values for ${t.data.length} weights. Provide matching tensors.`);
      imp.set(t.name, h.data);
    }
  }
  let survivors = new Map<string, Uint32Array>();
  if (o.density !== undefined && o.density < 1) {
    const prunable = weights.filter((t) => o.pruneBiases || t.role !== "bias");
    survivors = magnitudePrune(prunable, { density: o.density, scope: o.pruneScope });
  }
  const groups = o.scope === "joint" ? [weights] : weights.map((t) => [t]);
  const codebooks: LevelsCodebook[] = [];
  const codes = new Map<string, Uint32Array>();
  const codebookOf = new Map<string, string>();
  const stats: GroupStats[] = [];
  for (const group of groups) {
    shouldStop();
    const id = o.scope === "joint" ? JOINT_CODEBOOK : group[0]!.name;
    let total = 0;
    for (const t of group) total += survivors.get(t.name)?.length ?? t.data.length;
    const values = new Float32Array(total);
    const h = importance ? new Float64Array(total) : null;
    let off = 0;
    for (const t of group) {
      const pos = survivors.get(t.name);
      const hd = imp.get(t.name);
      const m = pos ? pos.length : t.data.length;
      for (let i = 0; i < m; i++) {
        const src = pos ? pos[i]! : i;
        values[off + i] = t.data[src]!;
        if (h) h[off + i] = Math.max(0, hd![src]!);
      }
      off += m;
    }
    if (h) normaliseImportance(h, o.importanceFloor);
    let levels: Float32Array;
    let assignOrig: Uint32Array;
    let g: GroupStats;
    if (total === 0) {
      levels = Float32Array.of(0);
      assignOrig = new Uint32Array(0);
      g = { codebook: id, tensors: group.map((t) => t.name), count: 0, levels: 1, entropy: 0, weightedDistortion: 0, mse: 0, iterations: 0, converged: true };
    } else {
      const d = prepareSorted(values, h);
      const s = solveGroup(d, o, shouldStop);
      const c = s.clustering;
      levels = new Float32Array(c.centres.length);
      for (let j = 0; j < levels.length; j++) levels[j] = c.centres[j]! + d.shift;
      assignOrig = new Uint32Array(total);
      let mse = 0;
      for (let i = 0; i < d.n; i++) {
        const j = c.assign[i]!;
        assignOrig[d.order[i]!] = j;
        const e = d.raw[i]! - levels[j]!;
        mse += e * e;
      }
      g = {
        codebook: id,
        tensors: group.map((t) => t.name),
        count: total,
        levels: levels.length,
        entropy: c.entropy,
        weightedDistortion: c.distortion,
        mse: mse / total,
        iterations: s.iterations,
        converged: s.converged,
        ...(s.step !== undefined ? { step: s.step } : {}),
        ...(s.lambda !== undefined ? { lambda: s.lambda } : {}),
        ...(o.targetBits !== undefined ? { targetBits: o.targetBits, rateError: c.entropy - o.targetBits } : {}),
        ...(s.search ? { search: s.search } : {}),
      };
    }
    codebooks.push({ kind: "levels", id, levels });
    stats.push(g);
    off = 0;
    for (const t of group) {
      const m = survivors.get(t.name)?.length ?? t.data.length;
      codes.set(t.name, assignOrig.slice(off, off + m));
      codebookOf.set(t.name, id);
      off += m;
    }
  }
  const tensors: QuantizedTensor[] = weights.map((t) => {
    const pos = survivors.get(t.name);
    return {
      name: t.name,
      shape: t.shape,
      role: t.role,
      layer: t.layer,
      layerKind: t.layerKind,
      codebook: codebookOf.get(t.name)!,
      grouping: { kind: "tensor" },
      codes: codes.get(t.name)!,
      ...(pos ? { sparse: { positions: pos } } : {}),
    };
  });
  return { model: { codebooks, tensors }, groups: stats, survivors };
}

/** Clamps h to floor·mean(h) from below and rescales it to mean 1 (spec §2–3). */
export function normaliseImportance(h: Float64Array, floor: number): void {
  const n = h.length;
  if (n === 0) return;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += h[i]!;
  mean /= n;
  if (!(mean > 0)) {
    h.fill(1);
    return;
  }
  const lo = floor * mean;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    if (h[i]! < lo) h[i] = lo;
    m2 += h[i]!;
  }
  m2 /= n;
  for (let i = 0; i < n; i++) h[i] = h[i]! / m2;
}
