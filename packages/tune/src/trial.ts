/** Where a trial stands. */
export const TrialStatus = {
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  TERMINATED: 'TERMINATED',
  ERROR: 'ERROR',
} as const;
export type TrialStatus = (typeof TrialStatus)[keyof typeof TrialStatus];

/**
 * One reported result: the trainable's metrics plus the fields Tune adds to every result
 * (Ray's `training_iteration`, `time_total_s`, ... in camelCase).
 */
export interface TrialResult {
  readonly [metric: string]: unknown;
  /** 1 for the first report of the trial (counting across retries and resumes). */
  readonly trainingIteration: number;
  /** Seconds of training so far, across retries and resumes. */
  readonly timeTotalS: number;
  readonly timeThisIterS: number;
  /** Unix time in seconds. */
  readonly timestamp: number;
  readonly trialId: string;
  /** True on the trial's last result. */
  readonly done: boolean;
}

/** An error as stored with a trial: plain data, so it survives the state file. */
export interface TrialErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
}

/** Everything the driver keeps about one trial (also its record in the state file). */
export interface TrialRecord {
  readonly id: string;
  readonly index: number;
  readonly config: Record<string, unknown>;
  readonly dirName: string;
  status: TrialStatus;
  /** Set when a scheduler or a stop criterion ended the trial before it returned. */
  stoppedEarly: boolean;
  numFailures: number;
  lastResult: TrialResult | undefined;
  error: TrialErrorInfo | undefined;
  /** Iteration of the last checkpoint, if any (the checkpoint itself lives in the trial folder). */
  checkpointIteration: number | undefined;
  /** Seconds trained before the current attempt (carried across retries and resumes). */
  timeOffsetS: number;
  /** How many attempts have been started (for telling stale events from current ones). */
  attempt: number;
}

export function errorInfo(error: unknown): TrialErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}
