// Command line for the Covertype data, for people preparing a machine by hand:
//   npx tsx examples/covertype/cli.ts fetch [--cache-dir DIR]   download + verify the full UCI file
//   npx tsx examples/covertype/cli.ts info [PATH]               load a file; rows, classes, load time
import { parseArgs } from 'node:util';
import {
  classCounts,
  COVERTYPE_ARCHIVE,
  CovertypeError,
  DEFAULT_CACHE_DIR,
  fetchCovertype,
  loadCovertype,
  SAMPLE_PATH,
} from './index.js';

const USAGE = `Usage:
  npx tsx examples/covertype/cli.ts fetch [--cache-dir DIR]
      Downloads the full UCI covtype.data.gz (${COVERTYPE_ARCHIVE.rows} rows) into DIR
      (default ${DEFAULT_CACHE_DIR}), checks its size and sha256, prints its path.
  npx tsx examples/covertype/cli.ts info [PATH]
      Loads a Covertype file (UCI covtype.data or Kaggle train.csv, plain or gzipped;
      default the committed sample) and prints its rows, class counts and load time.`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'cache-dir': { type: 'string', default: DEFAULT_CACHE_DIR }, help: { type: 'boolean' } },
  });
  const [command, path] = positionals;
  if (values.help === true || command === undefined) {
    console.log(USAGE);
    return;
  }
  if (command === 'fetch') {
    let shown = -1;
    const file = await fetchCovertype({
      cacheDir: values['cache-dir'] ?? DEFAULT_CACHE_DIR,
      onProgress: ({ bytes, total }) => {
        const percent = Math.floor((100 * bytes) / total);
        if (percent !== shown) process.stderr.write(`\rdownloading ${percent}% of ${total} bytes`);
        shown = percent;
      },
    });
    if (shown >= 0) process.stderr.write('\n');
    console.log(file);
  } else if (command === 'info') {
    const file = path ?? SAMPLE_PATH;
    const start = performance.now();
    const data = await loadCovertype(file);
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `${file}: ${data.nRows} rows x ${data.nFeatures} features, loaded in ${seconds.toFixed(2)} s`,
    );
    console.log(`Cover_Type 1..7: ${classCounts(data.labels).slice(1).join(', ')}`);
  } else {
    throw new TypeError(`unknown command "${command}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof CovertypeError ? `${error.code}: ${error.message}` : String(error);
  console.error(message);
  process.exitCode = 1;
});
