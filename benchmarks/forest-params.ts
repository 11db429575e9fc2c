/**
 * `npm run bench:forest -- --params`: @de2/forest against scikit-learn with the parameters
 * scikit-learn's users tune (issue #24): ccpAlpha 0 / 1e-4 / 1e-3, classWeight 'balanced',
 * maxLeafNodes 1000, minImpurityDecrease 1e-5, all with 100 trees and maxDepth null, on the
 * real 20k Covertype sample split 80/20 (stratified, seed 0), as the main benchmark.
 *
 * Each config runs `--runs N` times (default 3), de2 and scikit-learn (n_jobs=1) taking
 * turns with the same seed per run (seed / random_state 0, 1, 2, ...; the two libraries'
 * random streams differ, so the forests are different draws of the same model). Fit
 * times are medians, accuracies and nodes per tree are means over the runs. Also printed:
 * the share of the fit that pruning took, and the memory of pruning one unbounded tree.
 *
 *   --write-fixture   also writes packages/forest/test/fixtures/sklearn-params.json
 *                     (scikit-learn's means, which test/params-sklearn.test.ts checks)
 *   --seed-trial [N]  only the seed's troublesome trial on the full-size data shape (see seedTrial);
 *                     with --sample on the real sample's 16,000 training rows
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { RandomForestClassifier, type RandomForestOptions } from '@de2/forest';
import { COVTYPE_20K, readCsv, stratifiedSplit, type Table } from '../packages/forest/test/helpers.js';
import { COVTYPE_ROWS, synthCovtype } from './covtype-synth.js';
import { cpuSeconds, fmt as f, median } from './forest/measure.js';
import {
  SklearnData,
  SklearnProcess,
  sklearnVersion,
  type Config,
  type SklearnResult,
} from './forest/sklearn.js';

const argv = process.argv.slice(2);
const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 3;
if (!Number.isInteger(runs) || runs < 1) throw new RangeError('--runs must be a positive integer');
const log = (s = ''): void => console.log(s);
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Row {
  name: string;
  options: RandomForestOptions & { classWeight?: 'balanced' };
}

export const PARAM_CONFIGS: Row[] = [
  { name: 'ccpAlpha 0', options: { ccpAlpha: 0 } },
  { name: 'ccpAlpha 1e-4', options: { ccpAlpha: 1e-4 } },
  { name: 'ccpAlpha 1e-3', options: { ccpAlpha: 1e-3 } },
  { name: "classWeight 'balanced'", options: { classWeight: 'balanced' } },
  { name: 'maxLeafNodes 1000', options: { maxLeafNodes: 1000 } },
  { name: 'minImpurityDecrease 1e-5', options: { minImpurityDecrease: 1e-5 } },
  { name: 'oobScore', options: { oobScore: true } },
];
const TREES = 100;

interface De2Run {
  fitSeconds: number;
  cpuSeconds: number;
  accuracy: number;
  meanNodes: number;
  pruningSeconds: number;
  oob: number;
}

function fitDe2(train: Table, test: Table, options: RandomForestOptions): De2Run {
  const rf = new RandomForestClassifier({ nEstimators: TREES, maxDepth: null, ...options });
  const t0 = performance.now();
  const c0 = cpuSeconds();
  rf.fit(train.X, train.y, train.nFeatures);
  const cpu = cpuSeconds() - c0;
  const fitSeconds = (performance.now() - t0) / 1000;
  return {
    fitSeconds,
    cpuSeconds: cpu,
    accuracy: rf.score(test.X, test.y, test.nFeatures),
    meanNodes: rf.nodeCount / rf.nTrees,
    pruningSeconds: rf.trainingStats.pruningSeconds,
    oob: rf.options.oobScore ? rf.oobScore : NaN,
  };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

if (argv.includes('--seed-trial')) {
  await seedTrial();
  process.exit(0);
}

/**
 * `--seed-trial [N]`: the seed's troublesome trial of `npm run example -- --grid seed`
 * (maxDepth null, ccpAlpha 1e-4, maxFeatures 'sqrt', N = 400 trees) on the full-size data
 * shape (the 464,809 training rows of the Covertype-shaped set), grown as the trial grows
 * it (25 trees, then doubling with addTrees); prints after each step the trees' bytes and
 * what a trial's memory budget counts of this process (heap + ArrayBuffers, the data
 * excluded), against the seed grid's default budget for that many rows.
 */
