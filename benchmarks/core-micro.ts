// Core microbenchmarks: `npm run bench:core` (npx tsx benchmarks/core-micro.ts).
// Every de2 figure is printed beside the same work through raw Piscina, measured in this run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { get, init, put, remote, shutdown } from '@de2/core';

const ROUNDS = 5;
const numCpus = Number(process.env.DE2_BENCH_CPUS ?? os.availableParallelism());

/** Best of ROUNDS runs of `fn`, which does `n` operations; returns operations per second. */
async function rate(n: number, fn: () => Promise<void>): Promise<number> {
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    await fn();
    best = Math.max(best, n / ((performance.now() - t) / 1000));
  }
  return best;
}

/** Operations per second of one run of `fn`. */
async function rate1(n: number, fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return n / ((performance.now() - t) / 1000);
}

async function seconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

const rows: [string, number, string, string][] = [];
const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));

// Raw Piscina: the same no-op on the same number of threads.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-bench-'));
const noopFile = path.join(dir, 'noop.mjs');
fs.writeFileSync(noopFile, 'export default function noop() { return 0; }\n');
const pool = new Piscina({ filename: noopFile, maxThreads: numCpus, minThreads: numCpus });
await init({ numCpus });
const noop = remote(() => 0);
const rawSyncRound = async () => {
  for (let i = 0; i < 1000; i++) await pool.run(null);
};
const rawAsyncRound = async () => {
  await Promise.all(Array.from({ length: 1000 }, () => pool.run(null)));
};
const syncRound = async () => {
  for (let i = 0; i < 1000; i++) await get(noop.remote());
};
const asyncRound = async () => {
  await get(Array.from({ length: 1000 }, () => noop.remote()));
};
for (const warm of [rawAsyncRound, asyncRound]) for (let i = 0; i < 3; i++) await warm();
// Rounds alternate between raw Piscina and de2 so that both see the same machine load;
// the ratio reported is the median of the per-round ratios.
const TASK_ROUNDS = 9;
const perRound = {
  rawSync: [] as number[],
  sync: [] as number[],
  rawAsync: [] as number[],
  async: [] as number[],
};
for (let r = 0; r < TASK_ROUNDS; r++) {
  perRound.rawSync.push(await rate1(1000, rawSyncRound));
  perRound.sync.push(await rate1(1000, syncRound));
  perRound.rawAsync.push(await rate1(1000, rawAsyncRound));
  perRound.async.push(await rate1(1000, asyncRound));
}
await pool.destroy();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ratios = (a: number[], b: number[]) => a.map((x, i) => x / (b[i] as number));
const syncRatio = median(ratios(perRound.sync, perRound.rawSync));
const asyncRatio = median(ratios(perRound.async, perRound.rawAsync));
const [syncTasks, rawSync, asyncTasks, rawAsync] = [
  perRound.sync,
  perRound.rawSync,
  perRound.async,
  perRound.rawAsync,
].map(median) as [number, number, number, number];
rows.push([
  'sync tasks: `await get(f.remote())` in a loop',
  syncTasks,
  'tasks/s',
  `${fmt(rawSync)} (${fmt(syncRatio)}x)`,
]);
rows.push([
  'async tasks: 1,000 `f.remote()` then one `get`',
  asyncTasks,
  'tasks/s',
  `${fmt(rawAsync)} (${fmt(asyncRatio)}x)`,
]);

const Actor = remote(
  class {
    n = 0;
    inc() {
      return ++this.n;
    }
  },
);
const actor = Actor.remote();
await get(actor.inc.remote());
const actorSync = await rate(1000, async () => {
  for (let i = 0; i < 1000; i++) await get(actor.inc.remote());
});
const actorAsync = await rate(1000, async () => {
  await get(Array.from({ length: 1000 }, () => actor.inc.remote()));
});
rows.push(['actor calls, sync (`await get(a.m.remote())`)', actorSync, 'calls/s', '']);
rows.push(['actor calls, async (1,000 then one `get`)', actorAsync, 'calls/s', '']);

const smallPut = await rate(10_000, async () => {
  let last = put(0);
  for (let i = 0; i < 10_000; i++) last = put(i);
  await get(last);
});
const small = put({ a: 1, b: 'two' });
await get(small);
const smallGet = await rate(10_000, async () => {
  for (let i = 0; i < 10_000; i++) await get(small);
});
rows.push(['small `put` (stored, then one `get`)', smallPut, 'puts/s', '']);
rows.push(['small `get` of a stored object', smallGet, 'gets/s', '']);

// Large typed arrays: put copies once into shared memory; get on the same node does not copy.
const GB = 1e9;
const big = new Float64Array(100_000_000).fill(1); // 800 MB
const copyTime = await seconds(() => new Float64Array(big)); // copy into fresh memory, like put
const touched = new Float64Array(big.length).fill(2);
const setTime = await seconds(() => touched.set(big)); // copy into memory already touched (memcpy)
const putTime = await seconds(async () => {
  const ref = put(big);
  await get(ref);
  (globalThis as { keep?: unknown }).keep = ref;
});
const bigRef = (globalThis as { keep?: ReturnType<typeof put<Float64Array>> }).keep!;
const getTimes: number[] = [];
for (let r = 0; r < ROUNDS; r++) getTimes.push(await seconds(() => get(bigRef)));
const getTime = Math.min(...getTimes);
const smallArr = put(new Float64Array(1_000_000).fill(1)); // 8 MB, to show get does not scale with size
await get(smallArr);
const smallGetTimes: number[] = [];
for (let r = 0; r < ROUNDS; r++) smallGetTimes.push(await seconds(() => get(smallArr)));
const copyGBs = big.byteLength / GB / copyTime;
const setGBs = big.byteLength / GB / setTime;
rows.push([
  '`put` of an 800 MB Float64Array',
  big.byteLength / GB / putTime,
  'GB/s',
  `copy into fresh memory ${fmt(copyGBs)} GB/s`,
]);
rows.push([
  '`get` of it on the same node (zero-copy)',
  big.byteLength / GB / getTime,
  'GB/s',
  `memcpy into touched memory ${fmt(setGBs)} GB/s`,
]);
await shutdown();
fs.rmSync(dir, { recursive: true, force: true });

console.log(
  `\nde2 core microbenchmarks: ${numCpus} worker threads, Node ${process.version}, ${os.cpus()[0]?.model ?? ''}\n`,
);
console.log('| benchmark | de2 | unit | raw Piscina (ratio) / reference |');
console.log('|---|---:|---|---|');
for (const [name, value, unit, ref] of rows) console.log(`| ${name} | ${fmt(value)} | ${unit} | ${ref} |`);
console.log(
  `\nget latency: 800 MB array ${(getTime * 1e6).toFixed(0)} us, 8 MB array ${(Math.min(...smallGetTimes) * 1e6).toFixed(0)} us ` +
    `(100x the size; a memcpy of 800 MB takes ${(setTime * 1e3).toFixed(0)} ms)`,
);
console.log(
  `async no-op tasks vs raw Piscina: ${(100 * asyncRatio).toFixed(0)}% (median of ${TASK_ROUNDS} alternating rounds; target >= 50%)`,
);
