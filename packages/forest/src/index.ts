/**
 * @de2/forest: a fast random-forest classifier for typed arrays.
 * @packageDocumentation
 */
export {
  resolveForestOptions,
  type RandomForestOptions,
  type MaxFeatures,
  type ResolvedForestOptions,
} from './options.js';
