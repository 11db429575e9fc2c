/**
 * One case of `npm run bench:envelope` (run by benchmarks/envelope.ts, each in a process of
 * its own): Ray's single-node scalability envelope (release/benchmarks/single_node), in de2.
 *
 *   node --import tsx benchmarks/envelope/cases.ts --case args|returns|get|queued|largest
 *        [--tasks N] [--largest put|create] [--address H:P --token T]
 *
 * Prints progress lines ("mark NAME") on stderr at the points the parent samples memory, and
 * one JSON line on stdout: { seconds: {...}, counts: {...} }.
 */
import { parseArgs } from 'node:util';
import {
  MAX_TYPED_ARRAY_LENGTH,
  createObject,
  free,
  get,
  init,
  put,
  remote,
  shutdown,
  type ObjectRef,
} from '@de2/core';

const { values } = parseArgs({
  options: {
    case: { type: 'string' },
    tasks: { type: 'string', default: '1000000' },
    largest: { type: 'string', default: 'create' },
    address: { type: 'string' },
    token: { type: 'string' },
  },
});

const ARGS = 10_000;
const RETURNS = 3_000;
const GETS = 10_000;
const LIST = 10_000; // elements of each list, as Ray's case (a list of 10,000 ints)

/** The parent reads these from stderr to sample memory at known points. */
const mark = (name: string): void => void process.stderr.write(`mark ${name}\n`);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const seconds: Record<string, number> = {};
const counts: Record<string, number> = {};
const timed = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
  const t = performance.now();
  const out = await fn();
  seconds[name] = (performance.now() - t) / 1000;
  return out;
};

await (values.address
  ? init({ address: values.address, logToDriver: false, ...(values.token ? { token: values.token } : {}) })
  : init({ numCpus: 2, logToDriver: false }));
const warm = remote(() => 0);
await get([warm.remote(), warm.remote()]);
mark('ready');

switch (values.case) {
  case 'args': {
    // 10,000 objects, each a list of 10,000 ones, passed as ref arguments to one task.
    const sumArgs = remote((...lists: number[][]) =>
      lists.reduce((s, l) => s + l.reduce((a, b) => a + b, 0), 0),
    );
    const total = await timed('total', async () => {
      const refs = Array.from({ length: ARGS }, () => put(new Array<number>(LIST).fill(1)));
      return get(sumArgs.remote(...refs));
    });
    if (total !== ARGS * LIST) throw new Error(`sum ${total}`);
    counts.args = ARGS;
    break;
  }
  case 'returns': {
    // One task with 3,000 returns, each a list of 10,000 ints; each got on its own.
    const many = remote(
      () => Array.from({ length: 3000 }, () => Array.from({ length: 10_000 }, (_, i) => i)),
      {
        numReturns: RETURNS,
      },
    );
    await timed('total', async () => {
      const refs = many.remote();
      for (const ref of refs) {
        const list = await get(ref);
        if (list.length !== LIST || list[LIST - 1] !== LIST - 1) throw new Error('wrong return');
      }
    });
    counts.returns = RETURNS;
    break;
  }
  case 'get': {
    // 10,000 stored lists in one get, then 10,000 typed arrays (zero-copy reads), as Ray's two halves.
    await timed('total', async () => {
      const lists = Array.from({ length: GETS }, () => put(range(LIST)));
      const got = await timed('getLists', () => get(lists));
      if (got.some((l) => l.length !== LIST || l[LIST - 1] !== LIST - 1)) throw new Error('wrong list');
      const arrays = Array.from({ length: GETS }, () => put(Float64Array.from(range(LIST))));
      const back = await timed('getArrays', () => get(arrays));
      if (back.some((a) => a[LIST - 1] !== LIST - 1)) throw new Error('wrong array');
    });
    counts.objects = GETS;
    break;
  }
  case 'queued': {
    // N no-op tasks submitted at once (the CPUs run them far slower than they arrive), then got.
    const n = Number(values.tasks);
    const noop = remote(() => 0);
    const refs: ObjectRef<number>[] = new Array(n);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) refs[i] = noop.remote();
    seconds.submit = (performance.now() - t0) / 1000;
    mark('submitted');
    await get(refs);
    seconds.total = (performance.now() - t0) / 1000;
    mark('done');
    counts.tasks = n;
    break;
  }
  case 'largest': {
    // The largest typed array the platform allows: 2^32 elements of Uint8Array (4 GiB).
    const n = MAX_TYPED_ARRAY_LENGTH;
    const sample = remote((a: Uint8Array) => a[0]! + a[a.length - 1]! + a.length);
    let ref: ObjectRef<Uint8Array>;
    if (values.largest === 'put') {
      const source = new Uint8Array(n).fill(1);
      ref = await timed('create', () => put(source));
    } else {
      ref = await timed('create', () => {
        const builder = createObject(Uint8Array, n);
        builder.array.fill(1);
        return builder.seal();
      });
    }
    const value = await timed('get', () => get(ref));
    if (value[0] !== 1 || value[n - 1] !== 1 || value.length !== n) throw new Error('wrong bytes');
    const read = await timed('taskRead', () => get(sample.remote(ref)));
    if (read !== n + 2) throw new Error(`task read ${read}`);
    await free(ref);
    seconds.total = Object.values(seconds).reduce((a, b) => a + b, 0);
    counts.bytes = n;
    break;
  }
  default:
    throw new RangeError(`--case must be args, returns, get, queued or largest, got ${values.case}`);
}
console.log(JSON.stringify({ seconds, counts }));
await shutdown();
