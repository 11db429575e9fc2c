import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { CovertypeFormatError } from './errors.js';
import type { CovertypeData } from './format.js';
import { parseCovertype } from './parse.js';

const gunzipAsync = promisify(gunzip);

/** True when the bytes start with the gzip magic number (RFC 1952), whatever the file is called. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Loads a Covertype file into typed arrays: the UCI `covtype.data` (55 integers a line, no
 * header) or a file with a header such as Kaggle's `train.csv` (`Id` first, `Cover_Type`
 * last), either one plain or gzipped. Gzip is recognised by its magic bytes, so a
 * `covtype.data.gz` that was already unpacked, or a gzip without the `.gz` name, loads too.
 *
 * @throws CovertypeFormatError naming the file and line, for a line with the wrong number
 * of columns, a field that is not a number, or a label outside 1..7; also for a file that
 * says it is gzip and is not.
 * @example
 * const data = await loadCovertype('examples/data/covtype.sample.data.gz');
 * data.nRows; // 20000
 * data.features[0]; // Elevation of the first row, 2596
 */
export async function loadCovertype(path: string): Promise<CovertypeData> {
  let bytes: Uint8Array = await readFile(path);
  if (isGzip(bytes)) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CovertypeFormatError(
        path,
        0,
        `starts like gzip but cannot be decompressed (${reason})`,
        error,
      );
    }
  }
  return parseCovertype(bytes, path);
}
