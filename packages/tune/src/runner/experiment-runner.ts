import { ErrorCode } from '@de2/core';
import type { ProgressReporter } from '../progress/reporter.js';
import { SchedulerDecision, type TrialScheduler } from '../schedulers/scheduler.js';
import type { SearchAlgorithm } from '../search/search-algorithm.js';
import { shouldStop, type StopCriteria } from '../stop.js';
import type { ExperimentState, ExperimentStore } from '../storage/experiment-store.js';
import { TrialStatus, errorInfo, type TrialRecord, type TrialResult } from '../trial.js';
import { TuneError, TuneErrorCode } from '../errors.js';
import type { TrialEvents, TrialExecutor } from './executor.js';

/** Everything the runner needs, resolved from the Tuner's options (or the state file). */
export interface RunnerOptions {
  readonly experimentId: string;
  readonly trainableName: string;
  readonly store: ExperimentStore;
  readonly executor: TrialExecutor;
  readonly searcher: SearchAlgorithm;
  readonly scheduler: TrialScheduler;
  readonly reporter: ProgressReporter;
  readonly stop: StopCriteria | undefined;
  readonly maxConcurrentTrials: number | undefined;
  /** How many trials a non-grid search algorithm may suggest (numSamples). */
  readonly maxTrials: number | undefined;
  readonly maxFailures: number;
  readonly failFast: boolean;
  /** The rest of the state file, written as it is. */
  readonly stateBase: Omit<
    ExperimentState,
    'trials' | 'searcher' | 'nextIndex' | 'searchFinished' | 'finished'
  >;
  /** Trials from a restored experiment, and which of them to run again. */
  readonly trials: TrialRecord[];
  readonly queue: string[];
  readonly nextIndex: number;
  readonly searchFinished: boolean;
}

/** How often the results CSV is rewritten while the experiment runs. */
const CSV_INTERVAL_MS = 2000;

/** Per-attempt facts kept only in memory. */
interface Live {
  startedAt: number;
  lastReportAt: number;
  stopRequested: boolean;
  error?: unknown;
}

/**
 * The experiment loop: asks the search algorithm for configs while slots are free, feeds
 * results to the scheduler and stop criteria, retries failures from their checkpoint, and
 * writes the state file after every change so that a killed driver can resume.
 */
export class ExperimentRunner implements TrialEvents {
  readonly trials: TrialRecord[];
  private readonly byId = new Map<string, TrialRecord>();
  private readonly live = new Map<string, Live>();
  private readonly errors = new Map<string, unknown>();
  private readonly queue: string[];
  private nextIndex: number;
  private searchFinished: boolean;
  private interrupted = false;
  private failure: TuneError | undefined;
  private concurrency = 1;
  private settle: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private stateDirty = false;
  private csvTimer: NodeJS.Timeout | undefined;
  private csvWrittenAt = 0;

  constructor(private readonly o: RunnerOptions) {
    this.trials = o.trials;
    for (const t of this.trials) this.byId.set(t.id, t);
    this.queue = [...o.queue];
    this.nextIndex = o.nextIndex;
    this.searchFinished = o.searchFinished;
  }

  /** Live error objects (with their class) of trials that ended in ERROR in this run. */
  errorOf(trialId: string): Error | undefined {
    const e = this.errors.get(trialId);
    return e instanceof Error ? e : undefined;
  }

  get running(): number {
    return this.live.size;
  }

  get wasInterrupted(): boolean {
    return this.interrupted;
  }

  async run(): Promise<void> {
    await this.o.executor.start(this);
    this.concurrency = Math.max(1, this.o.maxConcurrentTrials ?? this.o.executor.defaultConcurrency());
    for (const t of this.trials) {
      if (t.status !== TrialStatus.TERMINATED && t.status !== TrialStatus.ERROR)
        this.o.scheduler.onTrialAdd(t.id);
    }
    this.o.reporter.start(this);
    const done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.saveState();
    this.fill();
    try {
      await done;
    } finally {
      this.o.reporter.finish(this);
    }
  }

  /** Ctrl+C: stop every running trial, keep it resumable, and end fit(). */
  interrupt(): void {
    if (this.interrupted || !this.settle) return;
    this.interrupted = true;
    for (const id of [...this.live.keys()]) {
      const t = this.byId.get(id);
      this.o.executor.cancel(id);
      if (t) t.status = TrialStatus.PENDING;
    }
    this.live.clear();
    this.saveState();
    this.maybeFinish();
  }

