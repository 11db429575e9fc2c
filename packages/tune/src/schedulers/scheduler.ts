import type { TrialResult } from '../trial.js';

/** What a scheduler tells a running trial after a result. */
export const SchedulerDecision = {
  CONTINUE: 'CONTINUE',
  STOP: 'STOP',
} as const;
export type SchedulerDecision = (typeof SchedulerDecision)[keyof typeof SchedulerDecision];

/**
 * Early stopping (Ray's `TrialScheduler`): sees every result and may stop a trial. The
 * Tuner hands down its `metric` and `mode` when the scheduler has none of its own.
 */
export interface TrialScheduler {
  readonly name: string;
  setSearchProperties(metric: string | undefined, mode: 'min' | 'max' | undefined): void;
  onTrialAdd(trialId: string): void;
  onTrialResult(trialId: string, result: TrialResult): SchedulerDecision;
  onTrialComplete(trialId: string, result: TrialResult | undefined): void;
  onTrialError(trialId: string): void;
  /** The options it was built with, so `Tuner.restore` can rebuild it. */
  describe(): { type: string; options: Record<string, unknown> };
}

/** Runs every trial to the end (the default). */
export class FIFOScheduler implements TrialScheduler {
  readonly name = 'FIFOScheduler';
  setSearchProperties(): void {}
  onTrialAdd(): void {}
  onTrialResult(): SchedulerDecision {
    return SchedulerDecision.CONTINUE;
  }
  onTrialComplete(): void {}
  onTrialError(): void {}
  describe(): { type: string; options: Record<string, unknown> } {
    return { type: 'FIFOScheduler', options: {} };
  }
}

/** Reads a numeric metric from a result; undefined when absent or not a finite number. */
export function readMetric(result: TrialResult, metric: string): number | undefined {
  const value = result[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Resolves the objective: the scheduler's own or the Tuner's; throws if neither is set. */
export function objective(
  who: string,
  own: { metric?: string | undefined; mode?: 'min' | 'max' | undefined },
  metric: string | undefined,
  mode: 'min' | 'max' | undefined,
): { metric: string; mode: 'min' | 'max' } {
  const m = own.metric ?? metric;
  const d = own.mode ?? mode;
  if (m === undefined || d === undefined) {
    throw new TypeError(`${who} needs a metric and a mode: set them on it or in tuneConfig`);
  }
  return { metric: m, mode: d };
}

/** Linear-interpolated percentile (numpy's default), p in [0, 100]. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}

export function checkMode(name: string, mode: unknown): void {
  if (mode !== undefined && mode !== 'min' && mode !== 'max') {
    throw new TypeError(`${name} must be 'min' or 'max'`);
  }
}