async function seedTrial(): Promise<void> {
  const { defaultMemoryMb, SEED_TROUBLESOME_CONFIG } = await import('../examples/random-forest/grids.js');
  const { Dataset } = await import('@de2/forest');
  const i = argv.indexOf('--seed-trial');
  const target = Number(argv[i + 1]) > 0 ? Number(argv[i + 1]) : SEED_TROUBLESOME_CONFIG.nEstimators;
  const real = readCsv(COVTYPE_20K);
  // --sample: the real sample's 16,000 training rows (what `npm run example` trains on).
  const { train } = argv.includes('--sample')
    ? stratifiedSplit(real, 0.2, 0)
    : stratifiedSplit(synthCovtype(real, COVTYPE_ROWS, 0), 0.2, 0);
  const ds = Dataset.fromMatrix(train.X, train.y, { nFeatures: train.nFeatures });
  const MiB = 2 ** 20;
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  globalThis.gc?.();
  const base = used();
  const budget = defaultMemoryMb('seed', train.nRows);
  log(
    `### The seed's troublesome trial on ${train.nRows} training rows (${new Date().toISOString().slice(0, 16)}Z)\n`,
  );
  log(
    `Config ${JSON.stringify({ ...SEED_TROUBLESOME_CONFIG, nEstimators: target })}; the seed grid's default budget for these rows: ${budget} MiB. Load average before: ${load()}.\n`,
  );
  log(
    '| trees | nodes | nodes/tree | trees MiB | budgeted memory MiB (heap + ArrayBuffers, data excluded) | elapsed s |',
  );
  log('|---:|---:|---:|---:|---:|---:|');
  const { nEstimators: _, ...rest } = SEED_TROUBLESOME_CONFIG;
  const t0 = performance.now();
  const rf = new RandomForestClassifier({ ...rest, nEstimators: Math.min(25, target), seed: 0 }).fit(ds);
  for (;;) {
    log(
      `| ${rf.nTrees} | ${rf.nodeCount} | ${f(rf.nodeCount / rf.nTrees, 0)} | ${f(rf.byteLength / MiB)} | ${f((used() - base) / MiB, 1)} | ${f((performance.now() - t0) / 1000, 1)} |`,
    );
    if (rf.nTrees >= target) break;
    rf.addTrees(Math.min(rf.nTrees, target - rf.nTrees));
  }
  log(
    `\nLoad average after: ${load()}; pruning took ${f(rf.trainingStats.pruningSeconds)} s of the ${f((performance.now() - t0) / 1000)} s.`,
  );
}

const version = sklearnVersion();
if (version === null)
  throw new Error('scikit-learn is not importable (see forest/sklearn.ts for the python used)');
const real = readCsv(COVTYPE_20K);
const { train, test } = stratifiedSplit(real, 0.2, 0);
log(`## Forest parameters against scikit-learn ${version} (${new Date().toISOString().slice(0, 16)}Z)\n`);
log(`${train.nRows} train / ${test.nRows} test rows, ${TREES} trees, maxDepth null, ${runs} runs per row.`);
log(`Load average before: ${load()} (2 cores shared).\n`);
// Untimed warm-up fits: V8 optimizes the hot loops over the first few fits.
for (let i = 0; i < 3; i++) fitDe2(train, test, { nEstimators: 10, ccpAlpha: 1e-4 });

