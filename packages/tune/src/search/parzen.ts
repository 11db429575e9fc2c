import type { Rng } from '../rng.js';

/**
 * One-dimensional Parzen estimators for TPE: a mixture of Gaussians truncated to [lo, hi]
 * (one per observation plus a wide prior), and smoothed counts for categories.
 */
export interface Parzen {
  sample(rng: Rng): number;
  logDensity(x: number): number;
}

function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26: enough precision for ranking candidates.
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return s * y;
}

function normCdf(x: number, mu: number, sigma: number): number {
  return 0.5 * (1 + erf((x - mu) / (sigma * Math.SQRT2)));
}

export function gaussianParzen(observations: readonly number[], lo: number, hi: number): Parzen {
  const width = hi - lo;
  const prior = (lo + hi) / 2;
  const mus = [...observations, prior].sort((a, b) => a - b);
  const n = observations.length;
  const minSigma = width / Math.min(100, 1 + n);
  const sigmas = mus.map((mu, i) => {
    const left = i > 0 ? mu - (mus[i - 1] ?? mu) : width;
    const right = i < mus.length - 1 ? (mus[i + 1] ?? mu) - mu : width;
    const s = mu === prior && !observations.includes(prior) ? width : Math.max(left, right);
    return Math.min(width, Math.max(minSigma, s));
  });
  // The prior component keeps its full width even when an observation sits on it.
  const priorIndex = mus.indexOf(prior);
  sigmas[priorIndex] = width;
  const masses = mus.map((mu, i) => {
    const sigma = sigmas[i] ?? width;
    return Math.max(1e-12, normCdf(hi, mu, sigma) - normCdf(lo, mu, sigma));
  });
  const weight = 1 / mus.length;
  return {
    sample(rng) {
      const k = rng.int(0, mus.length);
      const mu = mus[k] ?? prior;
      const sigma = sigmas[k] ?? width;
      for (let tries = 0; tries < 100; tries++) {
        const x = rng.normal(mu, sigma);
        if (x >= lo && x <= hi) return x;
      }
      return Math.min(hi, Math.max(lo, mu));
    },
    logDensity(x) {
      let p = 0;
      for (let i = 0; i < mus.length; i++) {
        const mu = mus[i] ?? prior;
        const sigma = sigmas[i] ?? width;
        const z = (x - mu) / sigma;
        p += (weight * Math.exp(-0.5 * z * z)) / (sigma * Math.sqrt(2 * Math.PI) * (masses[i] ?? 1));
      }
      return Math.log(Math.max(p, 1e-300));
    },
  };
}

export function categoricalParzen(observations: readonly number[], size: number): Parzen {
  const counts = new Array<number>(size).fill(1); // one pseudo-count each: the uniform prior
  for (const o of observations) counts[o] = (counts[o] ?? 0) + 1;
  const total = counts.reduce((a, b) => a + b, 0);
  const probs = counts.map((c) => c / total);
  return {
    sample(rng) {
      let u = rng.next();
      for (let i = 0; i < size; i++) {
        u -= probs[i] ?? 0;
        if (u < 0) return i;
      }
      return size - 1;
    },
    logDensity(x) {
      return Math.log(probs[x] ?? 1e-300);
    },
  };
}
