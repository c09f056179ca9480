import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";

/** FNV-1a hash of a string to 32 bits; used to derive independent child seeds from labels. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A seeded random number generator (xoroshiro128+ from pure-rand). Same seed ⇒ same stream on
 * every platform. `fork(label)` derives an independent generator, so adding a consumer never
 * shifts the numbers another consumer sees.
 */
export class Rng {
  /** The seed this generator started from. */
  readonly seed: number;
  private readonly g: ReturnType<typeof xoroshiro128plus>;
  private spare = NaN;
  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.g = xoroshiro128plus(this.seed);
  }
  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    return uniformFloat64(this.g);
  }
  /** Uniform integer in [from, to] (both included). */
  int(from: number, to: number): number {
    return uniformInt(this.g, from, to);
  }
  /** Standard normal sample (Box–Muller, pairs cached). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** Laplacian sample with variance σ² (scale b = σ/√2). */
  laplace(sigma = 1): number {
    let u = 0;
    while (u === 0) u = this.float();
    const b = sigma / Math.SQRT2;
    return u < 0.5 ? b * Math.log(2 * u) : -b * Math.log(2 * (1 - u));
  }
  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
  /** An independent generator derived from this seed and a label. */
  fork(label: string): Rng {
    return new Rng((Math.imul(this.seed ^ 0x9e3779b9, 0x85ebca6b) ^ hash32(label)) >>> 0);
  }
}
