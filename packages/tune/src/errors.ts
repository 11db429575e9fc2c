/** Stable codes of the errors Tune itself throws. */
export const TuneErrorCode = {
  /** failFast: a trial failed and the experiment was stopped. */
  TRIAL_FAILED: 'TUNE_TRIAL_FAILED',
  /** No trial has a result for the requested metric. */
  NO_RESULT: 'TUNE_NO_RESULT',
  /** The folder given to `Tuner.restore` holds no experiment state. */
  NOT_FOUND: 'TUNE_EXPERIMENT_NOT_FOUND',
  /** fit() was called while it was already running, or on a Tuner that already ran. */
  BAD_STATE: 'TUNE_BAD_STATE',
} as const;
export type TuneErrorCode = (typeof TuneErrorCode)[keyof typeof TuneErrorCode];

/**
 * An error raised by Tune (not by a trial): a stable `code` and, where there was one, a
 * `cause` (the same pattern as core's De2Error, CloudError and ForestError).
 */
export class TuneError extends Error {
  readonly code: TuneErrorCode;

  constructor(code: TuneErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * A trial's error read back from the state file (after `Tuner.restore`), when the original
 * error object is gone: keeps its name, `code`, message and stack.
 */
export class TrialErrorRecord extends Error {
  readonly code: string | undefined;
  private readonly originalName: string;

  constructor(info: { name: string; message: string; code?: string; stack?: string }) {
    super(info.message);
    this.originalName = info.name;
    this.code = info.code;
    if (info.stack) this.stack = info.stack;
  }

  override get name(): string {
    return this.originalName;
  }
}
