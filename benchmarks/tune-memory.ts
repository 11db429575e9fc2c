// Tune's driver memory over many trials: `npm run bench:tune-memory` (tsx benchmarks/tune-memory.ts).
// Ray users report the driver's RSS growing with the number of trials. Here the driver is a
// process of its own, joined to a local head (a de2-node process) that runs the trials, so the
// figure is the driver's alone: one experiment of 2,000 quick trials, the driver's RSS
// recorded every 100 completed trials (after a full GC, and as it stands).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { init, shutdown } from '@de2/core';
import { BasicVariantGenerator, Tuner, grid } from '@de2/tune';
import { startTestCluster } from '../tests/helpers/test-cluster.js';

const TRIALS = Number(process.env.DE2_BENCH_TRIALS ?? 2000);
const EVERY = 100;
const CPUS = Number(process.env.DE2_BENCH_CPUS ?? 2);
const MiB = 2 ** 20;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

interface Sample {
  trials: number;
  rssMiB: number;
  rssAfterGcMiB: number;
  heapUsedMiB: number;
}
const samples: Sample[] = [];
const mib = (b: number) => Math.round((b / MiB) * 10) / 10;
const sample = (trials: number): void => {
  const rss = process.memoryUsage.rss();
  gc();
  const after = process.memoryUsage();
  samples.push({ trials, rssMiB: mib(rss), rssAfterGcMiB: mib(after.rss), heapUsedMiB: mib(after.heapUsed) });
  process.stdout.write(`\r${trials} / ${TRIALS} trials`);
};

/** The default search, counting completed trials to sample the driver's memory. */
class SampledSearch extends BasicVariantGenerator {
  private completed = 0;
  override onTrialComplete(): void {
    super.onTrialComplete();
    if (++this.completed % EVERY === 0) sample(this.completed);
  }
}

const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-bench-tune-memory-'));
const cluster = await startTestCluster({ workers: 0, headCpus: CPUS });
const started = performance.now();
try {
  await init({ address: cluster.address, token: cluster.token });
  sample(0);
  const results = await new Tuner(async (config: { i: number }) => ({ score: config.i % 7 }), {
    paramSpace: { i: grid(Array.from({ length: TRIALS }, (_v, i) => i)) },
    tuneConfig: { metric: 'score', mode: 'max', searchAlg: new SampledSearch(), maxConcurrentTrials: CPUS },
    runConfig: { storagePath, name: 'memory', progress: 'none' },
  }).fit();
  if (results.numTerminated !== TRIALS)
    throw new Error(`only ${results.numTerminated} of ${TRIALS} trials finished`);
} finally {
  await shutdown();
  await cluster.teardown();
  fs.rmSync(storagePath, { recursive: true, force: true });
}
const seconds = (performance.now() - started) / 1000;

const at = (n: number) => samples.find((s) => s.trials === n);
const half = at(TRIALS / 2);
const last = at(TRIALS);
const growth = half && last ? Math.round((last.rssAfterGcMiB - half.rssAfterGcMiB) * 10) / 10 : NaN;
const lines = [
  `Tune driver memory: ${TRIALS} quick trials, one experiment, driver joined to a local head (${CPUS} CPUs), ` +
    `${seconds.toFixed(0)} s, ${new Date().toISOString().slice(0, 16)}, Node ${process.version}`,
  '',
  '| trials done | driver RSS (MiB) | RSS after GC (MiB) | JS heap used after GC (MiB) |',
  '|---:|---:|---:|---:|',
  ...samples.map((s) => `| ${s.trials} | ${s.rssMiB} | ${s.rssAfterGcMiB} | ${s.heapUsedMiB} |`),
  '',
  `RSS (after GC) growth over the last ${TRIALS / 2} trials: ${growth} MiB (target under 20 MB)`,
];
console.log(`\n${lines.join('\n')}`);
const out = path.join(import.meta.dirname, 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'tune-memory.md'), `${lines.join('\n')}\n`);
fs.writeFileSync(
  path.join(out, 'tune-memory.json'),
  `${JSON.stringify({ trials: TRIALS, growth, samples }, null, 2)}\n`,
);