  private nextTrial(): TrialRecord | undefined {
    const queued = this.queue.shift();
    if (queued !== undefined) return this.byId.get(queued);
    if (this.searchFinished) return undefined;
    if (this.o.maxTrials !== undefined && this.nextIndex >= this.o.maxTrials) {
      this.searchFinished = true;
      return undefined;
    }
    const index = this.nextIndex;
    const id = `${this.o.experimentId}_${String(index).padStart(5, '0')}`;
    const config = this.o.searcher.suggest(id);
    if (config === null) {
      this.searchFinished = true;
      return undefined;
    }
    this.nextIndex++;
    const trial: TrialRecord = {
      id,
      index,
      config,
      dirName: `${this.o.trainableName}_${id}`,
      status: TrialStatus.PENDING,
      stoppedEarly: false,
      numFailures: 0,
      lastResult: undefined,
      error: undefined,
      checkpointIteration: undefined,
      timeOffsetS: 0,
      attempt: 0,
    };
    this.trials.push(trial);
    this.byId.set(id, trial);
    this.o.store.createTrial(trial);
    this.o.scheduler.onTrialAdd(id);
    return trial;
  }

  private fill(): void {
    while (!this.interrupted && !this.failure && this.live.size < this.concurrency) {
      const trial = this.nextTrial();
      if (!trial) break;
      this.launch(trial);
    }
    this.saveState();
    this.o.reporter.update(this);
    this.maybeFinish();
  }

  private launch(trial: TrialRecord): void {
    trial.attempt++;
    trial.status = TrialStatus.RUNNING;
    const now = Date.now();
    this.live.set(trial.id, { startedAt: now, lastReportAt: now, stopRequested: false });
    const checkpoint =
      trial.checkpointIteration === undefined ? undefined : this.o.store.readCheckpoint(trial);
    this.o.executor.launch({ trialId: trial.id, attempt: trial.attempt, config: trial.config, checkpoint });
  }

  private current(trialId: string, attempt: number): { trial: TrialRecord; live: Live } | undefined {
    const trial = this.byId.get(trialId);
    const live = this.live.get(trialId);
    if (!trial || !live || trial.attempt !== attempt || trial.status !== TrialStatus.RUNNING)
      return undefined;
    return { trial, live };
  }

  private makeResult(
    trial: TrialRecord,
    live: Live,
    metrics: Record<string, unknown>,
    done: boolean,
  ): TrialResult {
    const now = Date.now();
    const result: TrialResult = {
      ...metrics,
      trainingIteration: (trial.lastResult?.trainingIteration ?? 0) + 1,
      timeTotalS: trial.timeOffsetS + (now - live.startedAt) / 1000,
      timeThisIterS: (now - live.lastReportAt) / 1000,
      timestamp: Math.floor(now / 1000),
      trialId: trial.id,
      done,
    };
    live.lastReportAt = now;
    return result;
  }

  report(
    trialId: string,
    attempt: number,
    metrics: Record<string, unknown>,
    checkpoint: { value: unknown } | undefined,
  ): SchedulerDecision {
    const cur = this.current(trialId, attempt);
    if (!cur) return SchedulerDecision.STOP;
    const { trial, live } = cur;
    if (live.stopRequested) return SchedulerDecision.STOP;
    const result = this.makeResult(trial, live, metrics, false);
    trial.lastResult = result;
    this.o.store.appendResult(trial, result);
    if (checkpoint) {
      this.o.store.writeCheckpoint(trial, checkpoint.value);
      trial.checkpointIteration = result.trainingIteration;
    }
    this.o.searcher.onTrialResult?.(trialId, result);
    let decision = this.o.scheduler.onTrialResult(trialId, result);
    if (shouldStop(this.o.stop, trialId, result)) decision = SchedulerDecision.STOP;
    if (decision === SchedulerDecision.STOP) live.stopRequested = true;
    this.saveState();
    this.o.reporter.update(this);
    return decision;
  }

  done(trialId: string, attempt: number, returned: unknown, stopped: boolean): void {
    const cur = this.current(trialId, attempt);
    if (!cur) return;
    const { trial, live } = cur;
    const metrics = typeof returned === 'object' && returned !== null && !Array.isArray(returned);
    if (metrics && !live.stopRequested) {
      // A returned dict is the trial's last result, as in Ray's function API.
      const result = this.makeResult(trial, live, returned as Record<string, unknown>, true);
      trial.lastResult = result;
      this.o.store.appendResult(trial, result);
      this.o.searcher.onTrialResult?.(trialId, result);
    } else if (trial.lastResult) {
      trial.lastResult = { ...trial.lastResult, done: true };
    }
    trial.status = TrialStatus.TERMINATED;
    trial.stoppedEarly = live.stopRequested || stopped;
    trial.timeOffsetS += (Date.now() - live.startedAt) / 1000;
    this.live.delete(trialId);
    this.o.scheduler.onTrialComplete(trialId, trial.lastResult);
    this.o.searcher.onTrialComplete(trialId, trial.lastResult, false);
    this.csvSoon();
    this.o.reporter.trialFinished(this, trial);
    this.fill();
  }

