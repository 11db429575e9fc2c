import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CovertypeErrorCode, CovertypeFetchError, type CovertypeFetchErrorCode } from './errors.js';

/**
 * The full UCI Covertype archive. Size and sha256 are those of the gzip as UCI publishes
 * it; the sha256 is the one scikit-learn's `fetch_covtype` checks, and scikit-learn's
 * figshare copy is the same file, so it serves as a mirror.
 */
export const COVERTYPE_ARCHIVE = Object.freeze({
  fileName: 'covtype.data.gz',
  urls: Object.freeze([
    'https://archive.ics.uci.edu/ml/machine-learning-databases/covtype/covtype.data.gz',
    'https://ndownloader.figshare.com/files/5976039',
  ]),
  size: 11_240_707,
  sha256: '614360d0257557dd1792834a85a1cdebfadc3c4f30b011d56afee7ffb5b15771',
  rows: 581_012,
});

/**
 * A cache folder outside any checkout: `$XDG_CACHE_HOME/de2/covtype`, else `~/.cache/de2/covtype`.
 * Pass it as `cacheDir` when there is no better place.
 */
export const DEFAULT_CACHE_DIR = join(
  process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'),
  'de2',
  'covtype',
);

/** One progress report of a download. */
export interface FetchProgress {
  /** Bytes received so far. */
  readonly bytes: number;
  /** Bytes expected in all (the server's Content-Length, else the expected size). */
  readonly total: number;
  readonly url: string;
}

/** Options of {@link fetchCovertype}. */
export interface FetchCovertypeOptions {
  /** Folder that keeps the downloaded archive; created if missing. */
  readonly cacheDir: string;
  /**
   * Where to download from; with several, each is tried in turn until one verifies.
   * @default COVERTYPE_ARCHIVE.urls (UCI, then scikit-learn's mirror)
   */
  readonly url?: string | readonly string[];
  /** @default COVERTYPE_ARCHIVE.size */
  readonly size?: number;
  /** Lower-case hex. @default COVERTYPE_ARCHIVE.sha256 */
  readonly sha256?: string;
  /** Name of the file in `cacheDir`. @default 'covtype.data.gz' */
  readonly fileName?: string;
  /** Called as bytes arrive (once per chunk received). */
  readonly onProgress?: (progress: FetchProgress) => void;
  /** Give up on a connection that sends nothing for this long. @default 30000 */
  readonly idleTimeoutMs?: number;
}

interface ResolvedFetchOptions {
  readonly cacheDir: string;
  readonly urls: readonly string[];
  readonly size: number;
  readonly sha256: string;
  readonly target: string;
  readonly onProgress: ((progress: FetchProgress) => void) | undefined;
  readonly idleTimeoutMs: number;
}

const MAX_REDIRECTS = 5;

/**
 * Downloads the full UCI Covertype archive (581,012 rows, about 11 MB gzipped) into
 * `cacheDir`, verifies its size and sha256, and returns its path. A later call finds the
 * verified file there and downloads nothing. The download goes to a temporary file that is
 * renamed into place only once verified, so the cache never holds a partial or corrupted file.
 *
 * @throws CovertypeFetchError with code `COVERTYPE_DOWNLOAD_FAILED` (offline, refused, HTTP
 * error, connection cut), `COVERTYPE_SIZE_MISMATCH` or `COVERTYPE_CHECKSUM_MISMATCH`; the
 * message says where to put the file by hand.
 * @example
 * const path = await fetchCovertype({ cacheDir: DEFAULT_CACHE_DIR, onProgress: (p) => bar(p.bytes / p.total) });
 * const data = await loadCovertype(path);
 */
export async function fetchCovertype(options: FetchCovertypeOptions): Promise<string> {
  const o = resolveFetchOptions(options);
  if (await exists(o.target)) {
    await verifyCached(o);
    return o.target;
  }
  await mkdir(o.cacheDir, { recursive: true });
  const failures: CovertypeFetchError[] = [];
  for (const url of o.urls) {
    try {
      await download(url, o);
      return o.target;
    } catch (error) {
      if (!(error instanceof CovertypeFetchError)) throw error;
      failures.push(error);
    }
  }
  const last = failures[failures.length - 1]!;
  if (failures.length === 1) throw last;
  const lines = failures.map((f) => `- ${f.message.split('\n')[0]}`).join('\n');
  throw new CovertypeFetchError(
    last.code,
    o.target,
    last.url,
    `every source failed:\n${lines}\n${handHint(o)}`,
    new AggregateError(failures),
  );
}

function resolveFetchOptions(options: FetchCovertypeOptions): ResolvedFetchOptions {
  const { cacheDir, onProgress } = options;
  if (typeof cacheDir !== 'string' || cacheDir === '') {
    throw new TypeError('options.cacheDir must be a non-empty string (the folder that keeps the download)');
  }
  const urls = typeof options.url === 'string' ? [options.url] : (options.url ?? COVERTYPE_ARCHIVE.urls);
  if (urls.length === 0 || !urls.every((u) => typeof u === 'string' && /^https?:\/\//.test(u))) {
    throw new TypeError('options.url must be an http(s) URL or a non-empty array of them');
  }
  const size = options.size ?? COVERTYPE_ARCHIVE.size;
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new RangeError(`options.size must be a positive integer (bytes), got ${size}`);
  }
  const sha256 = options.sha256 ?? COVERTYPE_ARCHIVE.sha256;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new TypeError('options.sha256 must be 64 lower-case hex digits');
  }
  const fileName = options.fileName ?? COVERTYPE_ARCHIVE.fileName;
  if (typeof fileName !== 'string' || fileName === '' || /[/\\]/.test(fileName)) {
    throw new TypeError('options.fileName must be a file name without a folder');
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError('options.onProgress must be a function');
  }
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  if (!Number.isFinite(idleTimeoutMs) || idleTimeoutMs <= 0) {
    throw new RangeError(`options.idleTimeoutMs must be a positive number, got ${idleTimeoutMs}`);
  }
  return { cacheDir, urls, size, sha256, target: join(cacheDir, fileName), onProgress, idleTimeoutMs };
}

