import os from 'node:os';
import path from 'node:path';
import type { TrialScheduler } from './schedulers/scheduler.js';
import type { SearchAlgorithm } from './search/search-algorithm.js';
import type { StopCriteria } from './stop.js';

/** How the search runs (Ray's `TuneConfig`). */
export interface TuneConfig {
  /** The metric to optimize; used by schedulers, search algorithms and `getBestResult`. */
  metric?: string;
  mode?: 'min' | 'max';
  /** Grid search: repeats the whole grid. Other search algorithms: the number of trials. @default 1 */
  numSamples?: number;
  /** @default as many as the cluster's CPUs fit */
  maxConcurrentTrials?: number;
  /** @default FIFOScheduler */
  scheduler?: TrialScheduler;
  /** @default BasicVariantGenerator (grid and random search) */
  searchAlg?: SearchAlgorithm;
  /** Makes sampled configs reproducible. */
  seed?: number;
}

/** Ray's `FailureConfig`. */
export interface FailureConfig {
  /** Retries per trial, from its last checkpoint; -1 retries forever. @default 0 */
  maxFailures?: number;
  /** Stop the experiment at the first trial error (fit() then rejects). @default false */
  failFast?: boolean;
}

/** Progress output: `'auto'` is a table redrawn in place on a terminal, lines otherwise. */
export type ProgressMode = 'auto' | 'table' | 'lines' | 'none';

export interface ProgressOptions {
  /** @default 'auto' */
  mode?: ProgressMode;
  /** @default process.stdout */
  output?: NodeJS.WritableStream & { isTTY?: boolean };
  /** How often the table is redrawn or a status line printed. @default 1000 (table), 5000 (lines) */
  intervalMs?: number;
}

/** Where and how the experiment runs (Ray's `RunConfig`). */
export interface RunConfig {
  /** The experiment folder's name. @default `<trainable>_<date>_<id>` */
  name?: string;
  /** @default ~/de2_results */
  storagePath?: string;
  stop?: StopCriteria;
  failureConfig?: FailureConfig;
  /** @default 'auto' */
  progress?: ProgressMode | ProgressOptions;
}

export interface TunerOptions {
  paramSpace?: Record<string, unknown>;
  tuneConfig?: TuneConfig;
  runConfig?: RunConfig;
}

/** Options of `Tuner.restore`, with Ray's defaults. */
export interface RestoreOptions {
  /** Run trials that were PENDING or RUNNING when the experiment stopped. @default true */
  resumeUnfinished?: boolean;
  /** Run ERROR trials again from their last checkpoint. @default false */
  resumeErrored?: boolean;
  /** Run ERROR trials again from scratch. @default false */
  restartErrored?: boolean;
  /** Needed again when the original used `sampleFrom` with a model-based search. */
  paramSpace?: Record<string, unknown>;
  /** A function `stop` cannot be saved: pass it again. */
  stop?: StopCriteria;
  /** Replaces the saved scheduler or search algorithm (needed for custom ones). */
  scheduler?: TrialScheduler;
  searchAlg?: SearchAlgorithm;
  progress?: ProgressMode | ProgressOptions;
}

function int(name: string, v: unknown, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || (v as number) < min)) {
    throw new RangeError(`${name} must be an integer of at least ${min}`);
  }
}

export function validate(options: TunerOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { paramSpace, tuneConfig: tc = {}, runConfig: rc = {} } = options;
  if (
    paramSpace !== undefined &&
    (typeof paramSpace !== 'object' || paramSpace === null || Array.isArray(paramSpace))
  ) {
    throw new TypeError('options.paramSpace must be an object');
  }
  if (tc.mode !== undefined && tc.mode !== 'min' && tc.mode !== 'max') {
    throw new TypeError("options.tuneConfig.mode must be 'min' or 'max'");
  }
  if (tc.metric !== undefined && typeof tc.metric !== 'string')
    throw new TypeError('options.tuneConfig.metric must be a string');
  if ((tc.metric === undefined) !== (tc.mode === undefined)) {
    throw new TypeError('options.tuneConfig.metric and options.tuneConfig.mode must be set together');
  }
  int('options.tuneConfig.numSamples', tc.numSamples, 1);
  int('options.tuneConfig.maxConcurrentTrials', tc.maxConcurrentTrials, 1);
  if (tc.seed !== undefined && !Number.isInteger(tc.seed))
    throw new TypeError('options.tuneConfig.seed must be an integer');
  int('options.runConfig.failureConfig.maxFailures', rc.failureConfig?.maxFailures, -1);
  if (rc.name !== undefined && (typeof rc.name !== 'string' || rc.name === '' || /[\\/]/.test(rc.name))) {
    throw new TypeError('options.runConfig.name must be a non-empty string without slashes');
  }
  if (rc.storagePath !== undefined && typeof rc.storagePath !== 'string') {
    throw new TypeError('options.runConfig.storagePath must be a string');
  }
  checkProgress(rc.progress);
}

export function checkProgress(progress: unknown): void {
  const modes = ['auto', 'table', 'lines', 'none'];
  const mode =
    typeof progress === 'object' && progress !== null ? (progress as ProgressOptions).mode : progress;
  if (mode !== undefined && !modes.includes(mode as string)) {
    throw new TypeError(`options.runConfig.progress must be one of ${modes.join(', ')}`);
  }
}

export function defaultStoragePath(): string {
  return path.join(os.homedir(), 'de2_results');
}

/** `<trainable>_<date>_<id>`: the id keeps two runs started in the same second apart. */
export function defaultName(trainableName: string, experimentId: string): string {
  const d = new Date().toISOString().replace(/[:T]/g, '-').slice(0, 19);
  return `${trainableName}_${d}_${experimentId}`;
}
