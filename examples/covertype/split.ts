import type { CovertypeData } from './format.js';

/** Options of {@link stratifiedSplit}. */
export interface SplitOptions {
  /** Share of the rows that go to the test set, strictly between 0 and 1. */
  readonly testFraction: number;
  /**
   * Seed of the shuffle: the same labels and seed give the same split on every machine.
   * @default 0
   */
  readonly seed?: number;
}

/** Options of {@link stratifiedSample}. */
export interface SampleOptions {
  /** @default 0 */
  readonly seed?: number;
}

/** Row indices of a split, each array sorted ascending (rows are read in file order). */
export interface Split {
  readonly train: Uint32Array;
  readonly test: Uint32Array;
}

/**
 * Splits rows into train and test so that every class keeps its share in both, like
 * scikit-learn's `train_test_split(..., stratify=y)`: the test set gets `ceil(n * testFraction)`
 * rows, shared out between the classes by largest remainder. Deterministic for a seed (the
 * rows picked differ from scikit-learn's, whose random generator is not reproduced here).
 * @example
 * const { train, test } = stratifiedSplit(data.labels, { testFraction: 0.2, seed: 0 });
 * const trainSet = takeRows(data, train);
 */
export function stratifiedSplit(labels: Int32Array, options: SplitOptions): Split {
  const { testFraction } = options;
  if (typeof testFraction !== 'number' || !(testFraction > 0 && testFraction < 1)) {
    throw new RangeError(
      `options.testFraction must be a number between 0 and 1 (exclusive), got ${testFraction}`,
    );
  }
  const seed = checkSeed(options.seed);
  const n = labels.length;
  const nTest = Math.ceil(n * testFraction);
  if (nTest >= n) {
    throw new RangeError(`options.testFraction ${testFraction} leaves no training rows out of ${n}`);
  }
  const groups = shuffledGroups(labels, seed);
  const quotas = largestRemainder(
    groups.map((g) => g.length),
    nTest,
  );
  const test: number[] = [];
  const train: number[] = [];
  groups.forEach((group, k) => {
    const q = quotas[k]!;
    for (let i = 0; i < group.length; i++) (i < q ? test : train).push(group[i]!);
  });
  return { train: sorted(train), test: sorted(test) };
}

/**
 * Picks `n` rows keeping each class's share (for a quick run on part of the data), sorted
 * ascending. Deterministic for a seed.
 */
export function stratifiedSample(n: number, labels: Int32Array, options: SampleOptions = {}): Uint32Array {
  if (!Number.isInteger(n) || n < 1 || n > labels.length) {
    throw new RangeError(`n must be an integer from 1 to ${labels.length} (the number of rows), got ${n}`);
  }
  const groups = shuffledGroups(labels, checkSeed(options.seed));
  const quotas = largestRemainder(
    groups.map((g) => g.length),
    n,
  );
  const picked: number[] = [];
  groups.forEach((group, k) => {
    for (let i = 0; i < quotas[k]!; i++) picked.push(group[i]!);
  });
  return sorted(picked);
}

/** Rows of `data` at `indices`, in that order, as a new data set with its own buffers. */
export function takeRows(data: CovertypeData, indices: ArrayLike<number>): CovertypeData {
  const { nFeatures } = data;
  const features = new Float32Array(indices.length * nFeatures);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    if (!(r >= 0 && r < data.nRows && Number.isInteger(r))) {
      throw new RangeError(`indices[${i}] must be a row number from 0 to ${data.nRows - 1}, got ${r}`);
    }
    features.set(data.features.subarray(r * nFeatures, (r + 1) * nFeatures), i * nFeatures);
    labels[i] = data.labels[r]!;
  }
  return { features, labels, nRows: indices.length, nFeatures, featureNames: data.featureNames };
}

/** Rows per label value, as `counts[label]` (index 0 unused for Covertype's 1..7). */
export function classCounts(labels: Int32Array): number[] {
  const counts: number[] = [];
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return Array.from(counts, (c) => c ?? 0);
}

function checkSeed(seed: number | undefined): number {
  if (seed === undefined) return 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`options.seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  return seed;
}

/** Row indices grouped by label (labels in ascending order), each group shuffled. */
function shuffledGroups(labels: Int32Array, seed: number): number[][] {
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    let group = byLabel.get(label);
    if (group === undefined) byLabel.set(label, (group = []));
    group.push(i);
  }
  const random = mulberry32(seed);
  const keys = [...byLabel.keys()].sort((a, b) => a - b);
  return keys.map((key) => {
    const group = byLabel.get(key)!;
    for (let i = group.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [group[i], group[j]] = [group[j]!, group[i]!];
    }
    return group;
  });
}

/**
 * Shares `total` between groups in proportion to their sizes: each gets the floor of its
 * share, and the rows left over go to the largest fractional parts (ties to the larger group).
 */
function largestRemainder(sizes: number[], total: number): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((s) => (s * total) / n);
  const quotas = exact.map(Math.floor);
  let left = total - quotas.reduce((a, b) => a + b, 0);
  const order = sizes
    .map((_, k) => k)
    .sort((a, b) => exact[b]! - quotas[b]! - (exact[a]! - quotas[a]!) || sizes[b]! - sizes[a]!);
  for (const k of order) {
    if (left === 0) break;
    if (quotas[k]! < sizes[k]!) {
      quotas[k] = quotas[k]! + 1;
      left--;
    }
  }
  return quotas;
}

/** A small, fast 32-bit generator: the same stream on every platform for a seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sorted(indices: number[]): Uint32Array {
  return Uint32Array.from(indices).sort();
}
