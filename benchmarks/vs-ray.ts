/**
 * de2 against Ray + scikit-learn on this machine, side by side in one run: `npm run bench:ray`
 * (after `npm run bench:ray:setup`, which makes the Python venv in benchmarks/ray/.venv).
 *
 *   npx tsx benchmarks/vs-ray.ts [--parts cold,micro,cluster,20k,581k] [--repeat N] [--out DIR]
 *
 * - the DE2 experiment: examples/random-forest.ts (de2 Tune + @de2/forest) against
 *   benchmarks/ray/tune_forest.py (Ray Tune + scikit-learn), same rows, split, grid and CPUs,
 *   on the committed 20k sample (16 configurations) and on a Covertype-shaped 581k set
 *   (benchmarks/covtype-synth.ts; the 4-configuration "tiny" grid); wall time, peak RSS
 *   summed over every process each side started, CPU time, best configuration and accuracy;
 * - core microbenchmarks (benchmarks/ray/de2-micro.ts against ray_micro.py), embedded and on
 *   a head + 2 worker nodes on loopback; cold start, init to the first result.
 * The two sides alternate (de2 first, then Ray; the order flips on each repeat), each in its
 * own process group. Writes vs-ray.{md,json,svg} into --out (default benchmarks/results).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SAMPLE_PATH, loadCovertype } from '../examples/covertype/index.js';
import { gridConfigs } from '../examples/random-forest/grids.js';
import { COVTYPE_ROWS, synthCovtype } from './covtype-synth.js';
import { startDe2Cluster, startRayCluster, type RunningCluster } from './ray/clusters.js';
import { killGroup, lastJson, liveGroups, runMeasured, type ChildResult } from './ray/procs.js';
import { advantageChart, fmt, markdownTable, met, ratio, type Row } from './ray/report.js';
import { splitSummary, type SplitSummary } from './ray/split-hash.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const venv = path.join(root, 'benchmarks/ray/.venv');
const python = path.join(venv, 'bin/python');
const MiB = 2 ** 20;
const PARTS = ['cold', 'micro', 'cluster', '20k', '581k'] as const;

const { values } = parseArgs({
  options: {
    parts: { type: 'string', default: PARTS.join(',') },
    repeat: { type: 'string', default: '1' },
    out: { type: 'string', default: path.join(root, 'benchmarks/results') },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const parts = new Set(values.parts.split(','));
for (const p of parts)
  if (!(PARTS as readonly string[]).includes(p))
    throw new RangeError(`--parts: unknown part "${p}" (${PARTS.join(', ')})`);
const repeat = Number(values.repeat);
if (!(Number.isInteger(repeat) && repeat >= 1))
  throw new RangeError(`--repeat must be a positive integer, got ${values.repeat}`);

// Ray installed? If not, say so in one line and stop without failing.
const check = existsSync(python)
  ? await runMeasured(python, [
      '-c',
      'import ray, sklearn, pandas; print(ray.__version__, sklearn.__version__)',
    ])
  : undefined;
if (!check || check.code !== 0) {
  console.log(
    `bench:ray: Ray is not installed in benchmarks/ray/.venv (run npm run bench:ray:setup; it needs the pip index): ${
      check ? check.stderr.trim().split('\n').pop() : 'no venv'
    }`,
  );
  process.exit(0);
}
const [rayVersion, sklearnVersion] = check.stdout.trim().split(' ');

const work = mkdtempSync(path.join(os.tmpdir(), 'de2ray-'));
const rayEnv = { ...process.env, RAY_USAGE_STATS_ENABLED: '0', PYTHONUNBUFFERED: '1' };
const clusters: RunningCluster[] = [];
async function cleanup(): Promise<void> {
  for (const c of clusters.splice(0)) await c.stop().catch(() => undefined);
  for (const g of [...liveGroups]) killGroup(g);
  rmSync(work, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\nbench:ray: ${signal}: stopping every process it started`);
    void cleanup().finally(() => process.exit(130));
  });
}

const rows: Row[] = [];
const notes: string[] = [];
const loads: string[] = [];
const raw: Record<string, unknown> = {};
const log = (line: string) => console.log(line);
const load = (when: string) => {
  const l = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
  loads.push(`${when}: ${l}`);
  log(`  [load average ${l}]`);
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** Runs de2 then Ray on even repeats, Ray then de2 on odd ones. */
async function alternate<A, B>(i: number, de2: () => Promise<A>, ray: () => Promise<B>): Promise<[A, B]> {
  if (i % 2 === 0) {
    const a = await de2();
    return [a, await ray()];
  }
  const b = await ray();
  return [await de2(), b];
}
const tsx = (script: string, args: string[]) =>
  runMeasured(process.execPath, ['--import', 'tsx', path.join(root, script), ...args], { cwd: root });

