import type { SchedulerDecision } from '../schedulers/scheduler.js';

/** What the runner asks the executor to start: one attempt of one trial. */
export interface TrialLaunch {
  readonly trialId: string;
  /** Increases with every attempt, so events of a cancelled attempt can be told apart. */
  readonly attempt: number;
  readonly config: Record<string, unknown>;
  /** The last checkpoint, when the trial is retried or resumed. */
  readonly checkpoint: unknown;
}

/** How an executor tells the runner what its trials do. */
export interface TrialEvents {
  /** One `ctx.report(...)`; the answer goes back to the trial (STOP ends it early). */
  report(
    trialId: string,
    attempt: number,
    metrics: Record<string, unknown>,
    checkpoint: { value: unknown } | undefined,
  ): SchedulerDecision;
  /** The trainable returned (or stopped after a STOP); `returned` is what it returned. */
  done(trialId: string, attempt: number, returned: unknown, stopped: boolean): void;
  failed(trialId: string, attempt: number, error: unknown): void;
}

/**
 * Runs trials somewhere. The runner (search, scheduling, state on disk) knows only this
 * interface; the de2 executor runs each attempt as a remote task on the cluster.
 */
export interface TrialExecutor {
  start(events: TrialEvents): Promise<void>;
  launch(launch: TrialLaunch): void;
  /** Stops a running attempt (Ctrl+C, failFast); its later events are ignored. */
  cancel(trialId: string): void;
  /** How many trials fit at once when `maxConcurrentTrials` is not set. */
  defaultConcurrency(): number;
  /** Total logical resources, for the progress table (e.g. "8 CPUs"). */
  describeCapacity(): { numCpus: number; memory: number } | undefined;
  shutdown(): Promise<void>;
}
