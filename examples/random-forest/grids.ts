// The grids of the Covertype experiment, and the seed's troublesome configuration.
import type { MaxFeatures } from '@de2/forest';
import { grid, gridVariants } from '@de2/tune';
import type { GridName } from './options.js';

/** One trial's forest parameters (scikit-learn's, camelCased). */
export interface ForestConfig {
  nEstimators: number;
  maxDepth: number | null;
  maxFeatures: MaxFeatures;
  minSamplesLeaf: number;
  /** Minimal cost-complexity pruning (scikit-learn's ccp_alpha); only the seed grid sets it. */
  ccpAlpha?: number;
}

interface GridSpec {
  readonly nEstimators: number[];
  readonly maxDepth: (number | null)[];
  readonly maxFeatures: MaxFeatures[];
  readonly minSamplesLeaf: number[];
  /** Searched only where given (the seed grid); the other grids leave the default, 0. */
  readonly ccpAlpha?: number[];
  /** Trees at the first report; the forest doubles at each later one (ASHA rungs). */
  readonly step: number;
}

/** Grids by name; each is the cartesian product of its lists. */
export const GRID_SPECS: Readonly<Record<GridName, GridSpec>> = {
  // 4 trials in a few seconds: for tests.
  tiny: { nEstimators: [10, 20], maxDepth: [8, null], maxFeatures: ['sqrt'], minSamplesLeaf: [1], step: 10 },
  // 16 trials, the default: under 3 minutes on 2 cores with the 20,000-row sample.
  small: {
    nEstimators: [50, 100],
    maxDepth: [10, null],
    maxFeatures: ['sqrt', 0.5],
    minSamplesLeaf: [1, 4],
    step: 25,
  },
  // 48 trials, the assignment's size of search (it grid-searched n_estimators x max_depth incl.
  // None x max_features x min_samples_leaf); meant for the full data on 1-3 nodes.
  full: {
    nEstimators: [100, 200, 400],
    maxDepth: [10, 20, 30, null],
    maxFeatures: ['sqrt', 0.5],
    minSamplesLeaf: [1, 4],
    step: 50,
  },
  // 9 trials, the assignment's own grid: max_depth [10, 20, None] x ccp_alpha [0, 1e-4, 1e-3],
  // the other parameters at scikit-learn's defaults; plus the seed's troublesome trial and the
  // 4,000-tree one (see gridConfigs).
  seed: {
    nEstimators: [100],
    maxDepth: [10, 20, null],
    maxFeatures: ['sqrt'],
    minSamplesLeaf: [1],
    ccpAlpha: [0, 1e-4, 1e-3],
    step: 25,
  },
};

/**
 * The seed's troublesome trial as the seed had it: unbounded depth with pruning
 * (ccp_alpha > 0), with the most trees of the full grid. In scikit-learn each tree is grown
 * whole and then copied into a pruned tree; here it is pruned in place, and the forest keeps
 * only pruned trees. The seed grid's default budget has room for it (see README, "the OOM story").
 */
export const SEED_TROUBLESOME_CONFIG: ForestConfig = {
  nEstimators: 400,
  maxDepth: null,
  maxFeatures: 'sqrt',
  minSamplesLeaf: 1,
  ccpAlpha: 1e-4,
};

/**
 * The configuration that took the seed's Ray cluster down: unbounded depth and a huge forest.
 * Under the trials' memory budget it must end alone as an ERROR with OutOfMemoryError.
 */
export const OOM_CONFIG: ForestConfig = {
  nEstimators: 4000,
  maxDepth: null,
  maxFeatures: 0.5,
  minSamplesLeaf: 1,
};

/**
 * Every trial's config, in grid order, plus the troublesome ones (last): the seed grid always
 * has the seed's own troublesome trial and the 4,000-tree one; the full grid the 4,000-tree
 * one; the others when asked.
 */
export function gridConfigs(name: GridName, includeOom: boolean): ForestConfig[] {
  const s = GRID_SPECS[name];
  const configs = gridVariants({
    nEstimators: grid(s.nEstimators),
    maxDepth: grid(s.maxDepth),
    maxFeatures: grid(s.maxFeatures),
    minSamplesLeaf: grid(s.minSamplesLeaf),
    ...(s.ccpAlpha ? { ccpAlpha: grid(s.ccpAlpha) } : {}),
  }) as unknown as ForestConfig[];
  if (name === 'seed') return [...configs, SEED_TROUBLESOME_CONFIG, OOM_CONFIG];
  return includeOom || name === 'full' ? [...configs, OOM_CONFIG] : configs;
}

/** The Tuner's search space: one grid over whole configs, so an extra trial can join the product. */
export function paramSpace(configs: ForestConfig[]): Record<string, unknown> {
  return { rf: grid(configs) };
}

/**
 * The default memory budget of a trial in MiB: room for the largest forest of the grid's own
 * configurations, and not for the troublesome one. Measured on the 16,000 training rows of the
 * sample: a trial thread with its data views uses about 20 MiB, and an unbounded tree (sqrt
 * features, one-row leaves, the largest kind) about 0.17 MiB of typed arrays; both grow about
 * linearly with the training rows. So 40 MiB plus 0.2 MiB per tree, per 16,000 rows.
 */
export function defaultMemoryMb(name: GridName, trainRows: number): number {
  // The seed grid's own configurations include the seed's troublesome trial (400 trees, pruned
  // trees a little smaller than unpruned ones): room for it too, not for the 4,000-tree one.
  const seedTrees = name === 'seed' ? [SEED_TROUBLESOME_CONFIG.nEstimators ?? 0] : [];
  const maxTrees = Math.max(...GRID_SPECS[name].nEstimators, ...seedTrees);
  return Math.ceil((40 + 0.2 * maxTrees) * Math.max(1, trainRows / 16_000));
}
