/** How many features each split considers: scikit-learn's `max_features`. */
export type MaxFeatures = 'sqrt' | 'log2' | number | null;

/**
 * Options of {@link RandomForestClassifier}; scikit-learn's parameters, camelCased.
 * @example
 * ```ts
 * new RandomForestClassifier({ nEstimators: 50, maxDepth: 20, maxFeatures: 0.5, seed: 1 });
 * ```
 */
export interface RandomForestOptions {
  /** Number of trees. @default 100 */
  nEstimators?: number;
  /** Split quality measure. @default 'gini' */
  criterion?: 'gini' | 'entropy';
  /** Maximum tree depth; `null` grows until leaves are pure or too small. @default null */
  maxDepth?: number | null;
  /** Fewest samples a node needs to be split. @default 2 */
  minSamplesSplit?: number;
  /** Fewest samples in each leaf. @default 1 */
  minSamplesLeaf?: number;
  /**
   * Features drawn per split, as scikit-learn draws them: 'sqrt', 'log2', a fraction in
   * (0, 1] (so 1 means all of them), a count above 1, or null for all. Features found
   * constant in a node count as drawn; if all drawn were constant, drawing goes on.
   * @default 'sqrt'
   */
  maxFeatures?: MaxFeatures;
  /** Train each tree on a bootstrap sample. @default true */
  bootstrap?: boolean;
  /** Bootstrap sample size: a fraction in (0, 1] or a count; null for all rows. @default null */
  maxSamples?: number | null;
  /** Most bins per feature (2..255) when `fit` bins raw rows; a Dataset keeps its own. @default 255 */
  maxBins?: number;
  /** Random seed; the same seed and data give the same forest. @default 0 */
  seed?: number;
}

export type ResolvedForestOptions = Required<RandomForestOptions>;

function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`options.${name} must be an integer, got ${String(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`options.${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function fractionOrCount(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `options.${name} must be a fraction in (0, 1] or a positive integer count, got ${value}`,
    );
  }
  if (value > 1 && !Number.isInteger(value)) {
    throw new RangeError(`options.${name} above 1 must be an integer count, got ${value}`);
  }
  return value;
}

/** Applies defaults and validates; throws TypeError/RangeError naming the bad option. */
export function resolveForestOptions(options: RandomForestOptions = {}): ResolvedForestOptions {
  const criterion = options.criterion ?? 'gini';
  if (criterion !== 'gini' && criterion !== 'entropy') {
    throw new TypeError(`options.criterion must be 'gini' or 'entropy', got ${String(criterion)}`);
  }
  const maxFeatures = options.maxFeatures === undefined ? 'sqrt' : options.maxFeatures;
  if (typeof maxFeatures === 'number') fractionOrCount('maxFeatures', maxFeatures);
  else if (maxFeatures !== null && maxFeatures !== 'sqrt' && maxFeatures !== 'log2') {
    throw new TypeError(
      `options.maxFeatures must be 'sqrt', 'log2', a number or null, got ${String(maxFeatures)}`,
    );
  }
  const maxSamples = options.maxSamples ?? null;
  if (maxSamples !== null) fractionOrCount('maxSamples', maxSamples);
  const maxDepth = options.maxDepth ?? null;
  return {
    nEstimators: integer('nEstimators', options.nEstimators ?? 100, 1),
    criterion,
    maxDepth: maxDepth === null ? null : integer('maxDepth', maxDepth, 1),
    minSamplesSplit: integer('minSamplesSplit', options.minSamplesSplit ?? 2, 2),
    minSamplesLeaf: integer('minSamplesLeaf', options.minSamplesLeaf ?? 1, 1),
    maxFeatures,
    bootstrap: options.bootstrap ?? true,
    maxSamples,
    maxBins: integer('maxBins', options.maxBins ?? 255, 2, 255),
    seed: integer('seed', options.seed ?? 0, 0, 2 ** 32 - 1),
  };
}
