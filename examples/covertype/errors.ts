/** Stable codes of the Covertype data errors: match on these, not on message text. */
export const CovertypeErrorCode = {
  /** A line of a data file is malformed (column count, not a number, label out of range). */
  FORMAT: 'COVERTYPE_FORMAT',
  /** The download could not be made (offline, refused, HTTP error, connection cut). */
  DOWNLOAD_FAILED: 'COVERTYPE_DOWNLOAD_FAILED',
  /** The downloaded or cached file does not have the expected size. */
  SIZE_MISMATCH: 'COVERTYPE_SIZE_MISMATCH',
  /** The downloaded or cached file does not have the expected sha256. */
  CHECKSUM_MISMATCH: 'COVERTYPE_CHECKSUM_MISMATCH',
} as const;

export type CovertypeErrorCode = (typeof CovertypeErrorCode)[keyof typeof CovertypeErrorCode];

/** Base class of the Covertype data errors: a stable `code`, the file it concerns. */
export class CovertypeError extends Error {
  readonly code: CovertypeErrorCode;
  /** The file (or, for downloads, the cache path) the error is about. */
  readonly file: string;

  constructor(code: CovertypeErrorCode, file: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.file = file;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * A data file that cannot be parsed. The message reads `file:line: what is wrong`, so that
 * an editor can jump to it; `line` is 1-based and counts the header line of a Kaggle file.
 */
export class CovertypeFormatError extends CovertypeError {
  /** 1-based line number, or 0 when the problem is the whole file (not gzip, empty). */
  readonly line: number;

  constructor(file: string, line: number, problem: string, cause?: unknown) {
    super(
      CovertypeErrorCode.FORMAT,
      file,
      line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`,
      cause,
    );
    this.line = line;
  }
}

/** The codes a {@link CovertypeFetchError} can carry. */
export type CovertypeFetchErrorCode = Exclude<CovertypeErrorCode, typeof CovertypeErrorCode.FORMAT>;

/** A download that failed or did not verify; nothing is left in the cache when it is thrown. */
export class CovertypeFetchError extends CovertypeError {
  declare readonly code: CovertypeFetchErrorCode;
  /** The address that was being downloaded, when there was one. */
  readonly url: string | undefined;

  constructor(
    code: CovertypeFetchErrorCode,
    file: string,
    url: string | undefined,
    message: string,
    cause?: unknown,
  ) {
    super(code, file, message, cause);
    this.url = url;
  }
}
