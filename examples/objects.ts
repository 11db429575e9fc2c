// Objects: run with `npx tsx examples/objects.ts`.
import { get, init, put, remote, shutdown } from '@de2/core';

await init({ numCpus: 2 });

// put() stores a value once on this node; tasks read typed arrays without copying them.
const data = put(new Float64Array(10_000_000).map((_, i) => i % 10));
const partialSum = remote((a: Float64Array, part: number, parts: number) => {
  let s = 0;
  for (let i = part; i < a.length; i += parts) s += a[i] as number;
  return s;
});
const parts = await get(Array.from({ length: 8 }, (_, i) => partialSum.remote(data, i, 8)));
console.log(
  'sum =',
  parts.reduce((a, b) => a + b, 0),
);

// A ref inside another value arrives as a ref, to get when needed.
const lazy = remote(async (box: { ref: typeof data }) => {
  const { get } = await import('@de2/core');
  return (await get(box.ref)).length;
});
console.log('length through a nested ref =', await get(lazy.remote({ ref: data })));

await shutdown();