/** Streams one URL into a temporary file beside the target, hashing as it goes. */
async function download(url: string, o: ResolvedFetchOptions): Promise<void> {
  const fail = (code: CovertypeFetchErrorCode, problem: string, cause?: unknown) =>
    new CovertypeFetchError(code, o.target, url, `${problem}\n${handHint(o)}`, cause);

  let response: IncomingMessage;
  try {
    response = await get(url, o.idleTimeoutMs, MAX_REDIRECTS);
  } catch (error) {
    throw fail(CovertypeErrorCode.DOWNLOAD_FAILED, `could not download ${url}: ${describe(error)}`, error);
  }
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 299) {
    response.resume();
    const text = `${status} ${response.statusMessage ?? ''}`.trim();
    throw fail(
      CovertypeErrorCode.DOWNLOAD_FAILED,
      `could not download ${url}: the server answered HTTP ${text}`,
    );
  }
  const declared = Number(response.headers['content-length']);
  if (Number.isSafeInteger(declared) && declared !== o.size) {
    // Refuse before downloading what cannot be the right file.
    response.destroy();
    throw fail(
      CovertypeErrorCode.SIZE_MISMATCH,
      `size check failed: ${url} announces ${declared} bytes, expected ${o.size}`,
    );
  }

  const total = Number.isSafeInteger(declared) ? declared : o.size;
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      o.onProgress?.({ bytes, total, url });
      done(null, chunk);
    },
  });
  const tmp = join(
    o.cacheDir,
    `.${basename(o.target)}.${process.pid}.${randomBytes(4).toString('hex')}.part`,
  );
  try {
    try {
      await pipeline(response, tap, createWriteStream(tmp, { flags: 'wx' }));
    } catch (error) {
      throw fail(
        CovertypeErrorCode.DOWNLOAD_FAILED,
        `download of ${url} broke off after ${bytes} of ${total} bytes: ${describe(error)}`,
        error,
      );
    }
    if (bytes !== o.size) {
      throw fail(
        CovertypeErrorCode.SIZE_MISMATCH,
        `size check failed: received ${bytes} bytes from ${url}, expected ${o.size} (cut short or not the right file)`,
      );
    }
    const digest = hash.digest('hex');
    if (digest !== o.sha256) {
      throw fail(
        CovertypeErrorCode.CHECKSUM_MISMATCH,
        `sha256 check failed: the ${bytes} bytes from ${url} have sha256 ${digest}, expected ${o.sha256} (corrupted in transit or changed at the source)`,
      );
    }
    await rename(tmp, o.target);
  } finally {
    await unlink(tmp).catch(() => undefined); // gone already after a successful rename
  }
}

/** A file already in the cache was verified when it was downloaded, or was put there by hand. */
async function verifyCached(o: ResolvedFetchOptions): Promise<void> {
  const advice = `delete it to download again, or replace it with the original (${o.size} bytes, sha256 ${o.sha256})`;
  const { size } = await stat(o.target);
  if (size !== o.size) {
    throw new CovertypeFetchError(
      CovertypeErrorCode.SIZE_MISMATCH,
      o.target,
      undefined,
      `size check failed: the cached ${o.target} has ${size} bytes, expected ${o.size}; ${advice}`,
    );
  }
  const hash = createHash('sha256');
  await pipeline(createReadStream(o.target), hash);
  const digest = hash.digest('hex');
  if (digest !== o.sha256) {
    throw new CovertypeFetchError(
      CovertypeErrorCode.CHECKSUM_MISMATCH,
      o.target,
      undefined,
      `sha256 check failed: the cached ${o.target} has sha256 ${digest}; ${advice}`,
    );
  }
}

/** GET with redirects followed, asking for the bytes as they are (no transfer compression). */
function get(url: string, idleTimeoutMs: number, redirectsLeft: number): Promise<IncomingMessage> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let body: IncomingMessage | undefined;
    const request = client.get(
      target,
      { headers: { 'accept-encoding': 'identity', 'user-agent': 'de2-covertype-fetch' } },
      (response) => {
        const { statusCode = 0, headers } = response;
        if (statusCode >= 300 && statusCode < 400 && headers.location !== undefined) {
          response.resume();
          if (redirectsLeft === 0) {
            reject(new Error(`more than ${MAX_REDIRECTS} redirects`));
            return;
          }
          get(new URL(headers.location, target).href, idleTimeoutMs, redirectsLeft - 1).then(resolve, reject);
          return;
        }
        body = response;
        resolve(response);
      },
    );
    request.on('error', reject);
    // The socket's idle timeout keeps running while the body streams: a transfer that
    // stalls fails with this error on the response, which the download's pipeline reports.
    request.setTimeout(idleTimeoutMs, () => {
      const stalled = new Error(`no data for ${idleTimeoutMs} ms`);
      if (body === undefined) request.destroy(stalled);
      else body.destroy(stalled);
    });
  });
}

function handHint(o: ResolvedFetchOptions): string {
  return (
    `To install the file by hand, download ${o.urls[0]} on a machine that is online and copy it ` +
    `to ${o.target} (${o.size} bytes, sha256 ${o.sha256}); fetchCovertype then uses it from there.`
  );
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
