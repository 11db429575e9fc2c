/**
 * Cluster microbenchmarks: one driver, a head and 2 worker nodes as real de2-node processes
 * on loopback. Prints tasks/s (sync and async no-op), actor calls/s across processes, and
 * node-to-node transfer of a 500 MB object beside raw TCP on loopback and the embedded
 * async-task rate, all measured in this run.
 *
 *   npm run bench:cluster            (or: npx tsx benchmarks/cluster-micro.ts [--mb 500] [--rounds 30])
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { get, init, put, remote, shutdown } from '@de2/core';
import { startTestCluster } from '../tests/helpers/test-cluster.js';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '500' }, rounds: { type: 'string', default: '30' } },
});
const MB = Number(values.mb);
/** Rounds of 1,000 async tasks: JIT warm-up takes several thousand tasks in every process. */
const ROUNDS = Number(values.rounds);
/** Rounds left out of the sustained rate: the warm-up. */
const WARM_UP_ROUNDS = 10;

const noop = remote(() => 0);
const Echo = remote(
  class {
    n = 0;
    inc() {
      return ++this.n;
    }
    async incAsync() {
      return ++this.n;
    }
  },
  { numCpus: 1 },
);

async function rate(label: string, count: number, run: () => Promise<void>): Promise<number> {
  await run(); // warm-up round
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const perSecond = count / seconds;
  console.log(`${label.padEnd(44)} ${perSecond.toFixed(0).padStart(8)} /s`);
  return perSecond;
}

async function asyncTasks(n: number) {
  await get(Array.from({ length: n }, () => noop.remote()));
}

interface AsyncRates {
  second: number;
  sustained: number;
  best: number;
}

/**
 * Async no-op tasks, `ROUNDS` rounds of 1,000, three ways:
 * - the second round, after one warm-up round (as the first published runs measured);
 * - sustained: all tasks of the rounds after the first `WARM_UP_ROUNDS` over their total
 *   time, the rate a long job sees once every process has compiled its hot paths;
 * - the best single round. A round of embedded tasks lasts a few tens of milliseconds and
 *   varies up to fourfold from one round to the next, so this is the noisiest of the three.
 */
async function asyncRounds(label: string): Promise<AsyncRates> {
  const seconds: number[] = [];
  for (let round = 0; round < Math.max(WARM_UP_ROUNDS + 2, ROUNDS); round++) {
    const t0 = performance.now();
    await asyncTasks(1000);
    seconds.push((performance.now() - t0) / 1000);
  }
  const second = 1000 / seconds[1]!;
  const late = seconds.slice(WARM_UP_ROUNDS);
  const sustained = (1000 * late.length) / late.reduce((sum, s) => sum + s, 0);
  const best = 1000 / Math.min(...seconds.slice(1));
  const rows: [rate: number, what: string][] = [
    [second, 'after one warm-up round'],
    [sustained, `sustained over rounds ${WARM_UP_ROUNDS + 1}-${seconds.length}`],
    [best, `best of ${seconds.length - 1} rounds`],
  ];
  rows.forEach(([rate, what], i) =>
    console.log(`${(i === 0 ? label : '').padEnd(44)} ${rate.toFixed(0).padStart(8)} /s ${what}`),
  );
  return { second, sustained, best };
}

async function rawTcpGBps(bytes: number): Promise<number> {
  const data = Buffer.alloc(bytes, 7);
  const server = net.createServer((socket) => socket.end(data));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const t0 = performance.now();
  const target = Buffer.allocUnsafe(bytes);
  let offset = 0;
  await new Promise<void>((resolve) => {
    const client = net.connect(port, '127.0.0.1');
    client.on('data', (chunk: Buffer) => {
      chunk.copy(target, offset);
      offset += chunk.length;
    });
    client.on('end', resolve);
  });
  const seconds = (performance.now() - t0) / 1000;
  server.close();
  return bytes / seconds / 1e9;
}

// Embedded first, as the reference for the async-task target.
await init({ numCpus: 2, logToDriver: false });
console.log('embedded (this process, 2 worker threads)');
const embeddedAsync = await asyncRounds('  async no-op tasks (1,000 then one get)');
await shutdown();

const cluster = await startTestCluster({ workers: 2, headCpus: 0, workerCpus: 1 });
try {
  await init({ address: cluster.address, token: cluster.token, logToDriver: false });
  console.log('cluster (driver -> head + 2 worker nodes, 1 CPU each, loopback)');
  await rate('  sync no-op tasks (get(f.remote()))', 200, async () => {
    for (let i = 0; i < 200; i++) await get(noop.remote());
  });
  const clusterAsync = await asyncRounds('  async no-op tasks (1,000 then one get)');
  const actor = Echo.remote();
  await rate('  actor calls, sync (get each)', 200, async () => {
    for (let i = 0; i < 200; i++) await get(actor.inc.remote());
  });
  await rate('  actor calls, async (1,000 then one get)', 1000, async () => {
    await get(Array.from({ length: 1000 }, () => actor.incAsync.remote()));
  });

  const bytes = MB * 1e6;
  const array = new Float64Array(bytes / 8).fill(1);
  const ref = put(array);
  const touch = remote((a: Float64Array) => a[a.length - 1]);
  await get(touch.remote(new Float64Array(1))); // warm the worker and the function
  const t0 = performance.now();
  await get(touch.remote(ref)); // the node pulls the object from the driver's node
  const transferSeconds = (performance.now() - t0) / 1000;
  const transfer = bytes / transferSeconds / 1e9;
  const raw = await rawTcpGBps(bytes);
  console.log(`  transfer of a ${MB} MB object, node to node   ${transfer.toFixed(2)} GB/s`);
  console.log(`  raw TCP on loopback, same size               ${raw.toFixed(2)} GB/s`);
  console.log('ratios');
  console.log(
    `  transfer / raw TCP                           ${(transfer / raw).toFixed(2)} (target >= 0.5)`,
  );
  const ratio = (what: string, key: keyof AsyncRates) =>
    console.log(
      `  cluster async tasks / embedded, ${what.padEnd(12)} ${(clusterAsync[key] / embeddedAsync[key]).toFixed(2)} (target >= 0.25)`,
    );
  ratio('warm-up round', 'second');
  ratio('sustained', 'sustained');
  ratio('best rounds', 'best');
  await shutdown();
} finally {
  await cluster.teardown();
}
