import { expect } from 'chai';
import {
  ErrorCode,
  MIN_MEMORY_BUDGET,
  OutOfMemoryError,
  get,
  init,
  kill,
  put,
  remote,
  shutdown,
} from '@de2/core';

const MiB = 2 ** 20;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected the task to fail'),
    (e: unknown) => e,
  );
}

describe('memory budgets (heap + ArrayBuffers)', () => {
  before(async () => {
    await init({ numCpus: 2 });
  });
  after(async () => {
    await shutdown();
  });

  const steady = remote(async (i: number) => {
    await new Promise((r) => setTimeout(r, 50));
    return i;
  });

  it('ends a task that keeps typed arrays over its budget, in a synchronous loop, while a neighbour finishes', async () => {
    // The example: 10 x 128 MiB outside the V8 heap, never yielding to the event loop.
    const hoarder = remote(
      () => {
        const kept: Float64Array[] = [];
        for (let i = 0; i < 10; i++) kept.push(new Float64Array(2 ** 24).fill(i));
        return kept.length;
      },
      { memory: 64 * MiB },
    );
    const neighbour = steady.remote(7);
    const err = await failure(get(hoarder.remote()));
    expect(err).to.be.instanceOf(OutOfMemoryError);
    expect((err as OutOfMemoryError).code).to.equal(ErrorCode.OUT_OF_MEMORY);
    expect((err as Error).message).to.match(
      /used [\d.]+ MiB \(heap \+ ArrayBuffers\), over its budget of 64 MiB/,
    );
    expect(await get(neighbour)).to.equal(7);
  });

  it('ends an awaiting task whose buffers come from outside the checked constructors', async () => {
    const encoder = remote(
      async () => {
        const kept: Uint8Array[] = [];
        const text = 'x'.repeat(4 * 2 ** 20);
        for (let i = 0; i < 100; i++) {
          kept.push(new TextEncoder().encode(text)); // made inside V8, not by a global constructor
          await new Promise((r) => setTimeout(r, 5));
        }
        return kept.length;
      },
      { memory: 64 * MiB },
    );
    const err = await failure(get(encoder.remote()));
    expect(err).to.be.instanceOf(OutOfMemoryError);
    expect((err as Error).message).to.contain('budget of 64 MiB');
  });

  it('replaces the thread: the next task with the same budget runs, and its views of a big shared object do not count', async () => {
    const big = put(new Float64Array(((32 * 2 ** 20) / 8) * 4).fill(1)); // 128 MiB in the object store
    const sum = remote(
      (values: Float64Array) => {
        let s = 0;
        for (let i = 0; i < values.length; i += 1024) s += values[i]!;
        return s;
      },
      { memory: 64 * MiB },
    );
    expect(await get(sum.remote(big))).to.equal(16 * 1024);
  });

  it('counts a budget per task: tasks under it run to the end with their arrays', async () => {
    const fits = remote(
      () => {
        const kept: Float64Array[] = [];
        for (let i = 0; i < 4; i++) kept.push(new Float64Array(2 ** 20).fill(i)); // 32 MiB
        return kept.reduce((s, a) => s + a[0]!, 0);
      },
      { memory: 96 * MiB },
    );
    expect(await get([fits.remote(), fits.remote()])).to.deep.equal([6, 6]);
  });

  it('makes typed arrays of the builtin shape under a budget (hot loops stay fast), and subclasses still work', async () => {
    const shapes = remote(
      async () => {
        const v8 = await import('node:v8');
        v8.setFlagsFromString('--allow-natives-syntax');
        const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (
          a: object,
          b: object,
        ) => boolean;
        // Arrays the runtime makes (TextEncoder) keep `constructor === Uint8Array` and the builtin shape.
        const builtin = new TextEncoder().encode('x').constructor === Uint8Array;
        class Scaled extends Float64Array {}
        const scaled = new Scaled(4);
        return {
          builtin,
          same: sameMap(new Float64Array(8), new Float64Array(new ArrayBuffer(64))),
          sameAsRuntime: sameMap(new Uint8Array(4), new TextEncoder().encode('abcd')),
          subclass: scaled instanceof Scaled && scaled instanceof Float64Array && scaled.length === 4,
        };
      },
      { memory: 64 * MiB },
    );
    expect(await get(shapes.remote())).to.deep.equal({
      builtin: true,
      same: true,
      sameAsRuntime: true,
      subclass: true,
    });
  });

  it('starts many budgeted threads at once, each with its own check (none dies starting)', async () => {
    // Each actor has a budgeted thread of its own; they start together. V8's flags are
    // process-wide: a thread that switched --expose-gc back off while another one was reading
    // `gc` killed that one ("gc is not defined").
    const Probe = remote(
      class {
        size(n: number) {
          return new Float64Array(n).length;
        }
      },
      { memory: 32 * MiB },
    );
    const probes = Array.from({ length: 12 }, () => Probe.remote());
    expect(await get(probes.map((p, i) => p.size.remote(i)))).to.deep.equal(
      Array.from({ length: 12 }, (_v, i) => i),
    );
    for (const p of probes) kill(p);
  });

  it('rejects a budget below what a worker thread needs at the call, with RangeError', () => {
    const f = () => 1;
    expect(() => remote(f, { memory: 1024 })).to.throw(RangeError, /at least 33554432 \(32 MiB\)/);
    expect(() => remote(f).options({ memory: MIN_MEMORY_BUDGET - 1 })).to.throw(
      RangeError,
      /options\.memory/,
    );
    class Holder {}
    expect(() => remote(Holder, { memory: 8 * MiB })).to.throw(RangeError, /32 MiB/);
    expect(() => remote(f, { memory: MIN_MEMORY_BUDGET })).not.to.throw();
  });

  it('leaves the checked constructors behaving as the originals (instanceof, statics, subclasses, views)', async () => {
    const probe = remote(
      () => {
        class Scaled extends Float64Array {
          twice(): number {
            return this[0]! * 2;
          }
        }
        const a = new Float64Array(4).fill(1.5);
        const s = new Scaled(2);
        s[0] = 3;
        const buf = new ArrayBuffer(16);
        const view = new Int32Array(buf, 4, 2);
        return [
          a instanceof Float64Array,
          Object.getPrototypeOf(a) === Float64Array.prototype,
          Float64Array.from([1, 2, 3]).length,
          Float64Array.BYTES_PER_ELEMENT,
          s instanceof Scaled && s instanceof Float64Array,
          s.twice(),
          view.length,
          view.buffer === buf,
          Float64Array.name,
          ArrayBuffer.isView(view),
          new Uint8Array().length,
          (() => {
            try {
              (Float64Array as unknown as () => unknown)();
              return 'called';
            } catch (error) {
              return (error as Error).name;
            }
          })(),
        ];
      },
      { memory: 64 * MiB },
    );
    expect(await get(probe.remote())).to.deep.equal([
      true,
      true,
      3,
      8,
      true,
      6,
      2,
      true,
      'Float64Array',
      true,
      0,
      'TypeError',
    ]);
  });
});
