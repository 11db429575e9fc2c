/**
 * Small, fast, seedable PRNG (sfc32, seeded through splitmix32). Math.random cannot be
 * seeded, and the same seed must give the same forest on every machine.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `stream` separates independent sequences from one seed (e.g. one per tree). */
  constructor(seed: number, stream = 0) {
    let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = ((c << 21) | (c >>> 11)) + t;
    this.c |= 0;
    return t >>> 0;
  }

  /** Uniform integer in [0, n) for n <= 2^32 (multiply-shift; bias below 2^-11 for n < 2^21). */
  nextInt(n: number): number {
    return Math.floor((this.nextUint32() / 4294967296) * n);
  }
}
