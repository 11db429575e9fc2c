import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { TuneError, TuneErrorCode } from './errors.js';
import { printErrorSummary } from './progress/error-summary.js';
import { chooseReporter } from './progress/choose.js';
import { DashboardReporter } from './progress/dashboard-reporter.js';
import { Result, ResultGrid } from './result-grid.js';
import { De2Executor } from './runner/de2-executor.js';
import { ExperimentRunner } from './runner/experiment-runner.js';
import { ensureRuntime } from './runner/runtime.js';
import { FIFOScheduler, type TrialScheduler } from './schedulers/scheduler.js';
import { BasicVariantGenerator } from './search/basic-variant.js';
import type { SearchAlgorithm } from './search/search-algorithm.js';
import { checkStop, type StopCriteria } from './stop.js';
import { ExperimentStore, type ExperimentState } from './storage/experiment-store.js';
import { rebuildScheduler, rebuildSearcher, replayResults, resumeQueue } from './restore.js';
import { toTrainable, type Trainable, type TrainableFn } from './trainable.js';
import {
  checkProgress,
  defaultName,
  defaultStoragePath,
  validate,
  type ProgressMode,
  type ProgressOptions,
  type RestoreOptions,
  type TunerOptions,
} from './tuner-options.js';

/** Everything fit() needs, from new options or from a state file. */
interface Plan {
  readonly trainable: Trainable;
  readonly store: ExperimentStore;
  readonly searcher: SearchAlgorithm;
  readonly scheduler: TrialScheduler;
  readonly stop: StopCriteria | undefined;
  readonly progress: ProgressMode | ProgressOptions | undefined;
  readonly base: ExperimentState;
  readonly queue: string[];
  readonly experimentId: string;
  readonly maxTrials: number | undefined;
}

function trainableName(t: Trainable): string {
  return /^[\w-]+$/.test(t.fn.name) ? t.fn.name : 'trainable';
}

/**
 * Runs a hyperparameter search on de2 (Ray Tune's `Tuner`): each trial is a remote task,
 * results stream back while it runs, and the experiment state is kept on disk.
 *
 * @example
 * ```ts
 * const tuner = new Tuner(train, {
 *   paramSpace: { lr: loguniform(1e-4, 1e-1), depth: grid([4, 8]) },
 *   tuneConfig: { metric: 'loss', mode: 'min', numSamples: 4 },
 * });
 * const best = (await tuner.fit()).getBestResult().config;
 * ```
 */
export class Tuner {
  private readonly plan: Plan;
  private runner: ExperimentRunner | undefined;
  private results: ResultGrid | undefined;
  private state: 'new' | 'running' | 'done' = 'new';

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(trainable: TrainableFn<any> | Trainable<any>, options?: TunerOptions);
  /** @internal used by `Tuner.restore` */
  constructor(plan: Plan);
  constructor(trainableOrPlan: unknown, options: TunerOptions = {}) {
    if (typeof trainableOrPlan === 'object' && trainableOrPlan !== null && 'base' in trainableOrPlan) {
      this.plan = trainableOrPlan as Plan;
      return;
    }
    const trainable = toTrainable(trainableOrPlan);
    validate(options);
    const tc = options.tuneConfig ?? {};
    const rc = options.runConfig ?? {};
    const stop = checkStop(rc.stop);
    const experimentId = randomBytes(3).toString('hex').slice(0, 5);
    const name = rc.name ?? defaultName(trainableName(trainable), experimentId);
    const store = new ExperimentStore(path.resolve(rc.storagePath ?? defaultStoragePath(), name));
    const searcher = tc.searchAlg ?? new BasicVariantGenerator();
    const scheduler = tc.scheduler ?? new FIFOScheduler();
    const numSamples = tc.numSamples ?? 1;
    const paramSpace = options.paramSpace ?? {};
    searcher.setSearchProperties({ metric: tc.metric, mode: tc.mode, paramSpace, numSamples, seed: tc.seed });
    scheduler.setSearchProperties(tc.metric, tc.mode);
    this.plan = {
      trainable,
      store,
      searcher,
      scheduler,
      stop,
      progress: rc.progress,
      experimentId,
      queue: [],
      maxTrials: searcher instanceof BasicVariantGenerator ? undefined : numSamples,
      base: {
        version: 1,
        name,
        createdAt: Date.now(),
        metric: tc.metric,
        mode: tc.mode,
        numSamples,
        maxConcurrentTrials: tc.maxConcurrentTrials,
        seed: tc.seed,
        paramSpace: JSON.parse(JSON.stringify(paramSpace)) as unknown,
        stop: typeof stop === 'function' ? undefined : stop,
        failureConfig: {
          maxFailures: rc.failureConfig?.maxFailures ?? 0,
          failFast: rc.failureConfig?.failFast ?? false,
        },
        resources: { numCpus: trainable.resources.numCpus ?? 1, memory: trainable.resources.memory },
        searcher: { name: searcher.name, state: undefined },
        scheduler: scheduler.describe(),
        nextIndex: 0,
        searchFinished: false,
        finished: false,
        trials: [],
      },
    };
  }

