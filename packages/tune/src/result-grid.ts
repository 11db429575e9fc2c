import { TrialErrorRecord, TuneError, TuneErrorCode } from './errors.js';
import { flatten } from './storage/csv.js';
import type { TrialRecord, TrialResult } from './trial.js';
import { TrialStatus } from './trial.js';

/** One trial's outcome (Ray's `Result`). */
export class Result {
  /** The trial's id. */
  readonly trialId: string;
  readonly config: Record<string, unknown>;
  /** The last reported result (undefined if the trial never reported). */
  readonly metrics: TrialResult | undefined;
  /** Every result, in order. */
  readonly metricsHistory: readonly TrialResult[];
  /** The trial's error if it ended in ERROR. */
  readonly error: Error | undefined;
  /** The trial's folder. */
  readonly path: string;
  readonly status: string;
  /** True when a scheduler or stop criterion ended the trial early. */
  readonly stoppedEarly: boolean;
  private readonly loadCheckpoint: () => unknown;

  constructor(init: {
    record: TrialRecord;
    history: readonly TrialResult[];
    error: Error | undefined;
    path: string;
    loadCheckpoint: () => unknown;
  }) {
    this.trialId = init.record.id;
    this.config = init.record.config;
    this.metrics = init.record.lastResult;
    this.metricsHistory = init.history;
    this.error = init.error ?? (init.record.error ? new TrialErrorRecord(init.record.error) : undefined);
    this.path = init.path;
    this.status = init.record.status;
    this.stoppedEarly = init.record.stoppedEarly;
    this.loadCheckpoint = init.loadCheckpoint;
  }

  /** The trial's last checkpoint (what it passed to `ctx.report(..., { checkpoint })`), read from disk. */
  get checkpoint(): unknown {
    return this.loadCheckpoint();
  }
}

/** Every trial's Result (Ray's `ResultGrid`), indexable like an array. */
export class ResultGrid implements Iterable<Result> {
  readonly [index: number]: Result;
  readonly experimentPath: string;
  private readonly results: readonly Result[];
  private readonly metric: string | undefined;
  private readonly mode: 'min' | 'max' | undefined;

  constructor(
    results: readonly Result[],
    options: { experimentPath: string; metric: string | undefined; mode: 'min' | 'max' | undefined },
  ) {
    this.results = results;
    this.experimentPath = options.experimentPath;
    this.metric = options.metric;
    this.mode = options.mode;
    results.forEach((r, i) => Object.defineProperty(this, i, { value: r, enumerable: true }));
  }

  get length(): number {
    return this.results.length;
  }

  [Symbol.iterator](): Iterator<Result> {
    return this.results[Symbol.iterator]();
  }

  /** The errors of trials that ended in ERROR. */
  get errors(): Error[] {
    return this.results.flatMap((r) => (r.status === TrialStatus.ERROR && r.error ? [r.error] : []));
  }

  get numErrors(): number {
    return this.results.filter((r) => r.status === TrialStatus.ERROR).length;
  }

  get numTerminated(): number {
    return this.results.filter((r) => r.status === TrialStatus.TERMINATED).length;
  }

  /**
   * The best trial by `metric` (default: the Tuner's). `scope: 'last'` compares each
   * trial's last result; `'all'` compares the best result a trial ever reported. Results
   * that are not finite numbers are skipped.
   *
   * As in Ray (`ResultGrid.get_best_result`), trials of every status take part: a trial
   * that reported the best value and then failed is returned, with its `error` and
   * `status` set. To pick among finished trials only, filter them first, e.g.
   * `[...results].filter((r) => r.status === TrialStatus.TERMINATED)`.
   */
  getBestResult(metric?: string, mode?: 'min' | 'max', scope: 'last' | 'all' = 'last'): Result {
    const m = metric ?? this.metric;
    const d = mode ?? this.mode;
    if (m === undefined || d === undefined) {
      throw new TypeError('getBestResult needs a metric and a mode (none were set in tuneConfig)');
    }
    if (d !== 'min' && d !== 'max') throw new TypeError("mode must be 'min' or 'max'");
    if (scope !== 'last' && scope !== 'all') throw new TypeError("scope must be 'last' or 'all'");
    const sign = d === 'max' ? 1 : -1;
    let best: Result | undefined;
    let bestValue = -Infinity;
    for (const r of this.results) {
      const candidates = scope === 'last' ? (r.metrics ? [r.metrics] : []) : r.metricsHistory;
      for (const c of candidates) {
        const v = c[m];
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        if (sign * v > bestValue) {
          bestValue = sign * v;
          best = r;
        }
      }
    }
    if (!best) throw new TuneError(TuneErrorCode.NO_RESULT, `no trial reported a finite "${m}"`);
    return best;
  }

  /** One flat row per trial (config as `config.x`), for a table or CSV. */
  rows(): Record<string, unknown>[] {
    return this.results.map((r) => ({
      trialId: r.trialId,
      status: r.status,
      ...flatten(r.metrics ?? {}),
      ...flatten(r.config, 'config'),
      ...(r.error ? { error: `${r.error.name}: ${r.error.message}` } : {}),
    }));
  }
}
