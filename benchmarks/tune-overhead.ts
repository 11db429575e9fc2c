// Tune scheduling overhead: `npm run bench:tune` (npx tsx benchmarks/tune-overhead.ts).
// Trials that return at once, through a Tuner, beside the same no-op as plain de2 tasks
// (same function, same concurrency) in the same run; and the round trip of one ctx.report
// (trial -> controller actor -> driver's long poll -> decision back to the trial).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { get, init, remote, shutdown } from '@de2/core';
import { Tuner, grid, type TrialContext } from '@de2/tune';

const TRIALS = Number(process.env.DE2_BENCH_TRIALS ?? 300);
const REPORTS = 200;
const ROUNDS = 3;
const numCpus = Number(process.env.DE2_BENCH_CPUS ?? os.availableParallelism());
const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-bench-tune-'));

await init({ numCpus });

const ids = Array.from({ length: TRIALS }, (_v, i) => i);

async function tuneRun(trials: number): Promise<number> {
  const t = performance.now();
  const results = await new Tuner(async (config: { i: number }) => ({ i: config.i }), {
    paramSpace: { i: grid(ids.slice(0, trials)) },
    runConfig: { storagePath, progress: 'none' },
  }).fit();
  if (results.numTerminated !== trials)
    throw new Error(`only ${results.numTerminated} of ${trials} trials finished`);
  return performance.now() - t;
}

/** The same work as plain tasks, at most `numCpus` in flight (what the Tuner runs at once). */
async function plainRun(tasks: number): Promise<number> {
  const f = remote(async (config: { i: number }) => ({ i: config.i }));
  const t = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < tasks) await get(f.remote({ i: next++ }));
  };
  await Promise.all(Array.from({ length: numCpus }, lane));
  return performance.now() - t;
}

/** One trial that calls ctx.report `reports` times (each call waits for the driver's answer). */
async function reportRun(reports: number): Promise<number> {
  const t = performance.now();
  await new Tuner(
    async (config: { reports: number }, ctx: TrialContext) => {
      for (let i = 0; i < config.reports; i++) await ctx.report({ i });
    },
    { paramSpace: { reports }, runConfig: { storagePath, progress: 'none' } },
  ).fit();
  return performance.now() - t;
}

// Warm up threads, code caches and the controller actor.
await tuneRun(Math.min(20, TRIALS));
await plainRun(20);
await reportRun(20);

const best = async (fn: () => Promise<number>) => {
  let b = Infinity;
  for (let r = 0; r < ROUNDS; r++) b = Math.min(b, await fn());
  return b;
};
const tuneMs = (await best(() => tuneRun(TRIALS))) / TRIALS;
const plainMs = (await best(() => plainRun(TRIALS))) / TRIALS;
const perReportMs = ((await best(() => reportRun(REPORTS))) - (await best(() => reportRun(0)))) / REPORTS;

await shutdown();
fs.rmSync(storagePath, { recursive: true, force: true });

const fmt = (x: number) => x.toFixed(2);
console.log(`de2 tune overhead: ${TRIALS} trials that return at once, ${numCpus} CPUs, best of ${ROUNDS}`);
console.log(`  Tuner, per trial (embedded)          ${fmt(tuneMs)} ms   (target < 20 ms)`);
console.log(`  plain de2 task, same work             ${fmt(plainMs)} ms`);
console.log(
  `  Tune's own cost per trial             ${fmt(tuneMs - plainMs)} ms   (ratio ${fmt(tuneMs / plainMs)}x)`,
);
console.log(`  ctx.report round trip (1 trial x ${REPORTS})  ${fmt(perReportMs)} ms`);
