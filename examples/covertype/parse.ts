import { CovertypeFormatError } from './errors.js';
import { type CovertypeData, FEATURE_NAMES, ID_NAME, LABEL_NAME, N_CLASSES, N_FEATURES } from './format.js';

const NEWLINE = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;

/** How the columns of one file are laid out, read from its header (or its absence). */
interface Layout {
  /** Columns on each data line: 55 (UCI), or 56 with Kaggle's Id in front. */
  readonly nColumns: number;
  /** 1 when column 0 is Kaggle's `Id`, which is checked to be a number and then dropped. */
  readonly skip: number;
  readonly featureNames: readonly string[];
  /** Offset of the first data line, and its 1-based line number. */
  readonly dataStart: number;
  readonly firstLine: number;
}

/**
 * Parses a whole Covertype file already in memory (decompressed): the UCI `covtype.data`
 * format (no header, 55 integers a line) or a file with a header such as Kaggle's
 * `train.csv` (`Id` first, `Cover_Type` last). `file` only names the source in errors.
 *
 * Fields are parsed straight from the bytes: no string is made per line or per field
 * (only for the header, and for the text quoted in an error).
 */
export function parseCovertype(bytes: Uint8Array, file: string): CovertypeData {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const layout = readLayout(buf, file);
  const capacity = countLines(buf, layout.dataStart);
  const features = new Float32Array(capacity * N_FEATURES);
  const labels = new Int32Array(capacity);
  const { nColumns, skip } = layout;
  const labelColumn = nColumns - 1;
  const len = buf.length;
  let pos = layout.dataStart;
  let line = layout.firstLine;
  let row = 0;

  while (pos < len) {
    let end = buf.indexOf(NEWLINE, pos);
    if (end < 0) end = len;
    const stop = end > pos && buf[end - 1] === CR ? end - 1 : end;
    if (stop === pos) {
      // Blank lines are tolerated only at the end of the file (an editor's extra newline);
      // one in the middle more likely means two files were glued or one was cut.
      if (isBlank(buf, end)) break;
      throw new CovertypeFormatError(file, line, `empty line (expected ${nColumns} columns)`);
    }
    const base = row * N_FEATURES - skip;
    let p = pos;
    for (let col = 0; col < nColumns; col++) {
      const start = p;
      let c = buf[p];
      const negative = c === MINUS;
      if (negative || c === PLUS) p++;
      let value = 0;
      let digits = 0;
      while (p < stop) {
        const d = buf[p]! - ZERO;
        if (d < 0 || d > 9) break;
        value = value * 10 + d;
        p++;
        digits++;
      }
      if (p < stop && buf[p] === DOT) {
        // The published files hold integers only; decimals are accepted so that a rescaled
        // copy of the data loads too.
        p++;
        let scale = 1;
        while (p < stop) {
          const d = buf[p]! - ZERO;
          if (d < 0 || d > 9) break;
          value = value * 10 + d;
          scale *= 10;
          p++;
          digits++;
        }
        value /= scale;
      }
      c = buf[p];
      if (digits === 0 || (p < stop && c !== COMMA)) {
        throw notANumber(file, line, buf, start, stop, col, layout);
      }
      if (negative) value = -value;
      if (col === labelColumn) {
        if (value < 1 || value > N_CLASSES || !Number.isInteger(value)) {
          const text = buf.toString('latin1', start, p);
          throw new CovertypeFormatError(
            file,
            line,
            `label out of range: ${LABEL_NAME} (column ${col + 1}) is ${text}, expected an integer from 1 to ${N_CLASSES}`,
          );
        }
        labels[row] = value;
      } else if (col >= skip) {
        features[base + col] = value;
      }
      if (col < labelColumn) {
        if (p >= stop) throw wrongColumnCount(file, line, nColumns, col + 1);
        p++; // the comma
      } else if (p < stop) {
        throw wrongColumnCount(file, line, nColumns, countFields(buf, pos, stop));
      }
    }
    row++;
    line++;
    pos = end + 1;
  }

  if (row === 0) throw new CovertypeFormatError(file, 0, 'no data rows');
  return {
    // Copy only if blank lines at the end made the estimate too large, so that the arrays
    // handed to `put` are exactly the data and not a larger buffer behind a view.
    features: row === capacity ? features : features.slice(0, row * N_FEATURES),
    labels: row === capacity ? labels : labels.slice(0, row),
    nRows: row,
    nFeatures: N_FEATURES,
    featureNames: layout.featureNames,
  };
}

