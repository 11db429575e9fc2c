/**
 * @de2/forest against scikit-learn (Debian's python3-sklearn, n_jobs=1) and against
 * ml-random-forest, side by side in one run; prints markdown tables for benchmarks/README.md.
 *
 *   npm run bench:forest                  # everything (the 581k sklearn fits take minutes)
 *   npm run bench:forest -- --quick       # the 581k set with 10 trees only, no sklearn RSS run
 *   flags: --no-sklearn --no-mlrf --no-big --no-rss --runs N (every config N times)
 *   npm run bench:forest -- --params      # ccpAlpha, classWeight, maxLeafNodes, ... (forest-params.ts)
 *
 * Data: the 20,000 real UCI Covertype rows (../shared/data/covtype/covtype.20k.data) and a
 * 581,012-row Covertype-SHAPED set resampled from them with jitter (covtype-synth.ts), both
 * split 80/20, stratified, seed 0. Both libraries get exactly the same rows (written to a
 * temporary folder for python). Only fit is timed, from raw float32 rows (de2's time
 * includes binning them), as wall time and as process CPU time.
 *
 * Each config is fitted several times, de2 and scikit-learn taking turns (de2, sklearn,
 * de2, sklearn, ...), and each table cell is the median of its runs; every run is listed
 * under the table. scikit-learn runs in one python process per data set that loads the
 * rows once and serves every fit, so both sides pay their start-up once. de2 first makes
 * five untimed fits, so that its timings are of JIT-compiled code, as in a long-lived
 * worker (the warm-up fits are reported apart).
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COVTYPE_20K,
  iris,
  readCsv,
  rng,
  stratifiedSplit,
  take,
  type Table,
} from '../packages/forest/test/helpers.js';
import { COVTYPE_ROWS, synthCovtype } from './covtype-synth.js';
import { fitDe2, fmt as f, median, type Fit } from './forest/measure.js';
import { fitMlRandomForest } from './forest/mlrf.js';
import { SklearnData, SklearnProcess, sklearnVersion, type Config } from './forest/sklearn.js';

if (process.argv.includes('--params')) {
  // The parameters scikit-learn's users tune (ccpAlpha, classWeight, ...): its own mode.
  await import('./forest-params.js');
  process.exit(0);
}
const argv = process.argv.slice(2);
const args = new Set(argv);
const quick = args.has('--quick');
const runsFlag = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : null;
if (runsFlag !== null && !(Number.isInteger(runsFlag) && runsFlag >= 1))
  throw new RangeError('--runs must be a positive integer');
const version = args.has('--no-sklearn') ? null : sklearnVersion();
const here = dirname(fileURLToPath(import.meta.url));
const log = (s = ''): void => console.log(s);

/**
 * Runs per config: short fits are the noisy ones (a busy neighbour, a GC, a cold cache
 * can double one), so they get more; a 100-tree fit on 581k rows takes one to two
 * minutes per library and short-lived effects vanish in it.
 */
function runsFor(c: Config, big: boolean): number {
  if (runsFlag !== null) return runsFlag;
  if (big) return c.nEstimators <= 10 ? 3 : 1;
  return c.nEstimators <= 10 ? 7 : 5;
}

/** A difference with its sign, + included. */
const signed = (x: number): string => (x > 0 ? '+' : '') + f(x);

const NO_FIT: Fit = { fitSeconds: NaN, cpuSeconds: NaN, accuracy: NaN };

