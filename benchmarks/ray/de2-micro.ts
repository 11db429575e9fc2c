/**
 * de2's side of the core microbenchmarks of `npm run bench:ray` (run by benchmarks/vs-ray.ts):
 * the same no-op work as benchmarks/ray/ray_micro.py, with the same counts and rounds.
 *
 *   npx tsx benchmarks/ray/de2-micro.ts --cold                    init() to the first result, then exit
 *   npx tsx benchmarks/ray/de2-micro.ts                           init({ numCpus: 2 }) in this process
 *   npx tsx benchmarks/ray/de2-micro.ts --address H:P --token T   a running cluster
 *   ... --big-loop        also put + task read + free of a 2 GiB array, 10 times (embedded run)
 *
 * Prints one JSON line: { rates: { name: per second }, seconds: {...} }. Each rate is the
 * median of ROUNDS timed rounds after one untimed round.
 */
import { parseArgs } from 'node:util';

const ROUNDS = 5;
const COUNTS = { sync: 500, async: 1000, actorSync: 500, actorAsync: 1000, put: 2000, get: 2000 };
const BIG_BYTES = 800_000_000;

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    token: { type: 'string' },
    'num-cpus': { type: 'string', default: '2' },
    cold: { type: 'boolean', default: false },
    'big-loop': { type: 'boolean', default: false },
  },
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function medianRate(n: number, round: () => Promise<unknown>, rounds = ROUNDS): Promise<number> {
  await round();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    await round();
    rates.push(n / ((performance.now() - t) / 1000));
  }
  return median(rates);
}

let t = performance.now();
const { free, get, init, put, remote, shutdown } = await import('@de2/core');
// Not public API: the pool of the driver's node (the same module as @de2/core's), to say
// which puts found memory a freed object had faulted in.
const { getProcessPool } = await import('../../packages/core/dist/object-store/store-pool.js');
const poolHits = (): number => getProcessPool()?.snapshot().hits ?? 0;
const importSeconds = (performance.now() - t) / 1000;
const noop = remote(() => 0);
t = performance.now();
await (values.address
  ? init({ address: values.address, logToDriver: false, ...(values.token ? { token: values.token } : {}) })
  : init({ numCpus: Number(values['num-cpus']), logToDriver: false }));
const initSeconds = (performance.now() - t) / 1000;
await get(noop.remote());
const seconds = {
  import: importSeconds,
  init: initSeconds,
  initToFirstResult: (performance.now() - t) / 1000,
};

if (values.cold) {
  console.log(JSON.stringify({ seconds }));
} else {
  const rates: Record<string, number> = {};
  rates.sync = await medianRate(COUNTS.sync, async () => {
    for (let i = 0; i < COUNTS.sync; i++) await get(noop.remote());
  });
  rates.async = await medianRate(COUNTS.async, () =>
    get(Array.from({ length: COUNTS.async }, () => noop.remote())),
  );
  const Counter = remote(
    class {
      n = 0;
      inc() {
        return ++this.n;
      }
      async incAsync() {
        return ++this.n;
      }
    },
  );
  const counter = Counter.remote();
  await get(counter.inc.remote());
  rates.actorSync = await medianRate(COUNTS.actorSync, async () => {
    for (let i = 0; i < COUNTS.actorSync; i++) await get(counter.inc.remote());
  });
  // As Ray's async actor: an async method; calls from one caller still run in order.
  rates.actorAsync = await medianRate(COUNTS.actorAsync, () =>
    get(Array.from({ length: COUNTS.actorAsync }, () => counter.incAsync.remote())),
  );
  rates.put = await medianRate(COUNTS.put, async () => {
    let last = put(0);
    for (let i = 0; i < COUNTS.put; i++) last = put(i);
    await get(last);
  });
  const small = put({ a: 1, b: 'two' });
  await get(small);
  rates.get = await medianRate(COUNTS.get, async () => {
    for (let i = 0; i < COUNTS.get; i++) await get(small);
  });

  // 800 MB: put copies it into the object store once (stored when get returns); get on the
  // same node reads the shared memory (zero-copy). The previous object is freed before each
  // put, as Ray's side does with `ref = None` (JavaScript has no `del`: `free`).
  const big = new Float64Array(BIG_BYTES / 8).fill(1);
  const putSeconds: number[] = [];
  const bigPutWarm: boolean[] = [];
  let ref = put(new Float64Array(1));
  for (let r = 0; r < 3; r++) {
    await free(ref);
    const hits = poolHits();
    const t0 = performance.now();
    ref = put(big);
    await get(ref);
    putSeconds.push((performance.now() - t0) / 1000);
    bigPutWarm.push(poolHits() > hits);
  }
  const getSeconds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const value = await get(ref);
    getSeconds.push((performance.now() - t0) / 1000);
    if (value.byteLength !== BIG_BYTES) throw new Error(`got ${value.byteLength} bytes back`);
  }
  rates.bigPutFirstGBps = BIG_BYTES / 1e9 / putSeconds[0]!;
  rates.bigPutGBps = BIG_BYTES / 1e9 / median(putSeconds);
  rates.bigGetGBps = BIG_BYTES / 1e9 / median(getSeconds);
  await free(ref);
  const notes: Record<string, unknown> = { bigPutWarm, putSeconds };
  if (values['big-loop']) Object.assign(notes, await bigLoop(rates));
  console.log(JSON.stringify({ rates, seconds, notes }));
}
await shutdown();

/**
 * put + task read + free of a 2 GiB array, LOOPS times: the task reads one element per
 * 4 KiB page (every page of the object, no arithmetic to speak of), as ray_micro.py's.
 */
async function bigLoop(rates: Record<string, number>): Promise<Record<string, unknown>> {
  const LOOP_BYTES = 2 ** 31;
  const LOOPS = 10;
  const huge = new Float64Array(LOOP_BYTES / 8).fill(1);
  const readPages = remote((a: Float64Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i += 512) s += a[i] as number;
    return s;
  });
  const loopSeconds: number[] = [];
  const bigLoopWarm: boolean[] = [];
  for (let i = 0; i < LOOPS; i++) {
    const hits = poolHits();
    const t0 = performance.now();
    const ref = put(huge);
    const sum = await get(readPages.remote(ref));
    await free(ref);
    loopSeconds.push((performance.now() - t0) / 1000);
    bigLoopWarm.push(poolHits() > hits);
    if (sum !== huge.length / 512) throw new Error(`task read ${sum}`);
  }
  const total = loopSeconds.reduce((a, b) => a + b, 0);
  rates.bigLoopGBps = (LOOPS * LOOP_BYTES) / 1e9 / total;
  rates.bigLoopMedianGBps = LOOP_BYTES / 1e9 / median(loopSeconds);
  return { loopSeconds, bigLoopWarm };
}
