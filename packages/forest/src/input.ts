import { invalidInput } from './errors.js';

/**
 * A feature matrix: row-major `Float32Array`/`Float64Array` (with `nFeatures` given
 * beside it) or an array of rows.
 */
export type Matrix = Float32Array | Float64Array | readonly (readonly number[])[];

/** Class labels, one per row: any integers (Covertype's are 1..7). */
export type Labels = Int32Array | readonly number[] | ArrayLike<number>;

/** A validated matrix in row-major form. */
export interface RowMajor {
  readonly data: Float32Array | Float64Array;
  readonly nRows: number;
  readonly nFeatures: number;
}

function checkFinite(data: Float32Array | Float64Array, nFeatures: number): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is NaN exactly for NaN and +-Infinity: one test for both.
    if (v - v !== 0) {
      const row = Math.floor(i / nFeatures);
      throw invalidInput(`X[${row}][${i - row * nFeatures}] is ${v}: X must hold finite numbers`);
    }
  }
}

/** Validates X (no NaN/Infinity, rectangular, not empty) and returns it row-major, copying only arrays of rows. */
export function toRowMajor(X: Matrix, nFeatures?: number): RowMajor {
  if (X instanceof Float32Array || X instanceof Float64Array) {
    if (nFeatures === undefined || !Number.isInteger(nFeatures) || nFeatures < 1) {
      throw invalidInput(
        `nFeatures must be a positive integer when X is a typed array, got ${String(nFeatures)}`,
      );
    }
    if (X.length === 0) throw invalidInput('X is empty');
    if (X.length % nFeatures !== 0) {
      throw invalidInput(`X has ${X.length} values, which is not a multiple of nFeatures=${nFeatures}`);
    }
    checkFinite(X, nFeatures);
    return { data: X, nRows: X.length / nFeatures, nFeatures };
  }
  if (!Array.isArray(X)) {
    throw invalidInput('X must be a Float32Array, a Float64Array or an array of rows');
  }
  const rows = X as readonly (readonly number[])[];
  if (rows.length === 0) throw invalidInput('X is empty');
  const first = rows[0];
  if (!Array.isArray(first) || first.length === 0) throw invalidInput('X[0] must be a non-empty array');
  const nf = first.length;
  if (nFeatures !== undefined && nFeatures !== nf) {
    throw invalidInput(`X rows have ${nf} features but nFeatures is ${nFeatures}`);
  }
  const data = new Float64Array(rows.length * nf);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!Array.isArray(row) || row.length !== nf) {
      throw invalidInput(`X[${r}] has ${Array.isArray(row) ? row.length : 'no'} features, X[0] has ${nf}`);
    }
    for (let j = 0; j < nf; j++) data[r * nf + j] = row[j] as number;
  }
  checkFinite(data, nf);
  return { data, nRows: rows.length, nFeatures: nf };
}

/** Validates labels (integers, one per row) and returns them as an Int32Array (copied). */
export function toLabels(y: Labels, nRows: number): Int32Array {
  if (y === null || typeof y !== 'object' || typeof y.length !== 'number') {
    throw invalidInput('y must be an Int32Array or an array of integer labels');
  }
  if (y.length !== nRows) {
    throw invalidInput(`y has ${y.length} labels but X has ${nRows} rows`);
  }
  const out = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) {
    const v = y[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw invalidInput(`y[${i}] is ${String(v)}: labels must be 32-bit integers`);
    }
    out[i] = v;
  }
  return out;
}

/** Sorted distinct labels and each row's class index into them. */
export function encodeLabels(y: Int32Array): { classes: Int32Array; codes: Uint8Array } {
  if (y.length === 0) throw invalidInput('y is empty');
  const classes = Int32Array.from(new Set(y)).sort();
  if (classes.length < 2) {
    throw invalidInput(`y has a single class (${classes[0]}): a classifier needs at least two`);
  }
  if (classes.length > 255) throw invalidInput(`y has ${classes.length} classes; at most 255 are supported`);
  const codes = new Uint8Array(y.length);
  encode(y, classes, codes);
  return { classes, codes };
}

/** codes[i] = index of y[i] in the ascending classes (binary search: no Map in the loop). */
function encode(y: Int32Array, classes: Int32Array, codes: Uint8Array): void {
  const last = classes.length - 1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (classes[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    codes[i] = lo;
  }
}
