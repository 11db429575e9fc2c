// Loads the Covertype data once, splits it by class and bins it once for every trial.
import { Dataset, type DatasetObject } from '@de2/forest';
import {
  DEFAULT_CACHE_DIR,
  SAMPLE_PATH,
  fetchCovertype,
  loadCovertype,
  stratifiedSample,
  stratifiedSplit,
  takeRows,
} from '../covertype/index.js';
import type { ExampleOptions } from './options.js';

export interface PreparedData {
  /** The file read. */
  readonly path: string;
  /** Rows in the file, and rows used (after --rows). */
  readonly fileRows: number;
  readonly rows: number;
  readonly train: DatasetObject;
  readonly test: DatasetObject;
  /** Bytes of the raw features as loaded (Float32, 54 a row) and of the binned sets shared with trials. */
  readonly rawBytes: number;
  readonly binnedBytes: number;
  readonly loadMs: number;
  readonly binMs: number;
}

function bytesOf(d: DatasetObject): number {
  return d.bins.byteLength + d.edges.byteLength + d.edgeOffsets.byteLength + d.y.byteLength;
}

/** A plain object of typed arrays: what `put` stores (a class instance cannot be cloned). */
function plain(d: Dataset): DatasetObject {
  return { bins: d.bins, edges: d.edges, edgeOffsets: d.edgeOffsets, y: d.y };
}

async function resolvePath(o: ExampleOptions, log: (line: string) => void): Promise<string> {
  if (o.data !== undefined) return o.data;
  if (!o.fetch) return SAMPLE_PATH;
  log(`downloading the full UCI file into ${DEFAULT_CACHE_DIR} (once)`);
  let shown = -1;
  return fetchCovertype({
    cacheDir: DEFAULT_CACHE_DIR,
    onProgress: ({ bytes, total }) => {
      const pct = Math.floor((100 * bytes) / total);
      if (pct >= shown + 10) log(`  ${(shown = pct)}%`);
    },
  });
}

/** Reads the file, samples `--rows` by class, splits train/test by class, bins both with the train edges. */
export async function prepareData(o: ExampleOptions, log: (line: string) => void): Promise<PreparedData> {
  const path = await resolvePath(o, log);
  let t = performance.now();
  let data = await loadCovertype(path);
  const fileRows = data.nRows;
  if (o.rows !== undefined && o.rows < data.nRows) {
    data = takeRows(data, stratifiedSample(o.rows, data.labels, { seed: o.seed }));
  } else if (o.rows !== undefined && o.rows > data.nRows) {
    throw new RangeError(`--rows ${o.rows} is more than the ${data.nRows} rows of ${path}`);
  }
  const loadMs = performance.now() - t;
  t = performance.now();
  const split = stratifiedSplit(data.labels, { testFraction: o.testFraction, seed: o.seed });
  const tr = takeRows(data, split.train);
  const te = takeRows(data, split.test);
  const train = Dataset.fromMatrix(tr.features, tr.labels, { nFeatures: data.nFeatures });
  const test = Dataset.fromMatrix(te.features, te.labels, { nFeatures: data.nFeatures, reference: train });
  const binMs = performance.now() - t;
  return {
    path,
    fileRows,
    rows: data.nRows,
    train: plain(train),
    test: plain(test),
    rawBytes: data.features.byteLength + data.labels.byteLength,
    binnedBytes: bytesOf(train) + bytesOf(test),
    loadMs,
    binMs,
  };
}
