// What a memory budget costs a forest fit: `npx tsx benchmarks/budget-overhead.ts`.
// The same fit (20,000 Covertype-shaped rows, 20 unbounded trees) as a task without a budget
// and with one (heap + ArrayBuffers checked at every typed-array allocation), alternated.
import { get, init, remote, shutdown } from '@de2/core';

const ROUNDS = Number(process.env.DE2_BENCH_ROUNDS ?? 5);
const fit = async (rows: number, trees: number) => {
  const { RandomForestClassifier } = await import('@de2/forest');
  const nFeatures = 54;
  const X = new Float32Array(rows * nFeatures);
  const y = new Int32Array(rows);
  let s = 7;
  const next = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < rows; i++) {
    y[i] = Math.floor(next() * 7);
    for (let f = 0; f < nFeatures; f++) X[i * nFeatures + f] = next() + (f < 10 ? y[i]! * 0.1 : 0);
  }
  const t = performance.now();
  new RandomForestClassifier({ nEstimators: trees, maxDepth: null, seed: 1 }).fit(X, y, nFeatures);
  return performance.now() - t;
};
const plain = remote(fit);
const budgeted = remote(fit, { memory: 512 * 2 ** 20 });

await init({ numCpus: 1 });
await get([plain.remote(2000, 2), budgeted.remote(2000, 2)]); // warm both pools
const times: Record<string, number[]> = { plain: [], budgeted: [] };
for (let r = 0; r < ROUNDS; r++) {
  times.plain!.push(await get(plain.remote(20_000, 20)));
  times.budgeted!.push(await get(budgeted.remote(20_000, 20)));
}
await shutdown();
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`fit of 20 unbounded trees on 20,000 rows, median of ${ROUNDS} alternated runs`);
console.log(
  `  no budget:        ${median(times.plain!).toFixed(0)} ms  (${times.plain!.map((t) => t.toFixed(0)).join(', ')})`,
);
console.log(
  `  512 MiB budget:   ${median(times.budgeted!).toFixed(0)} ms  (${times.budgeted!.map((t) => t.toFixed(0)).join(', ')})`,
);
console.log(`  ratio budgeted / plain: ${(median(times.budgeted!) / median(times.plain!)).toFixed(2)}`);
