// Remote functions: run with `npx tsx examples/tasks.ts`.
import { get, init, put, remote, shutdown, wait } from '@de2/core';

await init({ numCpus: 2 });

// A remote function runs on a worker thread; .remote() returns an ObjectRef at once.
const square = remote((x: number) => x * x);
console.log('square(4) =', await get(square.remote(4)));

// Refs passed as arguments are resolved before the task runs.
const sum = remote((values: number[]) => values.reduce((a, b) => a + b, 0));
const squares = await get([1, 2, 3, 4].map((x) => square.remote(x)));
console.log('sum of squares =', await get(sum.remote(put(squares))));

// Tasks can start tasks: no variables from the enclosing scope, import what you need.
const fib = remote(async function fib(n: number): Promise<number> {
  const { remote, get } = await import('@de2/core');
  if (n < 2) return n;
  const f = remote(fib);
  const [a, b] = await get([f.remote(n - 1), f.remote(n - 2)]);
  return a + b;
});
console.log('fib(8) =', await get(fib.remote(8)));

// wait() returns as soon as numReturns results are ready.
const sleep = remote((ms: number) => new Promise<number>((r) => setTimeout(() => r(ms), ms)), {
  numCpus: 0.5,
});
const { ready, pending } = await wait([sleep.remote(300), sleep.remote(10)], { numReturns: 1 });
console.log(`ready: ${ready.length}, pending: ${pending.length}`);

await shutdown();
