import { expect } from 'chai';
import {
  ActorDiedError,
  ErrorCode,
  TaskError,
  get,
  getActor,
  init,
  kill,
  remote,
  shutdown,
  type ActorHandle,
} from '@de2/core';

describe('actors', () => {
  before(async () => {
    await init({ numCpus: 2 });
  });
  after(async () => {
    await shutdown();
  });

  const Counter = remote(
    class Counter {
      n = 0;
      log: number[] = [];
      inc(k = 1) {
        this.log.push(k);
        return (this.n += k);
      }
      history() {
        return this.log;
      }
      fail() {
        throw new RangeError('nope');
      }
      die(): number {
        process.exit(1);
      }
    },
  );

  it('runs calls from one caller in submission order and keeps state', async () => {
    const c = Counter.remote();
    const refs = Array.from({ length: 50 }, (_, i) => c.inc.remote(i));
    const values = await get(refs);
    expect(values[49]).to.equal((49 * 50) / 2);
    expect(await get(c.history.remote())).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
  });

  it('survives an exception in a method', async () => {
    const c = Counter.remote();
    await get(c.inc.remote(5));
    const err = await get(c.fail.remote()).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TaskError);
    expect((err as TaskError).remoteName).to.equal('RangeError');
    expect(await get(c.inc.remote(1))).to.equal(6);
  });

  it('fails later calls with ActorDiedError after kill', async () => {
    const c = Counter.remote();
    expect(await get(c.inc.remote())).to.equal(1);
    kill(c);
    const err = await get(c.inc.remote()).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ActorDiedError);
    expect((err as ActorDiedError).code).to.equal(ErrorCode.ACTOR_DIED);
  });

  it('restarts a crashed actor up to maxRestarts, re-running the constructor', async () => {
    const c = Counter.options({ maxRestarts: 1 }).remote();
    expect(await get(c.inc.remote(10))).to.equal(10);
    expect(await get(c.die.remote()).catch((e: unknown) => e)).to.be.instanceOf(ActorDiedError);
    expect(await get(c.inc.remote(1))).to.equal(1); // fresh state: the constructor ran again
    expect(await get(c.die.remote()).catch((e: unknown) => e)).to.be.instanceOf(ActorDiedError);
    expect(await get(c.inc.remote(1)).catch((e: unknown) => e)).to.be.instanceOf(ActorDiedError);
  });

  it('retries a call lost in a crash with maxTaskRetries', async () => {
    const Once = remote(
      class Once {
        constructor(private readonly flag: Int32Array) {}
        crashOnce() {
          if (Atomics.add(this.flag, 0, 1) === 0) process.exit(1);
          return 'second try';
        }
      },
      { maxRestarts: 1, maxTaskRetries: 1 },
    );
    const a = Once.remote(new Int32Array(new SharedArrayBuffer(4)));
    expect(await get(a.crashOnce.remote())).to.equal('second try');
  });

  it('interleaves async methods only when maxConcurrency is above 1', async () => {
    const Sleeper = remote(
      class Sleeper {
        events: string[] = [];
        async nap(tag: string) {
          this.events.push(`start ${tag}`);
          await new Promise((r) => setTimeout(r, 30));
          this.events.push(`end ${tag}`);
        }
        seen() {
          return this.events;
        }
      },
    );
    const serial = Sleeper.remote();
    await get([serial.nap.remote('a'), serial.nap.remote('b')]);
    expect(await get(serial.seen.remote())).to.deep.equal(['start a', 'end a', 'start b', 'end b']);
    const parallel = Sleeper.options({ maxConcurrency: 2 }).remote();
    await get([parallel.nap.remote('a'), parallel.nap.remote('b')]);
    expect(await get(parallel.seen.remote())).to.deep.equal(['start a', 'start b', 'end a', 'end b']);
  });

  it('finds a named actor with getActor', async () => {
    const c = Counter.options({ name: 'shared-counter' }).remote();
    await get(c.inc.remote(2));
    const again: ActorHandle<{ inc(k?: number): number }> = await getActor('shared-counter');
    expect(again.actorId).to.equal(c.actorId);
    expect(await get(again.inc.remote(3))).to.equal(5);
    expect(await getActor('no-such-actor').catch((e: unknown) => e)).to.be.instanceOf(ActorDiedError);
  });

  it('passes handles to tasks and other actors, which call the actor', async () => {
    const c = Counter.remote();
    const bump = remote(async (h: typeof c) => {
      const { get } = await import('@de2/core');
      return get(h.inc.remote(4));
    });
    expect(await get(bump.remote(c))).to.equal(4);
    const Caller = remote(
      class Caller {
        async callTwice(h: { inc: { remote(k: number): unknown } }) {
          const { get } = await import('@de2/core');
          await get(h.inc.remote(1) as never);
          return get(h.inc.remote(1) as never);
        }
      },
    );
    const caller = Caller.remote();
    expect(await get(caller.callTwice.remote(c))).to.equal(6);
  });
});
