// The de2 side's split, hashed the way benchmarks/ray/covtype_split.py hashes its own: the
// example's functions (loadCovertype, stratifiedSplit, takeRows), each row as 55 int32
// little-endian (54 features, then the label), rows in ascending file order.
import { createHash } from 'node:crypto';
import {
  loadCovertype,
  stratifiedSplit,
  takeRows,
  type CovertypeData,
} from '../../examples/covertype/index.js';

export interface SplitSummary {
  rows: number;
  train: number;
  test: number;
  trainSha256: string;
  testSha256: string;
}

function rowsSha256(data: CovertypeData): string {
  const { nRows, nFeatures } = data;
  const row = new Int32Array(nFeatures + 1);
  const bytes = new Uint8Array(row.buffer);
  const hash = createHash('sha256');
  for (let r = 0; r < nRows; r++) {
    for (let j = 0; j < nFeatures; j++) row[j] = data.features[r * nFeatures + j]!;
    row[nFeatures] = data.labels[r]!;
    hash.update(bytes); // typed arrays are little-endian on every platform Node runs on here
  }
  return hash.digest('hex');
}

/** What the example trains and tests on for `path`, `testFraction` and `seed`, hashed. */
export async function splitSummary(path: string, testFraction = 0.2, seed = 0): Promise<SplitSummary> {
  const data = await loadCovertype(path);
  const split = stratifiedSplit(data.labels, { testFraction, seed });
  return {
    rows: data.nRows,
    train: split.train.length,
    test: split.test.length,
    trainSha256: rowsSha256(takeRows(data, split.train)),
    testSha256: rowsSha256(takeRows(data, split.test)),
  };
}
