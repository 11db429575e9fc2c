import type { RowMajor } from './input.js';

/**
 * Bin edges are computed from at most this many rows (as scikit-learn's
 * HistGradientBoosting does): sorting 581k values per feature would cost more than a tree.
 */
const QUANTILE_SAMPLE = 200_000;
/** Largest integer span that is counted (edges) and gets a lookup table (binning). */
const MAX_LUT = 1 << 16;

/**
 * Edges of one feature from its distinct values (ascending) and the running count of
 * sample values up to each: midpoints between distinct values, all of them when there
 * are at most `maxBins` distinct values, else one after each quantile. A value v falls in
 * bin b = (number of edges < v), so "bin <= b" is "v <= edges[b]".
 */
export function edgesFromCounts(
  distinct: ArrayLike<number>,
  cum: ArrayLike<number>,
  maxBins: number,
): number[] {
  const d = distinct.length;
  const m = d === 0 ? 0 : cum[d - 1]!;
  const edges: number[] = [];
  const midpoint = (i: number): number => {
    const a = distinct[i]!;
    const b = distinct[i + 1]!;
    const mid = a + (b - a) / 2;
    // Adjacent floats can round the midpoint up to b, which would move b into a's bin.
    return mid < b ? mid : a;
  };
  if (d <= maxBins) {
    for (let i = 0; i + 1 < d; i++) edges.push(midpoint(i));
    return edges;
  }
  let k = 1;
  for (let i = 0; i + 1 < d && k < maxBins; i++) {
    const c = cum[i]!;
    if (c >= (k * m) / maxBins) {
      edges.push(midpoint(i));
      while (k < maxBins && (k * m) / maxBins <= c) k++;
    }
  }
  return edges;
}

/** Edges of a column, sorting it in place. */
function edgesBySorting(column: Float64Array, maxBins: number): number[] {
  column.sort();
  const distinct: number[] = [];
  const cum: number[] = [];
  for (let i = 0; i < column.length; i++) {
    const v = column[i]!;
    if (distinct.length === 0 || v !== distinct[distinct.length - 1]) {
      distinct.push(v);
      cum.push(i + 1);
    } else cum[cum.length - 1] = i + 1;
  }
  return edgesFromCounts(distinct, cum, maxBins);
}

/**
 * Edges of an integer-valued column spanning fewer than MAX_LUT values, by counting
 * instead of sorting (all of Covertype's columns); null for any other column. Each loop
 * is its own function (see tree-builder.ts on code after a hot loop).
 */
function edgesByCounting(column: Float64Array, maxBins: number, range: Float64Array): number[] | null {
  if (!integerRange(column, range)) return null;
  const min = range[0]!;
  const max = range[1]!;
  if (max - min >= MAX_LUT) return null;
  const counts = new Int32Array(max - min + 1);
  countValues(column, min, counts);
  const distinct: number[] = [];
  const cum: number[] = [];
  cumulate(counts, min, distinct, cum);
  return edgesFromCounts(distinct, cum, maxBins);
}

