import { ASHAScheduler } from './schedulers/asha.js';
import { MedianStoppingRule } from './schedulers/median-stopping.js';
import { FIFOScheduler, type TrialScheduler } from './schedulers/scheduler.js';
import { BasicVariantGenerator } from './search/basic-variant.js';
import type { SearchAlgorithm } from './search/search-algorithm.js';
import { TPESearch, type TPEOptions } from './search/tpe.js';
import type { ExperimentState, ExperimentStore } from './storage/experiment-store.js';
import { TrialStatus, type TrialRecord } from './trial.js';
import type { RestoreOptions } from './tuner-options.js';

/** The saved search algorithm with its state, or the caller's replacement. */
export function rebuildSearcher(state: ExperimentState, given: SearchAlgorithm | undefined): SearchAlgorithm {
  let searcher = given;
  if (!searcher) {
    if (state.searcher.name === 'BasicVariantGenerator') searcher = new BasicVariantGenerator();
    else if (state.searcher.name === 'TPESearch') {
      searcher = new TPESearch((state.searcher.state as { options?: TPEOptions }).options ?? {});
    } else {
      throw new TypeError(`options.searchAlg is needed: the experiment used ${state.searcher.name}`);
    }
  }
  if (state.searcher.state !== undefined && searcher.name === state.searcher.name)
    searcher.restore(state.searcher.state);
  return searcher;
}

/** The saved scheduler rebuilt from its options (its state comes back through replayResults). */
export function rebuildScheduler(state: ExperimentState, given: TrialScheduler | undefined): TrialScheduler {
  if (given) return given;
  const { type, options } = state.scheduler;
  if (type === 'ASHAScheduler') return new ASHAScheduler(options);
  if (type === 'MedianStoppingRule') return new MedianStoppingRule(options);
  if (type === 'FIFOScheduler') return new FIFOScheduler();
  throw new TypeError(`options.scheduler is needed: the experiment used ${type}`);
}

/** Which trials run again, per Ray's resume options; marks them PENDING. */
export function resumeQueue(
  state: ExperimentState,
  _store: ExperimentStore,
  options: RestoreOptions,
): string[] {
  const queue: string[] = [];
  for (const t of state.trials) {
    if (t.status === TrialStatus.RUNNING || t.status === TrialStatus.PENDING) {
      if (options.resumeUnfinished ?? true) {
        t.status = TrialStatus.PENDING;
        queue.push(t.id);
      }
    } else if (t.status === TrialStatus.ERROR && (options.restartErrored || options.resumeErrored)) {
      if (options.restartErrored) {
        t.checkpointIteration = undefined;
        t.timeOffsetS = 0;
      }
      t.status = TrialStatus.PENDING;
      t.error = undefined;
      t.numFailures = 0;
      queue.push(t.id);
    }
  }
  return queue;
}

/**
 * Feeds a restored experiment's results on disk back to its scheduler, so that ASHA's rungs
 * and the median rule's history are as they were (a resumed trial is judged against the
 * trials that ran before the restart). Its decisions here are ignored.
 */
export function replayResults(
  trials: readonly TrialRecord[],
  store: ExperimentStore,
  scheduler: TrialScheduler,
): void {
  for (const t of trials) {
    scheduler.onTrialAdd(t.id);
    for (const r of store.readResults(t)) scheduler.onTrialResult(t.id, r);
    if (t.status === TrialStatus.TERMINATED) scheduler.onTrialComplete(t.id, t.lastResult);
    else if (t.status === TrialStatus.ERROR) scheduler.onTrialError(t.id);
  }
}
