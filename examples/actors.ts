// Actors: run with `npx tsx examples/actors.ts`.
import { get, getActor, init, kill, remote, shutdown, ActorDiedError, type ActorHandle } from '@de2/core';

await init({ numCpus: 2 });

// A class made remote: each instance is an actor on its own worker thread, keeping state.
const Counter = remote(
  class Counter {
    n = 0;
    inc(k = 1) {
      return (this.n += k);
    }
  },
);
const counter = Counter.options({ name: 'counter' }).remote();
await get([counter.inc.remote(1), counter.inc.remote(2)]); // run in submission order
console.log('counter =', await get(counter.inc.remote(0)));

// Handles travel to tasks, and named actors can be looked up.
const bump = remote(async (c: ActorHandle<{ inc(k?: number): number }>) => {
  const { get } = await import('@de2/core');
  return get(c.inc.remote(10));
});
console.log('after a task bumped it =', await get(bump.remote(counter)));
const same: ActorHandle<{ inc(k?: number): number }> = await getActor('counter');
console.log('through getActor =', await get(same.inc.remote(1)));

kill(counter);
try {
  await get(counter.inc.remote());
} catch (error) {
  console.log('after kill:', error instanceof ActorDiedError ? 'ActorDiedError' : error);
}
await shutdown();
