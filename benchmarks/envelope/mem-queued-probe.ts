// Bytes a queued task, a result a get waits for, and a finished task weigh, with N no-op tasks
// queued behind two busy tasks (docs/architecture.md); a heap snapshot of the queued state if a path is given.
import { get, init, remote, shutdown, type ObjectRef } from '@de2/core';
import v8 from 'node:v8';
const n = Number(process.argv[2] ?? 50000);
await init({ numCpus: 2 });
const busy = remote((ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
  return 0;
});
const noop = remote(() => 0);
const gc = (globalThis as { gc?: () => void }).gc as () => void;
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};
const b = [busy.remote(15000), busy.remote(15000)];
await new Promise((r) => setTimeout(r, 1000));
const h0 = heap();
const refs: ObjectRef<number>[] = new Array(n);
for (let i = 0; i < n; i++) refs[i] = noop.remote();
await new Promise((r) => setTimeout(r, 3000));
const h1 = heap();
console.log('queued bytes/task', ((h1 - h0) / n).toFixed(0));
const waiting = get(refs);
await new Promise((r) => setTimeout(r, 3000));
console.log('bytes/task of a get waiting for them', ((heap() - h1) / n).toFixed(0));

if (process.argv[3]) v8.writeHeapSnapshot(process.argv[3]);
await get(b);
await waiting;
console.log('finished bytes/task', ((heap() - h0) / n).toFixed(0));
await shutdown();
