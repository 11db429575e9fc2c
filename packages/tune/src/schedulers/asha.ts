import type { TrialResult } from '../trial.js';
import {
  SchedulerDecision,
  checkMode,
  objective,
  percentile,
  readMetric,
  type TrialScheduler,
} from './scheduler.js';

/** Options of {@link ASHAScheduler}; names follow Ray's `ASHAScheduler`. */
export interface ASHAOptions {
  /** The result field that measures progress. @default 'trainingIteration' */
  timeAttr?: string;
  /** Defaults to the Tuner's metric. */
  metric?: string;
  /** Defaults to the Tuner's mode. */
  mode?: 'min' | 'max';
  /** A trial is stopped once `timeAttr` reaches this. @default 100 */
  maxT?: number;
  /** No trial is stopped before this much `timeAttr`. @default 1 */
  gracePeriod?: number;
  /** Only the top 1/reductionFactor of each rung goes on. @default 4 */
  reductionFactor?: number;
}

/**
 * Asynchronous successive halving (ASHA, Li et al. 2018; Ray's `ASHAScheduler` with one
 * bracket). Rungs sit at gracePeriod * reductionFactor^k; a trial reaching a rung goes on
 * only if its result is in the top 1/reductionFactor of what that rung has recorded so far.
 */
export class ASHAScheduler implements TrialScheduler {
  readonly name = 'ASHAScheduler';
  private readonly options: Required<Omit<ASHAOptions, 'metric' | 'mode'>> &
    Pick<ASHAOptions, 'metric' | 'mode'>;
  /** Rungs from the highest milestone down: milestone -> (trialId -> signed reward). */
  private readonly rungs: { milestone: number; recorded: Map<string, number> }[] = [];
  private metric = '';
  private sign = 1;

  constructor(options: ASHAOptions = {}) {
    const maxT = options.maxT ?? 100;
    const gracePeriod = options.gracePeriod ?? 1;
    const reductionFactor = options.reductionFactor ?? 4;
    if (!(maxT > 0)) throw new RangeError('options.maxT must be greater than 0');
    if (!(gracePeriod > 0)) throw new RangeError('options.gracePeriod must be greater than 0');
    if (gracePeriod > maxT) throw new RangeError('options.gracePeriod must not exceed options.maxT');
    if (!(reductionFactor > 1)) throw new RangeError('options.reductionFactor must be greater than 1');
    checkMode('options.mode', options.mode);
    this.options = { timeAttr: options.timeAttr ?? 'trainingIteration', maxT, gracePeriod, reductionFactor };
    if (options.metric !== undefined) this.options.metric = options.metric;
    if (options.mode !== undefined) this.options.mode = options.mode;
    const numRungs = Math.floor(Math.log(maxT / gracePeriod) / Math.log(reductionFactor) + 1 + 1e-9);
    for (let k = numRungs - 1; k >= 0; k--) {
      this.rungs.push({ milestone: gracePeriod * reductionFactor ** k, recorded: new Map() });
    }
  }

  setSearchProperties(metric: string | undefined, mode: 'min' | 'max' | undefined): void {
    const o = objective('ASHAScheduler', this.options, metric, mode);
    this.metric = o.metric;
    this.sign = o.mode === 'max' ? 1 : -1;
  }

  /** The rung milestones, lowest first. */
  get milestones(): number[] {
    return this.rungs.map((r) => r.milestone).reverse();
  }

  onTrialAdd(): void {}

  onTrialResult(trialId: string, result: TrialResult): SchedulerDecision {
    const t = result[this.options.timeAttr];
    if (typeof t !== 'number') return SchedulerDecision.CONTINUE;
    if (t >= this.options.maxT) return SchedulerDecision.STOP;
    const value = readMetric(result, this.metric);
    let decision: SchedulerDecision = SchedulerDecision.CONTINUE;
    for (const rung of this.rungs) {
      if (t < rung.milestone || rung.recorded.has(trialId)) continue;
      if (value === undefined) break;
      const reward = this.sign * value;
      if (rung.recorded.size > 0) {
        const cutoff = percentile([...rung.recorded.values()], (1 - 1 / this.options.reductionFactor) * 100);
        if (reward < cutoff) decision = SchedulerDecision.STOP;
      }
      rung.recorded.set(trialId, reward);
      break;
    }
    return decision;
  }

  onTrialComplete(): void {}
  onTrialError(): void {}

  describe(): { type: string; options: Record<string, unknown> } {
    return { type: 'ASHAScheduler', options: { ...this.options } };
  }
}