  /** True if `dir` holds an experiment that `Tuner.restore` can continue. */
  static canRestore(dir: string): boolean {
    return new ExperimentStore(path.resolve(dir)).exists();
  }

  /**
   * Continues an interrupted experiment from its folder: finished trials are kept, unfinished
   * ones run again from their last checkpoint, errored ones only if asked.
   */
  static restore(
    dir: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    trainable: TrainableFn<any> | Trainable<any>,
    options: RestoreOptions = {},
  ): Tuner {
    const store = new ExperimentStore(path.resolve(dir));
    if (!store.exists()) {
      throw new TuneError(TuneErrorCode.NOT_FOUND, `no experiment to restore at ${store.path}`);
    }
    checkProgress(options.progress);
    const state = store.readState();
    const t = toTrainable(trainable);
    const paramSpace = options.paramSpace ?? (state.paramSpace as Record<string, unknown>);
    const searcher = rebuildSearcher(state, options.searchAlg);
    searcher.setSearchProperties({
      metric: state.metric,
      mode: state.mode,
      paramSpace,
      numSamples: state.numSamples,
      seed: state.seed,
    });
    const scheduler = rebuildScheduler(state, options.scheduler);
    scheduler.setSearchProperties(state.metric, state.mode);
    const queue = resumeQueue(state, store, options);
    const first = state.trials[0]?.id ?? '';
    return new Tuner({
      trainable: {
        ...t,
        resources: {
          numCpus: state.resources.numCpus,
          ...(state.resources.memory ? { memory: state.resources.memory } : {}),
          ...t.resources,
        },
      },
      store,
      searcher,
      scheduler,
      stop: checkStop(options.stop) ?? state.stop,
      progress: options.progress,
      base: state,
      queue,
      experimentId: first.split('_')[0] || randomBytes(3).toString('hex').slice(0, 5),
      maxTrials: searcher instanceof BasicVariantGenerator ? undefined : state.numSamples,
    });
  }

  /** Runs the experiment; resolves with every trial's result. Ctrl+C stops it gracefully. */
  async fit(): Promise<ResultGrid> {
    if (this.state !== 'new') {
      throw new TuneError(
        TuneErrorCode.BAD_STATE,
        'fit() can run once per Tuner: use Tuner.restore to continue',
      );
    }
    this.state = 'running';
    const p = this.plan;
    const release = await ensureRuntime();
    p.store.init();
    const runId = `${p.experimentId}-${randomBytes(4).toString('hex')}`;
    const executor = new De2Executor(p.trainable, runId);
    const runner = new ExperimentRunner({
      experimentId: p.experimentId,
      trainableName: trainableName(p.trainable),
      store: p.store,
      executor,
      searcher: p.searcher,
      scheduler: p.scheduler,
      reporter: new DashboardReporter(
        chooseReporter(p.progress),
        {
          id: runId,
          name: p.base.name,
        },
        (trialId) => executor.taskObjectId(trialId),
      ),
      stop: p.stop,
      maxConcurrentTrials: p.base.maxConcurrentTrials,
      maxTrials: p.maxTrials,
      maxFailures: p.base.failureConfig.maxFailures,
      failFast: p.base.failureConfig.failFast,
      stateBase: p.base,
      trials: p.base.trials.map((t) => ({ ...t })),
      queue: p.queue,
      nextIndex: p.base.nextIndex,
      searchFinished: p.base.searchFinished,
    });
    this.runner = runner;
    for (const id of p.queue) {
      const t = runner.trials.find((x) => x.id === id);
      if (t) runner.rewind(t);
    }
    replayResults(runner.trials, p.store, p.scheduler);
    // First Ctrl+C: stop gracefully (state saved, resumable). A second one: the default
    // action, so a stuck experiment can still be killed from the terminal.
    let interrupts = 0;
    const onSigint = () => {
      if (++interrupts === 1) return runner.interrupt();
      process.off('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
    };
    process.on('SIGINT', onSigint);
    try {
      await runner.run();
    } finally {
      process.off('SIGINT', onSigint);
      await executor.shutdown().catch(() => {});
      await release();
      this.state = 'done';
    }
    this.results = this.buildResults();
    printErrorSummary(this.results, p.progress);
    return this.results;
  }

  /** The results of the last fit(), or of the experiment on disk. */
  getResults(): ResultGrid {
    if (this.results) return this.results;
    if (this.plan.store.exists()) {
      const state = this.plan.store.readState();
      return this.buildResults(state);
    }
    throw new TuneError(TuneErrorCode.BAD_STATE, 'no results yet: call fit() first');
  }

  private buildResults(state?: ExperimentState): ResultGrid {
    const p = this.plan;
    const trials = state?.trials ?? this.runner?.trials ?? [];
    const results = trials.map(
      (record) =>
        new Result({
          record,
          history: p.store.readResults(record),
          error: this.runner?.errorOf(record.id),
          path: p.store.trialPath(record),
          loadCheckpoint: () => p.store.readCheckpoint(record),
        }),
    );
    return new ResultGrid(results, {
      experimentPath: p.store.path,
      metric: p.base.metric,
      mode: p.base.mode,
    });
  }
}
