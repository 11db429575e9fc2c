/**
 * @de2/forest: a fast random-forest classifier for typed arrays.
 *
 * @example
 * ```ts
 * import { Dataset, RandomForestClassifier } from '@de2/forest';
 * const train = Dataset.fromMatrix(X, y, { nFeatures: 54 }); // binned once, shareable
 * const rf = new RandomForestClassifier({ nEstimators: 100, seed: 0 }).fit(train);
 * rf.predict(Xtest, 54);
 * ```
 * @packageDocumentation
 */
export { RandomForestClassifier } from './forest.js';
export { Dataset, type DatasetObject, type DatasetOptions } from './dataset.js';
export { ForestError, ForestErrorCode } from './errors.js';
export type { Matrix, Labels } from './input.js';
export type { ForestJSON, TreeJSON } from './serialize.js';
export type { PruningPath } from './prune.js';
export {
  resolveForestOptions,
  type RandomForestOptions,
  type MaxFeatures,
  type ClassWeight,
  type ResolvedForestOptions,
} from './options.js';