// ---- cold start: init() / ray.init() to the first result, in fresh processes -------------
interface MicroOut {
  rates?: Record<string, number>;
  seconds: { import: number; init: number; initToFirstResult: number };
  /** de2: which of the 800 MB puts (and of the 2 GiB loop's) found a block in the store pool. */
  notes?: { bigPutWarm?: boolean[]; bigLoopWarm?: boolean[] };
}
async function coldStart(): Promise<void> {
  log('cold start: init() to the first result, 3 fresh processes each side, alternating');
  const de2: number[] = [];
  const ray: number[] = [];
  for (let i = 0; i < 3; i++) {
    const [a, b] = await alternate(
      i,
      async () => lastJson<MicroOut>(await tsx('benchmarks/ray/de2-micro.ts', ['--cold']), 'de2 cold start'),
      async () =>
        lastJson<MicroOut>(
          await runMeasured(
            python,
            [path.join(root, 'benchmarks/ray/ray_micro.py'), '--cold', '--temp-dir', path.join(work, 'rc')],
            {
              env: rayEnv,
            },
          ),
          'Ray cold start',
        ),
    );
    de2.push(a.seconds.initToFirstResult);
    ray.push(b.seconds.initToFirstResult);
  }
  raw.coldStart = { de2, ray };
  log(`  de2 ${de2.map(fmt).join(', ')} s; Ray ${ray.map(fmt).join(', ')} s`);
  rows.push({
    section: 'cold start',
    name: 'init() to first result (median of 3)',
    unit: 's',
    de2: median(de2),
    ray: median(ray),
    better: 'lower',
  });
  load('after cold start');
}

// ---- microbenchmarks ---------------------------------------------------------------------
const MICRO: [key: string, name: string, unit: string][] = [
  ['sync', 'sync tasks, get(f.remote()) in a loop', 'tasks/s'],
  ['async', 'async tasks, 1,000 then one get', 'tasks/s'],
  ['actorSync', 'actor calls, sync', 'calls/s'],
  ['actorAsync', 'actor calls, async (1,000 then one get)', 'calls/s'],
  ['put', 'small put', 'puts/s'],
  ['get', 'small get of a stored object', 'gets/s'],
  ['bigPutFirstGBps', 'put of an 800 MB array, first', 'GB/s'],
  ['bigPutGBps', 'put of an 800 MB array, median of 3', 'GB/s'],
  ['bigGetGBps', 'get of it, same node', 'GB/s'],
  ['bigLoopGBps', 'put + task read + free of a 2 GiB array, 10 times (total)', 'GB/s'],
  ['bigLoopMedianGBps', 'put + task read + free of a 2 GiB array, median round', 'GB/s'],
];
/** "de2 puts 1-3: fresh, pool, pool": which puts reused memory of the store pool. */
function warmNote(warm: boolean[] | undefined, first = false): string {
  if (!warm) return '';
  const list = first ? warm.slice(0, 1) : warm;
  return ` [de2: ${list.map((w) => (w ? 'pool' : 'fresh')).join(', ')}]`;
}
function microRows(section: string, de2: MicroOut, ray: MicroOut): void {
  for (const [key, name, unit] of MICRO) {
    if (de2.rates![key] === undefined || ray.rates![key] === undefined) continue;
    const warm = key.startsWith('bigPut')
      ? de2.notes?.bigPutWarm
      : key.startsWith('bigLoop')
        ? de2.notes?.bigLoopWarm
        : undefined;
    rows.push({
      section,
      name: name + warmNote(warm, key === 'bigPutFirstGBps'),
      unit,
      de2: de2.rates![key]!,
      ray: ray.rates![key]!,
      better: 'higher',
      // The 2 GiB loop is reported against Ray without a target (issue #27 sets none).
      ...(key.startsWith('bigLoop') ? {} : { target: 1 }),
    });
  }
}
async function embeddedMicro(): Promise<void> {
  log('embedded microbenchmarks: init({ numCpus: 2 }) against ray.init(num_cpus=2)');
  const [de2, ray] = await alternate(
    0,
    async () =>
      lastJson<MicroOut>(await tsx('benchmarks/ray/de2-micro.ts', ['--big-loop']), 'de2 microbenchmarks'),
    async () =>
      lastJson<MicroOut>(
        await runMeasured(
          python,
          [path.join(root, 'benchmarks/ray/ray_micro.py'), '--temp-dir', path.join(work, 'rm'), '--big-loop'],
          { env: rayEnv },
        ),
        'Ray microbenchmarks',
      ),
  );
  raw.embedded = { de2, ray };
  microRows('embedded', de2, ray);
  load('after embedded microbenchmarks');
}
async function clusterMicro(): Promise<void> {
  log('cluster microbenchmarks: head (0 CPUs) + 2 worker nodes (1 CPU each) on 127.0.0.1, driver joins');
  const de2Cluster = await startDe2Cluster();
  clusters.push(de2Cluster);
  const de2 = lastJson<MicroOut>(
    await tsx('benchmarks/ray/de2-micro.ts', ['--address', de2Cluster.address, '--token', de2Cluster.token!]),
    'de2 cluster microbenchmarks',
  );
  await de2Cluster.stop();
  clusters.splice(clusters.indexOf(de2Cluster), 1);
  const rayCluster = await startRayCluster(path.join(venv, 'bin/ray'), path.join(work, 'rcl'), rayEnv);
  clusters.push(rayCluster);
  const ray = lastJson<MicroOut>(
    await runMeasured(
      python,
      [path.join(root, 'benchmarks/ray/ray_micro.py'), '--address', rayCluster.address],
      { env: rayEnv },
    ),
    'Ray cluster microbenchmarks',
  );
  await rayCluster.stop();
  clusters.splice(clusters.indexOf(rayCluster), 1);
  raw.cluster = { de2, ray, startSeconds: { de2: de2Cluster.startSeconds, ray: rayCluster.startSeconds } };
  rows.push({
    section: 'cluster',
    name: 'start head + 2 worker nodes',
    unit: 's',
    de2: de2Cluster.startSeconds,
    ray: rayCluster.startSeconds,
    better: 'lower',
  });
  microRows('cluster', de2, ray);
  load('after cluster microbenchmarks');
}