  failed(trialId: string, attempt: number, error: unknown): void {
    const cur = this.current(trialId, attempt);
    if (!cur) return;
    const { trial, live } = cur;
    this.live.delete(trialId);
    trial.timeOffsetS += (Date.now() - live.startedAt) / 1000;
    trial.numFailures++;
    const info = errorInfo(error);
    this.o.store.writeError(trial, info);
    const outOfMemory = info.code === ErrorCode.OUT_OF_MEMORY;
    const retriesLeft = this.o.maxFailures < 0 || trial.numFailures <= this.o.maxFailures;
    if (!outOfMemory && retriesLeft) {
      // Retry from the last checkpoint: the results after it will be reported again.
      this.rewind(trial);
      trial.status = TrialStatus.PENDING;
      this.queue.unshift(trial.id);
      this.fill();
      return;
    }
    trial.status = TrialStatus.ERROR;
    trial.error = info;
    this.errors.set(trialId, error);
    this.o.scheduler.onTrialError(trialId);
    this.o.searcher.onTrialComplete(trialId, undefined, true);
    this.csvSoon();
    this.o.reporter.trialFinished(this, trial);
    if (this.o.failFast && !this.failure) {
      this.failure = new TuneError(
        TuneErrorCode.TRIAL_FAILED,
        `trial ${trial.id} failed and failFast is set: ${info.name}: ${info.message}`,
        { cause: error },
      );
      for (const id of [...this.live.keys()]) {
        this.o.executor.cancel(id);
        const t = this.byId.get(id);
        if (t) t.status = TrialStatus.PENDING;
      }
      this.live.clear();
    }
    this.fill();
  }

  /** Forgets the results after the last checkpoint (they are reported again on retry). */
  rewind(trial: TrialRecord): void {
    const keep = trial.checkpointIteration ?? 0;
    this.o.store.truncateResults(trial, keep);
    const history = this.o.store.readResults(trial);
    trial.lastResult = history[history.length - 1];
  }

  private maybeFinish(): void {
    if (!this.settle || this.live.size > 0) return;
    const idle =
      this.interrupted || this.failure !== undefined || (this.queue.length === 0 && this.searchFinished);
    if (!idle) return;
    const settle = this.settle;
    this.settle = undefined;
    this.stateDirty = true;
    this.flushState();
    this.writeCsv();
    if (this.failure) settle.reject(this.failure);
    else settle.resolve();
  }

  /**
   * Marks the state changed; it is written once at the end of this event-loop turn, so a
   * burst of changes (a trial ends, the next starts) costs one write, not several.
   */
  saveState(): void {
    if (this.stateDirty) return;
    this.stateDirty = true;
    setImmediate(() => this.flushState());
  }

  /** The results CSV at most every CSV_INTERVAL_MS while running (it is O(trials) to build). */
  private csvSoon(): void {
    if (this.csvTimer) return;
    const wait = Math.max(0, this.csvWrittenAt + CSV_INTERVAL_MS - Date.now());
    this.csvTimer = setTimeout(() => this.writeCsv(), wait);
    this.csvTimer.unref();
  }

  private writeCsv(): void {
    if (this.csvTimer) clearTimeout(this.csvTimer);
    this.csvTimer = undefined;
    this.csvWrittenAt = Date.now();
    this.o.store.writeResultsCsv(this.trials);
  }

  /** Writes the state file now (atomically: a reader or a killed driver sees old or new). */
  flushState(): void {
    if (!this.stateDirty) return;
    this.stateDirty = false;
    const finished =
      !this.interrupted &&
      this.searchFinished &&
      this.queue.length === 0 &&
      this.trials.every((t) => t.status === TrialStatus.TERMINATED || t.status === TrialStatus.ERROR);
    this.o.store.writeState({
      ...this.o.stateBase,
      searcher: { name: this.o.searcher.name, state: this.o.searcher.save() },
      nextIndex: this.nextIndex,
      searchFinished: this.searchFinished,
      finished,
      trials: this.trials,
    });
  }

  /** For the progress table: logical resources held by running trials. */
  resourcesInUse(): { numCpus: number; memory: number } {
    const r = this.o.stateBase.resources;
    return { numCpus: r.numCpus * this.live.size, memory: (r.memory ?? 0) * this.live.size };
  }

  get metric(): string | undefined {
    return this.o.stateBase.metric;
  }

  get mode(): 'min' | 'max' | undefined {
    return this.o.stateBase.mode;
  }

  get experimentPath(): string {
    return this.o.store.path;
  }

  capacity(): { numCpus: number; memory: number } | undefined {
    return this.o.executor.describeCapacity();
  }
}
