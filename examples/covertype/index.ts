/**
 * Covertype data for the DE2 example: load the UCI or Kaggle file into typed arrays,
 * download and verify the full UCI archive, and split rows by class.
 *
 * @example
 * import { loadCovertype, SAMPLE_PATH, stratifiedSplit, takeRows } from './covertype/index.js';
 * const data = await loadCovertype(SAMPLE_PATH); // 20,000 real rows, committed
 * const { train, test } = stratifiedSplit(data.labels, { testFraction: 0.2, seed: 0 });
 * const trainSet = takeRows(data, train);
 * @packageDocumentation
 */
import { fileURLToPath } from 'node:url';

export { loadCovertype, isGzip } from './load.js';
export { parseCovertype } from './parse.js';
export { type CovertypeData, FEATURE_NAMES, N_FEATURES, N_CLASSES, LABEL_NAME } from './format.js';
export {
  fetchCovertype,
  COVERTYPE_ARCHIVE,
  DEFAULT_CACHE_DIR,
  type FetchCovertypeOptions,
  type FetchProgress,
} from './fetch.js';
export {
  stratifiedSplit,
  stratifiedSample,
  takeRows,
  classCounts,
  type Split,
  type SplitOptions,
  type SampleOptions,
} from './split.js';
export { CovertypeError, CovertypeFormatError, CovertypeFetchError, CovertypeErrorCode } from './errors.js';

/**
 * The committed sample: the first 20,000 rows of the UCI file, gzipped (see
 * examples/data/README.md). The example's default data set.
 */
export const SAMPLE_PATH = fileURLToPath(new URL('../data/covtype.sample.data.gz', import.meta.url));