// ---- the experiment ----------------------------------------------------------------------
interface De2Summary {
  bestConfig: Record<string, unknown>;
  bestAccuracy: number;
  searchSeconds: number;
  totalSeconds: number;
  trials: number;
  errors: { error: string; message?: string }[];
}
interface RayOut {
  split: SplitSummary;
  bestConfig: Record<string, unknown>;
  bestAccuracy: number;
  trials: { trialSeconds: number; fitSeconds: number; error: string | null }[];
  errors: number;
  seconds: Record<string, number>;
}
interface Side {
  wall: number;
  search: number;
  trialMean: number;
  trials: number;
  peakRss: number;
  peakPss: number;
  processes: number;
  cpu: number;
  cpuByName: Record<string, number>;
  accuracy: number;
  config: Record<string, unknown>;
}
const side = (
  r: ChildResult,
  o: Omit<Side, 'wall' | 'peakRss' | 'peakPss' | 'processes' | 'cpu' | 'cpuByName'>,
): Side => ({
  ...o,
  wall: r.wallSeconds,
  peakRss: r.peakRssBytes,
  peakPss: r.peakPssBytes,
  processes: r.peakProcesses,
  cpu: r.cpuSeconds,
  cpuByName: r.cpuByName,
});

/** Trial times from de2 Tune's results.csv (timeTotalS of each trial's last result). */
function de2TrialSeconds(csvPath: string): number[] {
  const [header, ...lines] = readFileSync(csvPath, 'utf8').trim().split('\n');
  const col = header!.split(',').indexOf('timeTotalS');
  return lines.map((l) => Number(l.split(',')[col]));
}