/** Writes the column's min and max to range; false when a value is not an integer. */
function integerRange(column: Float64Array, range: Float64Array): boolean {
  let min = Infinity;
  let max = -Infinity;
  let integer = true;
  for (let i = 0; i < column.length; i++) {
    const v = column[i]!;
    if (v !== Math.floor(v)) integer = false;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  range[0] = min;
  range[1] = max;
  return integer;
}

function countValues(column: Float64Array, min: number, counts: Int32Array): void {
  for (let i = 0; i < column.length; i++) {
    const k = column[i]! - min;
    counts[k] = counts[k]! + 1;
  }
}

/** The values present (ascending) and the running count up to each. */
function cumulate(counts: Int32Array, min: number, distinct: number[], cum: number[]): void {
  let c = 0;
  for (let k = 0; k < counts.length; k++) {
    if (counts[k] === 0) continue;
    c += counts[k]!;
    distinct.push(min + k);
    cum.push(c);
  }
}

/** Bin edges of every feature, flat, with offsets (feature f owns edges[offsets[f] .. offsets[f+1])). */
export function computeEdges(X: RowMajor, maxBins: number): { edges: Float64Array; edgeOffsets: Int32Array } {
  const { data, nRows, nFeatures } = X;
  const m = Math.min(nRows, QUANTILE_SAMPLE);
  // Evenly strided rows: deterministic and spread over files stored in blocks (Covertype is).
  const sampleRows = strided(m, nRows);
  // Gather GROUP columns per pass over the sampled rows: one pass per feature would read
  // the same cache lines of X nFeatures times.
  const GROUP = 16;
  const block = new Float64Array(GROUP * m);
  const all: number[] = [];
  const edgeOffsets = new Int32Array(nFeatures + 1);
  const range = new Float64Array(2);
  for (let f0 = 0; f0 < nFeatures; f0 += GROUP) {
    const g = Math.min(GROUP, nFeatures - f0);
    gatherColumns(data, nFeatures, sampleRows, f0, g, block);
    for (let j = 0; j < g; j++) {
      const column = block.subarray(j * m, (j + 1) * m);
      const e = edgesByCounting(column, maxBins, range) ?? edgesBySorting(column, maxBins);
      for (const v of e) all.push(v);
      edgeOffsets[f0 + j + 1] = all.length;
    }
  }
  return { edges: Float64Array.from(all), edgeOffsets };
}

/** m row indices evenly spread over nRows. */
function strided(m: number, nRows: number): Int32Array {
  const rows = new Int32Array(m);
  for (let i = 0; i < m; i++) rows[i] = Math.floor((i * nRows) / m);
  return rows;
}

/** Columns f0 .. f0 + g of the sampled rows into block, column after column. */
function gatherColumns(
  data: Float32Array | Float64Array,
  nFeatures: number,
  sampleRows: Int32Array,
  f0: number,
  g: number,
  block: Float64Array,
): void {
  const m = sampleRows.length;
  for (let i = 0; i < m; i++) {
    const base = sampleRows[i]! * nFeatures + f0;
    for (let j = 0; j < g; j++) block[j * m + i] = data[base + j]!;
  }
}

/** Rows binned per block: the block's slice of X stays in cache while each feature is binned. */
const BLOCK = 2048;

/** Lower bound: the first of the n edges at lo0.. that is >= v (n when none is). */
function lowerBound(edges: Float64Array, lo0: number, n: number, v: number): number {
  let base = 0;
  let len = n;
  // Halving without data-dependent exits, so the branch predictor is not in the way.
  while (len > 1) {
    const half = len >>> 1;
    base += edges[lo0 + base + half - 1]! < v ? half : 0;
    len -= half;
  }
  return base + (edges[lo0 + base]! < v ? 1 : 0);
}

/**
 * Bin of every integer from the first to the last edge, or null when the span is too
 * wide: integer-valued columns (all of Covertype's) then bin by one lookup per value.
 */
function integerTable(edges: Float64Array, lo0: number, n: number): { min: number; lut: Uint8Array } | null {
  const min = Math.floor(edges[lo0]!);
  const max = Math.ceil(edges[lo0 + n - 1]!);
  if (max - min >= MAX_LUT) return null;
  const lut = new Uint8Array(max - min + 1);
  for (let k = 0; k <= max - min; k++) lut[k] = lowerBound(edges, lo0, n, min + k);
  return { min, lut };
}

/** The integerTable of every feature, flat; last[f] is -1 for a feature without one. */
interface LookupTables {
  readonly min: Float64Array;
  readonly last: Int32Array;
  readonly start: Int32Array;
  readonly lut: Uint8Array;
}

function lookupTables(edges: Float64Array, edgeOffsets: Int32Array): LookupTables {
  const nf = edgeOffsets.length - 1;
  const min = new Float64Array(nf);
  const last = new Int32Array(nf).fill(-1);
  const start = new Int32Array(nf);
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let f = 0; f < nf; f++) {
    const n = edgeOffsets[f + 1]! - edgeOffsets[f]!;
    const t = n > 2 ? integerTable(edges, edgeOffsets[f]!, n) : null;
    if (t === null) continue;
    min[f] = t.min;
    last[f] = t.lut.length - 1;
    start[f] = size;
    parts.push(t.lut);
    size += t.lut.length;
  }
  const lut = new Uint8Array(size);
  for (let f = 0, o = 0; f < parts.length; o += parts[f]!.length, f++) lut.set(parts[f]!, o);
  return { min, last, start, lut };
}

/** Bins every value of X into a column-major Uint8Array (column f at f * nRows). */
export function binMatrix(X: RowMajor, edges: Float64Array, edgeOffsets: Int32Array): Uint8Array {
  const bins = new Uint8Array(X.nRows * X.nFeatures);
  binInto(X, edges, edgeOffsets, bins, 1, X.nRows);
  return bins;
}

/**
 * Bins X row by row into the layout the tree builder reads (row r's bins at bytes
 * r * rowWords * 4 .., padded to whole 32-bit words): fitting on raw rows needs no
 * column-major copy, which would only be transposed.
 */
export function binRows(
  X: RowMajor,
  edges: Float64Array,
  edgeOffsets: Int32Array,
  rowWords: number,
): Int32Array {
  const words = new Int32Array(X.nRows * rowWords);
  binInto(X, edges, edgeOffsets, new Uint8Array(words.buffer), rowWords * 4, 1);
  return words;
}

/**
 * Writes the bin of X's value (r, f) to out[r * rowStride + f * colStride], feature by
 * feature within blocks of rows that stay in cache, so that each feature's table and
 * edges are looked up once per block rather than once per value. Features with one
 * value (no edges) are left at bin 0, as allocated.
 */
function binInto(
  X: RowMajor,
  edges: Float64Array,
  edgeOffsets: Int32Array,
  out: Uint8Array,
  rowStride: number,
  colStride: number,
): void {
  const { data, nRows, nFeatures } = X;
  const t = lookupTables(edges, edgeOffsets);
  const lut = t.lut;
  for (let r0 = 0; r0 < nRows; r0 += BLOCK) {
    const r1 = Math.min(nRows, r0 + BLOCK);
    for (let f = 0; f < nFeatures; f++) {
      const lo0 = edgeOffsets[f]!;
      const n = edgeOffsets[f + 1]! - lo0;
      if (n === 0) continue;
      const min = t.min[f]!;
      const last = t.last[f]!;
      const start = t.start[f]!;
      const col = f * colStride;
      for (let r = r0; r < r1; r++) {
        const v = data[r * nFeatures + f]!;
        const k = v - min;
        // Integers inside the table's span: one lookup; anything else: search.
        out[r * rowStride + col] =
          k >= 0 && k <= last && (k | 0) === k ? lut[start + k]! : lowerBound(edges, lo0, n, v);
      }
    }
  }
}
