import type { RowMajor } from './input.js';

/**
 * Bin edges are computed from at most this many rows (as scikit-learn's
 * HistGradientBoosting does): sorting 581k values per feature would cost more than a tree.
 */
const QUANTILE_SAMPLE = 200_000;

/**
 * Edges of one feature from its sorted sample: midpoints between distinct values, all of
 * them when there are at most `maxBins` distinct values, else one after each quantile.
 * A value v falls in bin b = (number of edges < v), so "bin <= b" is "v <= edges[b]".
 */
export function edgesFromSorted(sorted: Float64Array, maxBins: number): number[] {
  const m = sorted.length;
  const distinct: number[] = [];
  const cum: number[] = [];
  for (let i = 0; i < m; i++) {
    const v = sorted[i]!;
    if (distinct.length === 0 || v !== distinct[distinct.length - 1]) {
      distinct.push(v);
      cum.push(i + 1);
    } else cum[cum.length - 1] = i + 1;
  }
  const edges: number[] = [];
  const midpoint = (i: number): number => {
    const a = distinct[i]!;
    const b = distinct[i + 1]!;
    const mid = a + (b - a) / 2;
    // Adjacent floats can round the midpoint up to b, which would move b into a's bin.
    return mid < b ? mid : a;
  };
  if (distinct.length <= maxBins) {
    for (let i = 0; i + 1 < distinct.length; i++) edges.push(midpoint(i));
    return edges;
  }
  let k = 1;
  for (let i = 0; i + 1 < distinct.length && k < maxBins; i++) {
    const c = cum[i]!;
    if (c >= (k * m) / maxBins) {
      edges.push(midpoint(i));
      while (k < maxBins && (k * m) / maxBins <= c) k++;
    }
  }
  return edges;
}

/** Bin edges of every feature, flat, with offsets (feature f owns edges[offsets[f] .. offsets[f+1])). */
export function computeEdges(X: RowMajor, maxBins: number): { edges: Float64Array; edgeOffsets: Int32Array } {
  const { data, nRows, nFeatures } = X;
  const m = Math.min(nRows, QUANTILE_SAMPLE);
  // Evenly strided rows: deterministic and spread over files stored in blocks (Covertype is).
  const sampleRows = new Int32Array(m);
  for (let i = 0; i < m; i++) sampleRows[i] = Math.floor((i * nRows) / m);
  const column = new Float64Array(m);
  const all: number[] = [];
  const edgeOffsets = new Int32Array(nFeatures + 1);
  for (let f = 0; f < nFeatures; f++) {
    for (let i = 0; i < m; i++) column[i] = data[sampleRows[i]! * nFeatures + f]!;
    column.sort();
    const e = edgesFromSorted(column, maxBins);
    for (const v of e) all.push(v);
    edgeOffsets[f + 1] = all.length;
  }
  return { edges: Float64Array.from(all), edgeOffsets };
}

/** Bins every value of X into a column-major Uint8Array (column f at f * nRows). */
export function binMatrix(X: RowMajor, edges: Float64Array, edgeOffsets: Int32Array): Uint8Array {
  const { data, nRows, nFeatures } = X;
  const bins = new Uint8Array(nRows * nFeatures);
  for (let f = 0; f < nFeatures; f++) {
    const lo0 = edgeOffsets[f]!;
    const n = edgeOffsets[f + 1]! - lo0;
    const out = f * nRows;
    if (n === 0) continue; // constant feature: every row in bin 0
    for (let r = 0; r < nRows; r++) {
      const v = data[r * nFeatures + f]!;
      // Lower bound: first edge >= v.
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (edges[lo0 + mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      bins[out + r] = lo;
    }
  }
  return bins;
}