async function experiment(
  label: string,
  dataPath: string,
  grid: 'small' | 'tiny',
  target: number,
  memTarget?: number,
): Promise<void> {
  const configs = gridConfigs(grid, false);
  const configsPath = path.join(work, `${label}-configs.json`);
  writeFileSync(configsPath, JSON.stringify(configs));
  const expected = await splitSummary(dataPath);
  log(
    `experiment ${label}: ${expected.rows} rows (train ${expected.train} / test ${expected.test}), grid "${grid}" (${configs.length} configurations), 2 CPUs, 2 trials at once`,
  );
  const de2Runs: Side[] = [];
  const rayRuns: Side[] = [];
  for (let i = 0; i < repeat; i++) {
    const [a, b] = await alternate(
      i,
      async () => {
        const name = `de2-${label}-${i}`;
        const r = await tsx('examples/random-forest.ts', [
          '--data',
          dataPath,
          '--grid',
          grid,
          '--num-cpus',
          '2',
          '--max-concurrent',
          '2',
          '--progress',
          'none',
          '--storage-path',
          work,
          '--name',
          name,
        ]);
        if (r.code !== 0)
          throw new Error(
            `de2 experiment failed (exit ${r.code}):\n${r.stderr.slice(-3000)}${r.stdout.slice(-2000)}`,
          );
        const s = JSON.parse(readFileSync(path.join(work, name, 'summary.json'), 'utf8')) as De2Summary;
        const times = de2TrialSeconds(path.join(work, name, 'results.csv'));
        log(
          `  de2: ${fmt(r.wallSeconds)} s, best ${JSON.stringify(s.bestConfig)} ${s.bestAccuracy.toFixed(4)}, peak RSS ${fmt(r.peakRssBytes / MiB)} MiB (${r.peakProcesses} processes)`,
        );
        if (s.errors.length) {
          const what = s.errors.map((e) => `${e.error}: ${e.message ?? ''}`.slice(0, 300)).join('; ');
          notes.push(`${label}: de2 had ${s.errors.length} trial errors (${what})`);
        }
        return side(r, {
          search: s.searchSeconds,
          trialMean: times.reduce((x, y) => x + y, 0) / times.length,
          trials: times.length,
          accuracy: s.bestAccuracy,
          config: s.bestConfig,
        });
      },
      async () => {
        const out = path.join(work, `ray-${label}-${i}.json`);
        const r = await runMeasured(
          python,
          [
            path.join(root, 'benchmarks/ray/tune_forest.py'),
            '--data',
            dataPath,
            '--configs',
            configsPath,
            '--num-cpus',
            '2',
            '--max-concurrent',
            '2',
            '--storage',
            path.join(work, `ray-results-${label}-${i}`),
            '--temp-dir',
            path.join(work, 'rt'),
            '--out',
            out,
          ],
          { env: rayEnv },
        );
        if (r.code !== 0)
          throw new Error(
            `Ray experiment failed (exit ${r.code}):\n${r.stderr.slice(-3000)}${r.stdout.slice(-2000)}`,
          );
        const o = JSON.parse(readFileSync(out, 'utf8')) as RayOut;
        if (JSON.stringify(o.split) !== JSON.stringify(expected)) {
          throw new Error(
            `the Ray program did not get the rows de2 gets: ${JSON.stringify(o.split)} vs ${JSON.stringify(expected)}`,
          );
        }
        if (o.errors) notes.push(`${label}: Ray had ${o.errors} trial errors`);
        const times = o.trials.map((t) => t.trialSeconds);
        const fits = o.trials.reduce((sum, t) => sum + t.fitSeconds, 0);
        notes.push(
          `${label}: Ray's trials spent ${fmt(fits)} s in scikit-learn's fit() of ${fmt(times.reduce((x, y) => x + y, 0))} s of trial time`,
        );
        log(
          `  Ray: ${fmt(r.wallSeconds)} s, best ${JSON.stringify(o.bestConfig)} ${o.bestAccuracy.toFixed(4)}, peak RSS ${fmt(r.peakRssBytes / MiB)} MiB (${r.peakProcesses} processes)`,
        );
        return side(r, {
          search: o.seconds.search!,
          trialMean: times.reduce((x, y) => x + y, 0) / times.length,
          trials: times.length,
          accuracy: o.bestAccuracy,
          config: o.bestConfig,
        });
      },
    );
    de2Runs.push(a);
    rayRuns.push(b);
    load(`after experiment ${label}, run ${i + 1}`);
  }
  raw[`experiment${label}`] = { de2: de2Runs, ray: rayRuns, split: expected, configs };
  // Ratios from the first pair (one run, side by side); further pairs are in the JSON.
  const a = de2Runs[0]!;
  const b = rayRuns[0]!;
  const sec = `experiment ${label}`;
  const overhead = (s: Side) => (s.search * 2) / s.trials - s.trialMean;
  rows.push(
    {
      section: sec,
      name: 'wall time, start to exit',
      unit: 's',
      de2: a.wall,
      ray: b.wall,
      better: 'lower',
      target,
    },
    {
      section: sec,
      name: 'before the search (start-up, data, init)',
      unit: 's',
      de2: a.wall - a.search,
      ray: b.wall - b.search,
      better: 'lower',
    },
    { section: sec, name: 'search (Tuner.fit)', unit: 's', de2: a.search, ray: b.search, better: 'lower' },
    {
      section: sec,
      name: 'trial time, mean (as Tune measures it)',
      unit: 's',
      de2: a.trialMean,
      ray: b.trialMean,
      better: 'lower',
    },
    {
      section: sec,
      name: 'overhead per trial (2 x search / trials - trial time)',
      unit: 's',
      de2: overhead(a),
      ray: overhead(b),
      better: 'none',
    },
    { section: sec, name: 'CPU time, all processes', unit: 's', de2: a.cpu, ray: b.cpu, better: 'lower' },
    {
      section: sec,
      name: `peak RSS, all processes summed (${a.processes} / ${b.processes} processes)`,
      unit: 'MiB',
      de2: a.peakRss / MiB,
      ray: b.peakRss / MiB,
      better: 'lower',
      ...(memTarget ? { target: memTarget } : {}),
    },
    {
      section: sec,
      name: 'peak PSS, all processes summed (shared pages counted once)',
      unit: 'MiB',
      de2: a.peakPss / MiB,
      ray: b.peakPss / MiB,
      better: 'lower',
    },
    {
      section: sec,
      name: 'best test accuracy',
      unit: 'accuracy',
      de2: a.accuracy,
      ray: b.accuracy,
      better: 'none',
      verdict: {
        text: `${((a.accuracy - b.accuracy) * 100).toFixed(2)} points, within 1`,
        met: Math.abs(a.accuracy - b.accuracy) <= 0.01,
      },
    },
  );
  notes.push(`${label}: best configuration de2 ${JSON.stringify(a.config)}, Ray ${JSON.stringify(b.config)}`);
  const top = (by: Record<string, number>) =>
    Object.entries(by)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 5)
      .map(([n, s]) => `${n} ${fmt(s)} s`)
      .join(', ');
  notes.push(`${label}: CPU time by process, de2: ${top(a.cpuByName)}; Ray: ${top(b.cpuByName)}`);
}

