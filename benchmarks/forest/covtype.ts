/**
 * Benchmark helpers: a tiny CSV reader for the real Covertype sample and a stratified
 * split. (The examples' data loader belongs to another package; this stays small on purpose.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/data/covtype/covtype.20k.data beside the repository root. */
export const COVTYPE_20K = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../shared/data/covtype/covtype.20k.data',
);

export interface Table {
  /** Row-major features. */
  X: Float32Array;
  y: Int32Array;
  nRows: number;
  nFeatures: number;
}

/** Reads a headerless CSV of numbers whose last column is the integer label. */
export function readCsv(path: string): Table {
  if (!existsSync(path)) throw new Error(`${path} not found (the real Covertype sample)`);
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const nFeatures = lines[0]!.split(',').length - 1;
  const X = new Float32Array(lines.length * nFeatures);
  const y = new Int32Array(lines.length);
  lines.forEach((line, r) => {
    const cells = line.split(',');
    for (let j = 0; j < nFeatures; j++) X[r * nFeatures + j] = Number(cells[j]);
    y[r] = Number(cells[nFeatures]);
  });
  return { X, y, nRows: lines.length, nFeatures };
}

/** mulberry32: a seedable PRNG for shuffles. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The rows of `t` listed in `idx`. */
export function take(t: Table, idx: Int32Array): Table {
  const nf = t.nFeatures;
  const X = new Float32Array(idx.length * nf);
  const y = new Int32Array(idx.length);
  idx.forEach((r, i) => {
    X.set(t.X.subarray(r * nf, r * nf + nf), i * nf);
    y[i] = t.y[r]!;
  });
  return { X, y, nRows: idx.length, nFeatures: nf };
}

/** Stratified shuffle split: each class keeps its share in the test set (rounded). */
export function stratifiedSplit(t: Table, testFraction: number, seed: number): { train: Table; test: Table } {
  const rand = rng(seed);
  const byClass = new Map<number, number[]>();
  for (let r = 0; r < t.nRows; r++) {
    const list = byClass.get(t.y[r]!) ?? [];
    list.push(r);
    byClass.set(t.y[r]!, list);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const [, rows] of [...byClass].sort((a, b) => a[0] - b[0])) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    const nTest = Math.round(rows.length * testFraction);
    for (let i = 0; i < rows.length; i++) (i < nTest ? test : train).push(rows[i]!);
  }
  const sort = (a: number[]): Int32Array => Int32Array.from(a).sort();
  return { train: take(t, sort(train)), test: take(t, sort(test)) };
}
