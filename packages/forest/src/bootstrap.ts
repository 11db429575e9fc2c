import type { Random } from './random.js';

// Bootstrap samples as integer weights per row. Each hot loop is a free function with
// nothing after the loop (see tree-builder.ts on V8's on-stack replacement).

/** Bootstrap draws: w[r] = how often row r was drawn in nSamples uniform draws. */
export function drawWeights(w: Int32Array, nRows: number, nSamples: number, rng: Random): void {
  w.fill(0);
  for (let i = 0; i < nSamples; i++) {
    const r = rng.nextInt(nRows);
    w[r] = w[r]! + 1;
  }
}

/** Row indices grouped by class, and where each class's group starts (k + 1 entries). */
export function groupByClass(codes: Uint8Array, k: number): { rows: Int32Array; start: Int32Array } {
  const start = new Int32Array(k + 1);
  for (let r = 0; r < codes.length; r++) start[codes[r]! + 1] = start[codes[r]! + 1]! + 1;
  for (let c = 0; c < k; c++) start[c + 1] = start[c + 1]! + start[c]!;
  const fill = start.slice(0, k);
  const rows = new Int32Array(codes.length);
  for (let r = 0; r < codes.length; r++) rows[fill[codes[r]!]!++] = r;
  return { rows, start };
}

/**
 * Bootstrap draws with row probabilities proportional to class weights: a class by its
 * share of the total weight, then a row of it uniformly (the same distribution as
 * drawing rows by weight, which is scikit-learn's; its random stream differs).
 */
export function drawByClass(
  w: Int32Array,
  nSamples: number,
  classDraw: Float64Array,
  rows: Int32Array,
  start: Int32Array,
  rng: Random,
): void {
  w.fill(0);
  const k = classDraw.length;
  for (let i = 0; i < nSamples; i++) {
    const u = rng.nextUint32() / 4294967296;
    let c = 0;
    let acc = classDraw[0]!;
    while (u >= acc && c < k - 1) acc += classDraw[++c]!;
    const n = start[c + 1]! - start[c]!;
    const r = rows[start[c]! + rng.nextInt(n)]!;
    w[r] = w[r]! + 1;
  }
}
