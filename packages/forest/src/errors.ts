/** Stable error codes of @de2/forest: match on these, not on messages. */
export const ForestErrorCode = {
  /** X or y is malformed: NaN/Infinity, lengths that disagree, empty, non-integer labels, one class. */
  INVALID_INPUT: 'INVALID_INPUT',
  /** predict/score/addTrees before fit (or addTrees on a forest loaded without its training data). */
  NOT_FITTED: 'NOT_FITTED',
  /** A Dataset binned with other bin edges than the forest was trained on. */
  INCOMPATIBLE_DATASET: 'INCOMPATIBLE_DATASET',
  /** A JSON model that is not a forest written by toJSON(). */
  INVALID_MODEL: 'INVALID_MODEL',
} as const;

export type ForestErrorCode = (typeof ForestErrorCode)[keyof typeof ForestErrorCode];

/** Base class of every error @de2/forest throws for bad data (bad options throw TypeError/RangeError). */
export class ForestError extends Error {
  readonly code: ForestErrorCode;

  constructor(code: ForestErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

export function invalidInput(message: string): ForestError {
  return new ForestError(ForestErrorCode.INVALID_INPUT, message);
}