const data = new SklearnData(train, test);
const py = await SklearnProcess.start(data);
const fixture: Record<string, { accuracy: number; meanNodes: number; runs: number; oob?: number }> = {};
const lines: string[] = [];
let oobLine = '';
const details: string[] = [];
try {
  for (const row of PARAM_CONFIGS) {
    const de2: De2Run[] = [];
    const sk: SklearnResult[] = [];
    for (let i = 0; i < runs; i++) {
      de2.push(fitDe2(train, test, { ...row.options, seed: i }));
      const o = row.options;
      const c: Config = { nEstimators: TREES, maxDepth: null, randomState: i };
      if (o.ccpAlpha !== undefined) c.ccpAlpha = o.ccpAlpha;
      if (o.minImpurityDecrease !== undefined) c.minImpurityDecrease = o.minImpurityDecrease;
      if (typeof o.maxLeafNodes === 'number') c.maxLeafNodes = o.maxLeafNodes;
      if (o.classWeight !== undefined) c.classWeight = o.classWeight;
      if (o.oobScore) c.oobScore = true;
      sk.push(await py.fit(c));
    }
    const dFit = median(de2.map((r) => r.fitSeconds));
    const sFit = median(sk.map((r) => r.fitSeconds));
    const dAcc = mean(de2.map((r) => r.accuracy));
    const sAcc = mean(sk.map((r) => r.accuracy));
    const dNodes = mean(de2.map((r) => r.meanNodes));
    const sNodes = mean(sk.map((r) => r.meanNodes));
    const prune = median(de2.map((r) => r.pruningSeconds / r.fitSeconds));
    fixture[row.name] = { accuracy: sAcc, meanNodes: sNodes, runs };
    if (row.options.oobScore) {
      const dOob = mean(de2.map((r) => r.oob));
      const sOob = mean(sk.map((r) => r.oob ?? NaN));
      fixture[row.name]!.oob = sOob;
      oobLine = `Out-of-bag score (oobScore row, mean of the runs): de2 ${f(dOob, 4)}, scikit-learn ${f(sOob, 4)} (${(dOob - sOob) * 100 >= 0 ? '+' : ''}${f((dOob - sOob) * 100)} points).`;
    }
    lines.push(
      `| ${row.name} | ${f(dFit)} | ${f(sFit)} | ${f(dFit / sFit)} | ${f(dAcc, 4)} | ${f(sAcc, 4)} | ` +
        `${(dAcc - sAcc) * 100 >= 0 ? '+' : ''}${f((dAcc - sAcc) * 100)} | ${f(dNodes, 0)} | ${f(sNodes, 0)} | ` +
        `${f(dNodes / sNodes, 3)} | ${row.options.ccpAlpha ? `${f(prune * 100, 2)}%` : '-'} |`,
    );
    details.push(
      `- ${row.name}: fit s per run (de2 / sklearn) ${de2.map((r, i) => `${f(r.fitSeconds)}/${f(sk[i]!.fitSeconds)}`).join(', ')}; ` +
        `CPU s ${de2.map((r, i) => `${f(r.cpuSeconds)}/${f(sk[i]!.cpuSeconds)}`).join(', ')}; load ${load()}`,
    );
    console.error(`done: ${row.name}`);
  }
} finally {
  await py.close();
  data.dispose();
}
log(
  '| parameters | de2 fit s | sklearn fit s | ratio | de2 acc | sklearn acc | diff (points) | de2 nodes/tree | sklearn nodes/tree | ratio | pruning share of de2 fit |',
);
log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const l of lines) log(l);
log();
if (oobLine) log(`${oobLine}\n`);
for (const d of details) log(d);
log(`\nLoad average after: ${load()}.\n`);

// Memory of pruning one unbounded tree: the tree grows in the builder's node store (reused
// from tree to tree; it keeps each node's weight and impurity and the leaves' float64 class
// counts beside the tree, with room to grow), is pruned there and compacted in place; only
// the pruned tree is copied out. Without pruning the whole tree is copied out instead.
// scikit-learn's way, in its own sizes: the grown tree (64-byte nodes plus 8 bytes per class
// and node of values), its pruning arrays (35 bytes per node) and the pruned copy.
log('### Memory of pruning one unbounded tree (maxDepth null, bootstrap, seed 0)\n');
log(
  "| data | ccpAlpha | nodes grown / kept | grown tree bytes | node store (capacity) | pruning arrays | pruned tree | peak, pruning in place | peak, same tree unpruned | scikit-learn's way, its sizes |",
);
log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const big = stratifiedSplit(synthCovtype(real, COVTYPE_ROWS, 0), 0.2, 0).train;
const kb = (b: number): string => `${(b / 1024).toFixed(0)} KiB`;
for (const [name, t] of [
  [`${train.nRows} real rows`, train],
  [`${big.nRows} Covertype-shaped rows`, big],
] as const) {
  for (const ccpAlpha of [1e-4, 1e-3]) {
    const rf = new RandomForestClassifier({ nEstimators: 1, seed: 0, ccpAlpha }).fit(t.X, t.y, t.nFeatures);
    const s = rf.trainingStats;
    const pruned = rf.byteLength;
    const peak = s.storeBytes + s.prunerBytes + pruned;
    const unprunedPeak = s.storeBytes + s.lastGrownTreeBytes;
    const k = rf.classes.length;
    const sk = s.lastGrownTreeNodes * (64 + 8 * k + 35) + rf.nodeCount * (64 + 8 * k);
    log(
      `| ${name} | ${ccpAlpha} | ${s.lastGrownTreeNodes} / ${rf.nodeCount} | ${kb(s.lastGrownTreeBytes)} | ${kb(s.storeBytes)} | ` +
        `${kb(s.prunerBytes)} | ${kb(pruned)} | ${kb(peak)} | ${kb(unprunedPeak)} | ${kb(sk)} |`,
    );
  }
}
log();

if (argv.includes('--write-fixture')) {
  const path = new URL('../packages/forest/test/fixtures/sklearn-params.json', import.meta.url);
  writeFileSync(
    path,
    JSON.stringify(
      {
        generatedBy: `npm run bench:forest -- --params --write-fixture (runs ${runs})`,
        sklearn: version,
        trees: TREES,
        split: 'real 20k Covertype sample, stratifiedSplit(0.2, seed 0)',
        configs: Object.fromEntries(
          PARAM_CONFIGS.map((r) => [r.name, { options: r.options, ...fixture[r.name] }]),
        ),
      },
      null,
      1,
    ) + '\n',
  );
  log(`Wrote ${path.pathname}`);
}
