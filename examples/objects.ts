// Objects: run with `npx tsx examples/objects.ts`.
import { createObject, free, get, init, put, remote, shutdown } from '@de2/core';

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

// A large array written straight into store memory, sealed without a copy, freed when done:
// its memory goes back to the store's pool for the next large put.
const squares = createObject(Float64Array, 1_000_000);
for (let i = 0; i < squares.array.length; i++) squares.array[i] = i * i;
const squaresRef = squares.seal();
const last = remote((a: Float64Array) => a[a.length - 1]);
console.log('last square =', await get(last.remote(squaresRef)));
await free([data, squaresRef]);

await shutdown();
