import { expect } from 'chai';
import {
  ErrorCode,
  GetTimeoutError,
  InfeasibleTaskError,
  ObjectRef,
  SerializationError,
  TaskError,
  WorkerCrashedError,
  get,
  init,
  put,
  remote,
  shutdown,
  wait,
} from '@de2/core';
import net from 'node:net';

describe('remote functions', () => {
  before(async () => {
    await init({ numCpus: 2 });
  });
  after(async () => {
    await shutdown();
  });

  it('runs a task and returns its value through get', async () => {
    const square = remote((x: number) => x * x);
    const ref = square.remote(4);
    expect(ref).to.be.instanceOf(ObjectRef);
    expect(ref.id).to.be.a('string');
    expect(await get(ref)).to.equal(16);
  });

  it('resolves top-level refs before the task runs and passes nested refs as refs', async () => {
    const inspect = remote(async (a: number, nested: { r: ObjectRef<number> }) => {
      const core = await import('@de2/core');
      return { a, isRef: nested.r instanceof core.ObjectRef, inner: await core.get(nested.r) };
    });
    const out = await get(inspect.remote(put(5), { r: put(7) }));
    expect(out).to.deep.equal({ a: 5, isRef: true, inner: 7 });
  });

  it('lets a task return refs, which get gives back as refs', async () => {
    const make = remote(async (n: number) => {
      const { put } = await import('@de2/core');
      return put(n * 3);
    });
    const inner = await get(make.remote(2));
    expect(inner).to.be.instanceOf(ObjectRef);
    expect(await get(inner)).to.equal(6);
  });

  it('keeps input order in get of a list, whatever order tasks finish in', async () => {
    const delayed = remote(async (ms: number, v: string) => {
      await new Promise((r) => setTimeout(r, ms));
      return v;
    });
    const refs = [delayed.remote(80, 'a'), delayed.remote(1, 'b'), delayed.remote(40, 'c')];
    expect(await get(refs)).to.deep.equal(['a', 'b', 'c']);
  });

  it('splits the result over numReturns refs', async () => {
    const divmod = remote((a: number, b: number) => [Math.floor(a / b), a % b] as [number, number], {
      numReturns: 2,
    });
    const [q, r] = divmod.remote(17, 5);
    expect(await get([q, r])).to.deep.equal([3, 2]);
  });

  it('throws GetTimeoutError when the value is not there within timeoutMs', async () => {
    const slow = remote(() => new Promise<number>((r) => setTimeout(() => r(1), 2000)));
    const err = await get(slow.remote(), { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(GetTimeoutError);
    expect((err as GetTimeoutError).code).to.equal(ErrorCode.GET_TIMEOUT);
  });

  it('wait returns numReturns ready refs, and what is pending, in input order', async () => {
    // Sleeping tasks hold almost no CPU, so that all four run at once.
    const delayed = remote(
      async (ms: number) => {
        await new Promise((r) => setTimeout(r, ms));
        return ms;
      },
      { numCpus: 0.01 },
    );
    const refs = [delayed.remote(3000), delayed.remote(1), delayed.remote(3000), delayed.remote(2)];
    const { ready, pending } = await wait(refs, { numReturns: 2 });
    expect(ready.map((r) => r.id)).to.deep.equal([refs[1]?.id, refs[3]?.id]);
    expect(pending.map((r) => r.id)).to.deep.equal([refs[0]?.id, refs[2]?.id]);
    const timed = await wait([delayed.remote(3000)], { timeoutMs: 30 });
    expect(timed.ready).to.have.length(0);
    expect(timed.pending).to.have.length(1);
  });

  it('reports a task exception as TaskError with remote name, message, stack and the caller', async () => {
    const fails = remote(function parseRow(row: string): number {
      class RowError extends Error {
        override name = 'RowError';
      }
      throw new RowError(`bad row ${row}`);
    });
    const err = await get(fails.remote('7')).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TaskError);
    const te = err as TaskError;
    expect(te.code).to.equal(ErrorCode.TASK_ERROR);
    expect(te.remoteName).to.equal('RowError');
    expect(te.remoteMessage).to.equal('bad row 7');
    expect(te.remoteStack).to.contain('parseRow');
    expect(te.stack).to.contain('tasks.test.ts');
  });

  it('retries exceptions only with retryExceptions', async () => {
    const sab = new SharedArrayBuffer(4);
    const flaky = remote((counter: Int32Array) => {
      if (Atomics.add(counter, 0, 1) < 2) throw new Error('flaky');
      return 'ok';
    });
    const counter = new Int32Array(sab);
    expect(await get(flaky.options({ retryExceptions: true, maxRetries: 3 }).remote(counter))).to.equal('ok');
    expect(Atomics.load(counter, 0)).to.equal(3);
    Atomics.store(counter, 0, 0);
    const err = await get(flaky.remote(counter)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TaskError);
    expect(Atomics.load(counter, 0)).to.equal(1);
  });

  it('replaces a worker that dies and retries the task, then gives WorkerCrashedError', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const exitsTwice = remote((c: Int32Array) => {
      if (Atomics.add(c, 0, 1) < 2) process.exit(1);
      return 'survived';
    });
    expect(await get(exitsTwice.remote(counter))).to.equal('survived');
    expect(Atomics.load(counter, 0)).to.equal(3);
    const always = remote((c: Int32Array) => {
      Atomics.add(c, 0, 1);
      process.exit(1);
    });
    Atomics.store(counter, 0, 0);
    const err = await get(always.options({ maxRetries: 1 }).remote(counter)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(WorkerCrashedError);
    expect(Atomics.load(counter, 0)).to.equal(2);
    const square = remote((x: number) => x * x);
    expect(await get(square.remote(3))).to.equal(9); // the pool still works
  });

  it('limits concurrency by numCpus', async () => {
    const stamps = new Float64Array(new SharedArrayBuffer(8 * 8));
    const busy = remote((s: Float64Array, i: number) => {
      s[2 * i] = performance.timeOrigin + performance.now();
      const end = Date.now() + 60;
      while (Date.now() < end);
      s[2 * i + 1] = performance.timeOrigin + performance.now();
    });
    await get([0, 1, 2, 3].map((i) => busy.options({ numCpus: 2 }).remote(stamps, i)));
    const spans = [0, 1, 2, 3].map((i) => [stamps[2 * i] as number, stamps[2 * i + 1] as number] as const);
    for (const [i, a] of spans.entries()) {
      for (const b of spans.slice(i + 1))
        expect(a[1] <= b[0] || b[1] <= a[0], 'tasks overlapped').to.equal(true);
    }
  });

  it('runs as many one-CPU tasks at once as there are CPUs, no more, while others queue on the threads', async () => {
    const state = new Int32Array(new SharedArrayBuffer(8)); // [running now, most at once]
    const sleepy = remote(async (s: Int32Array) => {
      const now = Atomics.add(s, 0, 1) + 1;
      for (let m = Atomics.load(s, 1); now > m; m = Atomics.load(s, 1)) Atomics.compareExchange(s, 1, m, now);
      await new Promise((r) => setTimeout(r, 15));
      Atomics.sub(s, 0, 1);
    });
    await get(Array.from({ length: 12 }, () => sleepy.remote(state)));
    expect(Atomics.load(state, 1)).to.equal(2);
  });

  it('reports a task no node can fit instead of queueing it forever', async () => {
    const f = remote(() => 1, { resources: { gpu: 1 } });
    const err = await get(f.remote()).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InfeasibleTaskError);
    expect((err as InfeasibleTaskError).message).to.contain('gpu');
  });

  it('runs nested tasks without deadlock when every worker thread waits on children', async () => {
    const tree = remote(async function fanOut(depth: number): Promise<number> {
      const core = await import('@de2/core');
      if (depth === 0) return 1;
      const self = core.remote(fanOut);
      const parts = await core.get([self.remote(depth - 1), self.remote(depth - 1), self.remote(depth - 1)]);
      return parts.reduce((a, b) => a + b, 0);
    });
    expect(await get(tree.remote(3), { timeoutMs: 30_000 })).to.equal(27);
  });

  it('explains the rule when a function uses a variable of its enclosing scope', async () => {
    const factor = 3;
    const scaled = remote((x: number) => x * factor);
    const err = await get(scaled.remote(2)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TaskError);
    expect((err as TaskError).remoteMessage)
      .to.contain('factor is not defined')
      .and.contain('enclosing scope')
      .and.contain('await import');
  });

  it('works with tsx output (esbuild __name helpers) and loads modules with await import', async () => {
    const withHelpers = remote(async (n: number) => {
      const os = await import('node:os');
      function inner(k: number) {
        return k + 1;
      }
      class Box {
        constructor(readonly v: number) {}
      }
      return { v: new Box(inner(n)).v, name: inner.name, cpus: os.cpus().length > 0 };
    });
    expect(await get(withHelpers.remote(1))).to.deep.equal({ v: 2, name: 'inner', cpus: true });
  });

  it('rejects non-cloneable arguments at the call with SerializationError naming argument and path', () => {
    const f = remote((_a: unknown, _b: unknown) => 0);
    const call = (a: unknown, b: unknown) => () => f.remote(a, b);
    expect(call(1, { cb: () => 1 })).to.throw(SerializationError, /argument 1 .*args\[1\]\.cb is a function/);
    const socket = new net.Socket();
    expect(call({ list: [0, socket] }, 2)).to.throw(
      SerializationError,
      /argument 0 .*args\[0\]\.list\[1\] is an instance of class Socket/,
    );
    class Secret {
      #key = 1;
      get key() {
        return this.#key;
      }
    }
    expect(call(new Secret(), 0)).to.throw(SerializationError, /args\[0\] is an instance of class Secret/);
    socket.destroy();
  });
});
