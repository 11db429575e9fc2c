/**
 * A 581,012-row Covertype-SHAPED data set for benchmarks at full scale. It is NOT the
 * real UCI file (which is not stored here): it resamples the 20,000 real rows of
 * ../shared/data/covtype/covtype.20k.data with replacement and jitters the ten
 * quantitative columns (0-9) by a small Gaussian amount (2% of each column's standard
 * deviation, rounded, clamped to the column's observed range). The one-hot columns and
 * the label are copied unchanged, so class balance and structure follow the 20k sample.
 *
 * Usage as a module: `synthCovtype(real, 581_012, seed)`.
 */
import { rng, type Table } from '../packages/forest/test/helpers.js';

export const COVTYPE_ROWS = 581_012;
const QUANTITATIVE = 10;
const JITTER = 0.02;

export function synthCovtype(real: Table, nRows = COVTYPE_ROWS, seed = 0): Table {
  const nf = real.nFeatures;
  const rand = rng(seed);
  const gauss = (): number => {
    // Box-Muller; 1 - u keeps log away from 0.
    const u = 1 - rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const min = new Float64Array(QUANTITATIVE).fill(Infinity);
  const max = new Float64Array(QUANTITATIVE).fill(-Infinity);
  const scale = new Float64Array(QUANTITATIVE);
  for (let j = 0; j < QUANTITATIVE; j++) {
    let s = 0;
    let s2 = 0;
    for (let r = 0; r < real.nRows; r++) {
      const v = real.X[r * nf + j]!;
      s += v;
      s2 += v * v;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
    const mean = s / real.nRows;
    scale[j] = JITTER * Math.sqrt(Math.max(0, s2 / real.nRows - mean * mean));
  }
  const X = new Float32Array(nRows * nf);
  const y = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const src = Math.floor(rand() * real.nRows);
    X.set(real.X.subarray(src * nf, src * nf + nf), r * nf);
    y[r] = real.y[src]!;
    for (let j = 0; j < QUANTITATIVE; j++) {
      const v = real.X[src * nf + j]! + Math.round(gauss() * scale[j]!);
      X[r * nf + j] = Math.min(max[j]!, Math.max(min[j]!, v));
    }
  }
  return { X, y, nRows, nFeatures: nf };
}