/** Medians of each measure over the runs (each column on its own). */
function medianFit(runs: Fit[]): Fit {
  if (runs.length === 0) return NO_FIT;
  return {
    fitSeconds: median(runs.map((r) => r.fitSeconds)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    accuracy: median(runs.map((r) => r.accuracy)),
  };
}

async function versusSklearn(
  name: string,
  train: Table,
  test: Table,
  configs: Config[],
  big: boolean,
): Promise<void> {
  log(`### ${name}: ${train.nRows} train rows, ${test.nRows} test rows\n`);
  log(
    '| trees | maxDepth | runs | de2 fit s | sklearn fit s | ratio (wall) | de2 CPU s | sklearn CPU s | ratio (CPU) | de2 acc | sklearn acc | acc diff (points) |',
  );
  log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const data = version ? new SklearnData(train, test) : null;
  const py = data ? await SklearnProcess.start(data) : null;
  const details: string[] = [];
  try {
    for (const c of configs) {
      const de2: Fit[] = [];
      const sk: Fit[] = [];
      for (let i = 0; i < runsFor(c, big); i++) {
        de2.push(fitDe2(train, test, c));
        if (py) sk.push(await py.fit(c));
      }
      const d = medianFit(de2);
      const s = medianFit(sk);
      log(
        `| ${c.nEstimators} | ${c.maxDepth ?? 'null'} | ${de2.length} | ${f(d.fitSeconds)} | ${py ? f(s.fitSeconds) : 'skipped'} | ` +
          `${f(d.fitSeconds / s.fitSeconds)} | ${f(d.cpuSeconds)} | ${f(s.cpuSeconds)} | ${f(d.cpuSeconds / s.cpuSeconds)} | ` +
          `${f(d.accuracy, 4)} | ${f(s.accuracy, 4)} | ${signed((d.accuracy - s.accuracy) * 100)} |`,
      );
      const list = (runs: Fit[]): string =>
        runs.map((r) => `${f(r.fitSeconds)}/${f(r.cpuSeconds)}`).join(' ');
      details.push(
        `- ${c.nEstimators} trees, maxDepth ${c.maxDepth ?? 'null'}, wall/CPU s per run in order: ` +
          `de2 ${list(de2)}; scikit-learn ${py ? list(sk) : 'skipped'}`,
      );
    }
  } finally {
    await py?.close();
    data?.dispose();
  }
  log();
  for (const line of details) log(line);
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

const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || '?';
const dirty = spawnSync(
  'git',
  [
    'status',
    '--porcelain',
    '--',
    'packages/forest',
    'benchmarks/forest.ts',
    'benchmarks/forest',
    'benchmarks/covtype-synth.ts',
    'benchmarks/sklearn_forest.py',
  ],
  {
    encoding: 'utf8',
  },
).stdout?.trim()
  ? ' + uncommitted changes'
  : '';
log(`## Forest benchmark (${new Date().toISOString().slice(0, 16)}Z, commit ${commit}${dirty})\n`);
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
await versusSklearn('Covertype, real 20k rows', split20k.train, split20k.test, configs, false);

let rssData: SklearnData | null = null;
if (!args.has('--no-big') || !args.has('--no-rss')) {
  const { train, test } = stratifiedSplit(synthCovtype(real, COVTYPE_ROWS, 0), 0.2, 0);
  if (!args.has('--no-big')) {
    const big = quick ? configs.filter((c) => c.nEstimators === 10) : configs;
    const name = `Covertype-shaped ${COVTYPE_ROWS} rows (resampled from the real 20k with jitter)`;
    await versusSklearn(name, train, test, big, true);
  }
  if (!args.has('--no-rss')) rssData = new SklearnData(train, test);
}

if (!args.has('--no-mlrf')) {
  log('### Against ml-random-forest (10 trees; its defaults: every tree sees all features)\n');
  log('| data | train rows | library | fit s | CPU s | accuracy | speedup (wall) | speedup (CPU) |');
  log('|---|---:|---|---:|---:|---:|---:|---:|');
  const irisSplit = stratifiedSplit(iris(), 0.3, 1);
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
    // A fresh python process: its peak RSS is this one fit's.
    const py = await SklearnProcess.start(rssData);
    const s = await py.fit({ nEstimators: 100, maxDepth: null });
    await py.close();
    log(
      `| scikit-learn | ${f(s.rssAfterDataMiB, 0)} | ${f(s.peakRssMiB, 0)} | ${f(s.fitSeconds)} | ${f(s.accuracy, 4)} |`,
    );
  } else log('| scikit-learn | skipped (--quick or no sklearn) | | | |');
  rssData.dispose();
  log();
}
