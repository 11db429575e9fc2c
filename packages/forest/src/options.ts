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
  /**
   * Minimal cost-complexity pruning (scikit-learn's `ccp_alpha`): each tree is grown, then
   * its weakest links are pruned while their effective alpha is at most this. 0 prunes
   * nothing. @default 0
   */
  ccpAlpha?: number;
  /**
   * A node is split only if the split decreases the weighted impurity by at least this:
   * (N_t / N) * (impurity - N_tR / N_t * right impurity - N_tL / N_t * left impurity),
   * N the tree's total sample weight, N_t the node's. @default 0
   */
  minImpurityDecrease?: number;
  /**
   * Grow trees best-first (largest impurity decrease first) to at most this many leaves;
   * null grows depth-first without a leaf limit. @default null
   */
  maxLeafNodes?: number | null;
  /**
   * Weights of the classes: 'balanced' (n_samples / (n_classes * count of the class), on
   * the whole training set), 'balanced_subsample' (the same on each tree's bootstrap
   * sample), a map from class label to weight (classes not named weigh 1), or null.
   * @default null
   */
  classWeight?: ClassWeight;
  /**
   * Estimate accuracy on the out-of-bag rows (needs `bootstrap`); read it as
   * `forest.oobScore` and `forest.oobDecisionFunction`. @default false
   */
  oobScore?: boolean;
}

/** scikit-learn's `class_weight`: a preset, a map from class label to weight, or null. */
export type ClassWeight =
  'balanced' | 'balanced_subsample' | Readonly<Record<number, number>> | ReadonlyMap<number, number> | null;

/** The options with defaults applied; a class-weight map becomes a plain object. */
export type ResolvedForestOptions = Required<Omit<RandomForestOptions, 'classWeight'>> & {
  classWeight: 'balanced' | 'balanced_subsample' | Readonly<Record<number, number>> | null;
};

const KNOWN_OPTIONS: readonly string[] = [
  'nEstimators',
  'criterion',
  'maxDepth',
  'minSamplesSplit',
  'minSamplesLeaf',
  'maxFeatures',
  'bootstrap',
  'maxSamples',
  'maxBins',
  'seed',
  'ccpAlpha',
  'minImpurityDecrease',
  'maxLeafNodes',
  'classWeight',
  'oobScore',
];

/** Names a likely meant option for a misspelled one (scikit-learn's snake_case included). */
function suggestion(key: string): string {
  const plain = key.replace(/_/g, '').toLowerCase();
  const hit = KNOWN_OPTIONS.find((k) => k.toLowerCase() === plain || k.toLowerCase() === `${plain}s`);
  return hit === undefined ? '' : ` (did you mean ${hit}?)`;
}

function nonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number')
    throw new TypeError(`options.${name} must be a number, got ${String(value)}`);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`options.${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new TypeError(`options.${name} must be true or false, got ${String(value)}`);
  return value;
}

function resolveClassWeight(value: unknown): ResolvedForestOptions['classWeight'] {
  if (value === null || value === 'balanced' || value === 'balanced_subsample') return value;
  let entries: [unknown, unknown][];
  if (value instanceof Map) entries = [...(value as Map<unknown, unknown>).entries()];
  else if (typeof value === 'object' && !Array.isArray(value)) entries = Object.entries(value as object);
  else {
    throw new TypeError(
      `options.classWeight must be 'balanced', 'balanced_subsample', a map from class label to weight, or null; got ${String(value)}`,
    );
  }
  const out: Record<number, number> = {};
  for (const [k, w] of entries) {
    const label = typeof k === 'string' && k.trim() !== '' ? Number(k) : k;
    if (typeof label !== 'number' || !Number.isInteger(label)) {
      throw new TypeError(`options.classWeight keys must be integer class labels, got ${String(k)}`);
    }
    if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) {
      throw new RangeError(`options.classWeight[${label}] must be a finite number > 0, got ${String(w)}`);
    }
    out[label] = w;
  }
  return out;
}

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
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(key)) {
      throw new TypeError(
        `options.${key} is not an option of RandomForestClassifier${suggestion(key)}; known: ${KNOWN_OPTIONS.join(', ')}`,
      );
    }
  }
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
  const maxLeafNodes = options.maxLeafNodes ?? null;
  const bootstrap = bool('bootstrap', options.bootstrap ?? true);
  const oobScore = bool('oobScore', options.oobScore ?? false);
  if (oobScore && !bootstrap) {
    throw new RangeError(
      'options.oobScore needs options.bootstrap: out-of-bag rows exist only with bootstrap',
    );
  }
  return {
    nEstimators: integer('nEstimators', options.nEstimators ?? 100, 1),
    criterion,
    maxDepth: maxDepth === null ? null : integer('maxDepth', maxDepth, 1),
    minSamplesSplit: integer('minSamplesSplit', options.minSamplesSplit ?? 2, 2),
    minSamplesLeaf: integer('minSamplesLeaf', options.minSamplesLeaf ?? 1, 1),
    maxFeatures,
    bootstrap,
    maxSamples,
    maxBins: integer('maxBins', options.maxBins ?? 255, 2, 255),
    seed: integer('seed', options.seed ?? 0, 0, 2 ** 32 - 1),
    ccpAlpha: nonNegative('ccpAlpha', options.ccpAlpha ?? 0),
    minImpurityDecrease: nonNegative('minImpurityDecrease', options.minImpurityDecrease ?? 0),
    maxLeafNodes: maxLeafNodes === null ? null : integer('maxLeafNodes', maxLeafNodes, 2),
    classWeight: resolveClassWeight(options.classWeight ?? null),
    oobScore,
  };
}
