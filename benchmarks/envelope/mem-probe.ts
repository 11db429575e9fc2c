import { get, init, remote, shutdown, type ObjectRef } from '@de2/core';
const n = Number(process.argv[2] ?? 200000);
await init({ numCpus: 2 });
const noop = remote(() => 0);
const gc = (globalThis as { gc?: () => void }).gc as () => void;
const mu = () => {
  gc();
  const m = process.memoryUsage();
  return `heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB rss ${(m.rss / 2 ** 20).toFixed(0)} ext ${(m.external / 2 ** 20).toFixed(0)}`;
};
console.log('ready', mu());
const refs: ObjectRef<number>[] = new Array(n);
let peak = 0,
  peakHeap = 0;
const t = setInterval(() => {
  const m = process.memoryUsage();
  peak = Math.max(peak, m.rss);
  peakHeap = Math.max(peakHeap, m.heapTotal);
}, 50);
const t0 = performance.now();
for (let i = 0; i < n; i++) refs[i] = noop.remote();
console.log('submitted', ((performance.now() - t0) / 1000).toFixed(2), mu());
await get(refs);
console.log(
  'done',
  ((performance.now() - t0) / 1000).toFixed(2),
  mu(),
  'peak rss',
  (peak / 2 ** 20).toFixed(0),
  'peak heapTotal',
  (peakHeap / 2 ** 20).toFixed(0),
);
if (process.argv[3]) {
  const v8 = await import('node:v8');
  v8.writeHeapSnapshot(process.argv[3]);
}
clearInterval(t);
await shutdown();
