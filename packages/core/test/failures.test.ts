import { expect } from 'chai';
import {
  ErrorCode,
  OutOfMemoryError,
  TaskCancelledError,
  cancel,
  get,
  init,
  remote,
  shutdown,
} from '@de2/core';

describe('cancel and out-of-memory', () => {
  before(async () => {
    await init({ numCpus: 2 });
  });
  after(async () => {
    await shutdown();
  });

  it('removes a pending task on cancel; get throws TaskCancelledError and it never runs', async () => {
    const ran = new Int32Array(new SharedArrayBuffer(4));
    const hog = remote(() => new Promise((r) => setTimeout(r, 300)), { numCpus: 2 });
    const mark = remote((flag: Int32Array) => Atomics.store(flag, 0, 1), { numCpus: 2 });
    const first = hog.remote();
    const pending = mark.remote(ran);
    cancel(pending);
    const err = await get(pending).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TaskCancelledError);
    expect((err as TaskCancelledError).code).to.equal(ErrorCode.TASK_CANCELLED);
    await get(first);
    expect(Atomics.load(ran, 0)).to.equal(0);
  });

  it('stops a running task with force by ending its worker, and does not retry it', async () => {
    const runs = new Int32Array(new SharedArrayBuffer(4));
    const spin = remote((count: Int32Array) => {
      Atomics.add(count, 0, 1);
      for (;;); // never returns: only a terminated thread stops it
    });
    const ref = spin.remote(runs);
    while (Atomics.load(runs, 0) === 0) await new Promise((r) => setImmediate(r));
    cancel(ref, { force: true });
    expect(await get(ref, { timeoutMs: 10_000 }).catch((e: unknown) => e)).to.be.instanceOf(
      TaskCancelledError,
    );
    const square = remote((x: number) => x * x);
    expect(await get(square.remote(5))).to.equal(25);
    expect(Atomics.load(runs, 0)).to.equal(1);
  });

  it('fails a task over its memory budget with OutOfMemoryError while others finish', async () => {
    const hungry = remote(
      () => {
        const hoard: object[] = [];
        for (let i = 0; ; i++) hoard.push({ i, s: `row ${i} `.repeat(4) });
      },
      { memory: 64 * 2 ** 20, maxRetries: 3 },
    );
    const steady = remote(async (i: number) => {
      await new Promise((r) => setTimeout(r, 20));
      return i;
    });
    const oom = hungry.remote();
    const others = [1, 2, 3, 4].map((i) => steady.remote(i));
    const err = await get(oom).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OutOfMemoryError);
    expect((err as OutOfMemoryError).code).to.equal(ErrorCode.OUT_OF_MEMORY);
    expect((err as Error).message).to.contain('64 MiB');
    expect(await get(others)).to.deep.equal([1, 2, 3, 4]);
  });
});
