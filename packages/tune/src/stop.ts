import type { TrialResult } from './trial.js';

/**
 * When to stop a trial: a dict of thresholds (a trial stops once any listed result field
 * reaches its value, e.g. `{ trainingIteration: 10, accuracy: 0.99 }`, as in Ray), or a
 * function of the trial id and its latest result.
 */
export type StopCriteria =
  Readonly<Record<string, number>> | ((trialId: string, result: TrialResult) => boolean);

export function checkStop(stop: unknown): StopCriteria | undefined {
  if (stop === undefined) return undefined;
  if (typeof stop === 'function') return stop as StopCriteria;
  if (typeof stop !== 'object' || stop === null || Array.isArray(stop)) {
    throw new TypeError('options.runConfig.stop must be an object of thresholds or a function');
  }
  for (const [k, v] of Object.entries(stop)) {
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new TypeError(`options.runConfig.stop.${k} must be a number`);
    }
  }
  return stop as StopCriteria;
}

export function shouldStop(stop: StopCriteria | undefined, trialId: string, result: TrialResult): boolean {
  if (stop === undefined) return false;
  if (typeof stop === 'function') return Boolean(stop(trialId, result));
  for (const [k, threshold] of Object.entries(stop)) {
    const v = result[k];
    if (typeof v === 'number' && v >= threshold) return true;
  }
  return false;
}