async function covtypeShapedFile(): Promise<string> {
  const real = await loadCovertype(SAMPLE_PATH);
  const synth = synthCovtype(
    { X: real.features, y: real.labels, nRows: real.nRows, nFeatures: real.nFeatures },
    COVTYPE_ROWS,
    0,
  );
  const lines: string[] = [];
  for (let r = 0; r < synth.nRows; r++) {
    lines.push(`${Array.from(synth.X.subarray(r * 54, r * 54 + 54)).join(',')},${synth.y[r]}`);
  }
  const file = path.join(work, 'covtype-shaped-581k.data');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const started = new Date();
log(
  `bench:ray: de2 against Ray ${rayVersion} + scikit-learn ${sklearnVersion}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? ''}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
load('start');
try {
  if (parts.has('cold')) await coldStart();
  if (parts.has('micro')) await embeddedMicro();
  if (parts.has('cluster')) await clusterMicro();
  if (parts.has('20k')) await experiment('20k', SAMPLE_PATH, 'small', 0.25, 0.5);
  if (parts.has('581k')) await experiment('581k', await covtypeShapedFile(), 'tiny', 0.6);
} finally {
  await cleanup();
}

const finished = new Date();
const header =
  `de2 against Ray ${rayVersion} + scikit-learn ${sklearnVersion}; ${started.toISOString().slice(0, 16).replace('T', ' ')}-${finished.toISOString().slice(11, 16)} UTC; ` +
  `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; command: npm run bench:ray${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`;
const table = markdownTable(rows);
const md = [
  header,
  '',
  table,
  '',
  ...notes.map((n) => `- ${n}`),
  `- load average (1, 5, 15 min): ${loads.join('; ')}`,
  '',
].join('\n');
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, 'vs-ray.md'), md);
writeFileSync(
  path.join(values.out, 'vs-ray.json'),
  JSON.stringify(
    {
      header,
      started,
      finished,
      rows: rows.map((r) => ({ ...r, ratio: ratio(r), met: met(r) })),
      loads,
      notes,
      raw,
    },
    null,
    2,
  ) + '\n',
);
writeFileSync(
  path.join(values.out, 'vs-ray.svg'),
  advantageChart(
    `de2 against Ray ${rayVersion}, ${os.cpus().length} CPUs, ${finished.toISOString().slice(0, 10)}`,
    rows,
  ),
);
log('');
log(md);
log(`written: ${path.join(values.out, 'vs-ray.{md,json,svg}')}`);
