import type { TrialResult } from '../trial.js';
import {
  SchedulerDecision,
  checkMode,
  objective,
  percentile,
  readMetric,
  type TrialScheduler,
} from './scheduler.js';

/** Options of {@link MedianStoppingRule}; names and defaults follow Ray's. */
export interface MedianStoppingOptions {
  /** @default 'timeTotalS' */
  timeAttr?: string;
  metric?: string;
  mode?: 'min' | 'max';
  /** No trial is stopped before this much `timeAttr`. @default 60 */
  gracePeriod?: number;
  /** How many other trials must have reached the same time before one is stopped. @default 3 */
  minSamplesRequired?: number;
}

/**
 * Stops a trial whose best result so far is worse than the median of the other trials'
 * running means at the same point in time (Golovin et al. 2017, Google Vizier).
 */
export class MedianStoppingRule implements TrialScheduler {
  readonly name = 'MedianStoppingRule';
  private readonly options: { timeAttr: string; gracePeriod: number; minSamplesRequired: number } & Pick<
    MedianStoppingOptions,
    'metric' | 'mode'
  >;
  private readonly results = new Map<string, { t: number; value: number }[]>();
  private readonly stopped = new Set<string>();
  private metric = '';
  private sign = 1;

  constructor(options: MedianStoppingOptions = {}) {
    const gracePeriod = options.gracePeriod ?? 60;
    const minSamplesRequired = options.minSamplesRequired ?? 3;
    if (!(gracePeriod >= 0)) throw new RangeError('options.gracePeriod must be 0 or more');
    if (!Number.isInteger(minSamplesRequired) || minSamplesRequired < 1) {
      throw new RangeError('options.minSamplesRequired must be a positive integer');
    }
    checkMode('options.mode', options.mode);
    this.options = { timeAttr: options.timeAttr ?? 'timeTotalS', gracePeriod, minSamplesRequired };
    if (options.metric !== undefined) this.options.metric = options.metric;
    if (options.mode !== undefined) this.options.mode = options.mode;
  }

  setSearchProperties(metric: string | undefined, mode: 'min' | 'max' | undefined): void {
    const o = objective('MedianStoppingRule', this.options, metric, mode);
    this.metric = o.metric;
    this.sign = o.mode === 'max' ? 1 : -1;
  }

  onTrialAdd(trialId: string): void {
    if (!this.results.has(trialId)) this.results.set(trialId, []);
  }

  onTrialResult(trialId: string, result: TrialResult): SchedulerDecision {
    if (this.stopped.has(trialId)) return SchedulerDecision.STOP;
    const t = result[this.options.timeAttr];
    const value = readMetric(result, this.metric);
    if (typeof t !== 'number' || value === undefined) return SchedulerDecision.CONTINUE;
    const own = this.results.get(trialId) ?? [];
    own.push({ t, value: this.sign * value });
    this.results.set(trialId, own);
    if (t < this.options.gracePeriod) return SchedulerDecision.CONTINUE;
    const means: number[] = [];
    for (const [id, history] of this.results) {
      if (id === trialId) continue;
      const last = history[history.length - 1];
      if (!last || last.t < t) continue;
      const upTo = history.filter((r) => r.t <= t);
      if (upTo.length > 0) means.push(upTo.reduce((s, r) => s + r.value, 0) / upTo.length);
    }
    if (means.length < this.options.minSamplesRequired) return SchedulerDecision.CONTINUE;
    const best = Math.max(...own.map((r) => r.value));
    if (best < percentile(means, 50)) {
      this.stopped.add(trialId);
      return SchedulerDecision.STOP;
    }
    return SchedulerDecision.CONTINUE;
  }

  onTrialComplete(): void {}
  onTrialError(): void {}

  describe(): { type: string; options: Record<string, unknown> } {
    return { type: 'MedianStoppingRule', options: { ...this.options } };
  }
}