/** Looks at the first line: digits mean UCI data, anything else must be a header. */
function readLayout(buf: Buffer, file: string): Layout {
  // A UTF-8 byte order mark, as spreadsheet programs write before a CSV header.
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  if (isBlank(buf, bom)) throw new CovertypeFormatError(file, 0, 'file is empty (no rows)');
  const first = buf[bom]!;
  if ((first >= ZERO && first <= ZERO + 9) || first === MINUS || first === PLUS || first === DOT) {
    return { nColumns: N_FEATURES + 1, skip: 0, featureNames: FEATURE_NAMES, dataStart: bom, firstLine: 1 };
  }
  let end = buf.indexOf(NEWLINE, bom);
  if (end < 0) end = buf.length;
  const names = buf
    .toString('utf8', bom, end)
    .split(',')
    .map((name) => name.trim().replace(/^"(.*)"$/, '$1'));
  const skip = names[0]?.toLowerCase() === ID_NAME.toLowerCase() ? 1 : 0;
  const last = names[names.length - 1];
  if (last !== LABEL_NAME) {
    throw new CovertypeFormatError(
      file,
      1,
      `header's last column is "${last}", expected "${LABEL_NAME}" ` +
        `(a file without labels, such as Kaggle's test.csv, cannot be used)`,
    );
  }
  if (names.length - skip !== N_FEATURES + 1) {
    throw new CovertypeFormatError(
      file,
      1,
      `header has ${names.length} columns, expected ${N_FEATURES + 2} ` +
        `(${ID_NAME}, ${N_FEATURES} features, ${LABEL_NAME}) or ${N_FEATURES + 1} (no ${ID_NAME})`,
    );
  }
  const featureNames = Object.freeze(names.slice(skip, skip + N_FEATURES));
  return { nColumns: names.length, skip, featureNames, dataStart: end + 1, firstLine: 2 };
}

/** Lines from `from` to the end, counting a last line without a newline. */
function countLines(buf: Buffer, from: number): number {
  let n = 0;
  let p = buf.indexOf(NEWLINE, from);
  while (p >= 0) {
    n++;
    p = buf.indexOf(NEWLINE, p + 1);
  }
  if (buf.length > from && buf[buf.length - 1] !== NEWLINE) n++;
  return n;
}

function isBlank(buf: Buffer, from: number): boolean {
  for (let p = from; p < buf.length; p++) {
    const c = buf[p];
    if (c !== NEWLINE && c !== CR && c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

function countFields(buf: Buffer, from: number, stop: number): number {
  let n = 1;
  for (let p = from; p < stop; p++) if (buf[p] === COMMA) n++;
  return n;
}

function wrongColumnCount(file: string, line: number, expected: number, found: number): CovertypeFormatError {
  return new CovertypeFormatError(
    file,
    line,
    `wrong column count: expected ${expected} columns, found ${found}`,
  );
}

function notANumber(
  file: string,
  line: number,
  buf: Buffer,
  start: number,
  stop: number,
  col: number,
  layout: Layout,
): CovertypeFormatError {
  let end = buf.indexOf(COMMA, start);
  if (end < 0 || end > stop) end = stop;
  const text = buf.toString('utf8', start, Math.min(end, start + 40));
  const name =
    col < layout.skip
      ? ID_NAME
      : col === layout.nColumns - 1
        ? LABEL_NAME
        : (layout.featureNames[col - layout.skip] ?? '?');
  const what = text === '' ? 'is empty' : `is not a number: "${text}"`;
  return new CovertypeFormatError(file, line, `column ${col + 1} (${name}) ${what}`);
}
