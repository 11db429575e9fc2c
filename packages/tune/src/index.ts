/**
 * @de2/tune: hyperparameter search on de2, modelled on Ray Tune.
 *
 * @example
 * ```ts
 * import { Tuner, grid, uniform } from '@de2/tune';
 * const tuner = new Tuner(async (config: { lr: number; layers: number }, ctx) => {
 *   for (let epoch = 1; epoch <= 10; epoch++) await ctx.report({ loss: config.lr * epoch });
 * }, {
 *   paramSpace: { lr: uniform(0.001, 0.1), layers: grid([2, 4]) },
 *   tuneConfig: { metric: 'loss', mode: 'min', numSamples: 3 },
 * });
 * const results = await tuner.fit();
 * console.log(results.getBestResult().config);
 * ```
 * @packageDocumentation
 */
export {
  grid,
  choice,
  uniform,
  quniform,
  loguniform,
  randint,
  qrandint,
  randn,
  sampleFrom,
  gridVariants,
  generateVariants,
  type GridSearch,
  type Domain,
  type SampleFrom,
  type ParamSpace,
} from './search-space.js';
export type { SearchAlgorithm, SearchProperties } from './search/search-algorithm.js';
export { BasicVariantGenerator } from './search/basic-variant.js';
export { TPESearch, type TPEOptions } from './search/tpe.js';
export { SchedulerDecision, FIFOScheduler, type TrialScheduler } from './schedulers/scheduler.js';
export { ASHAScheduler, type ASHAOptions } from './schedulers/asha.js';
export { MedianStoppingRule, type MedianStoppingOptions } from './schedulers/median-stopping.js';
export type { StopCriteria } from './stop.js';
export { TrialStatus, type TrialResult } from './trial.js';
export { TuneError, TuneErrorCode, TrialErrorRecord } from './errors.js';
export { Result, ResultGrid } from './result-grid.js';
export {
  withResources,
  withParameters,
  type TrialContext,
  type TrainableFn,
  type Trainable,
  type TrialResources,
} from './trainable.js';
export { Tuner } from './tuner.js';
export type {
  TunerOptions,
  TuneConfig,
  RunConfig,
  FailureConfig,
  ProgressMode,
  ProgressOptions,
  RestoreOptions,
} from './tuner-options.js';
