import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { MemoryMonitor, type MemoryVictim } from '../src/node/memory-monitor.js';
import { ObjectStore } from '../src/object-store/object-store.js';
import { BLOCK_HEADER_BYTES, blockPins, sweepAliases } from '../src/object-store/pool-block.js';
import { sizeClass } from '../src/object-store/store-pool.js';
import type { SerializedValue } from '../src/protocol/messages.js';
import { deserialize, serialize, type Revivers } from '../src/serialization/values.js';

const MB = 2 ** 20;
const revivers: Revivers = { ref: (id) => id, actor: (info) => info };

/** A Float64Array of 2 MiB elements (16 MiB, a pool block) filled with `v`. */
const array = (v: number, n = 2 * MB): Float64Array => new Float64Array(n).fill(v);

/** Collects garbage (in a later turn: a WeakRef lives through the turn that made it) and unpins dropped views. */
async function collect(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  sweepAliases();
}

describe('store pool: reuse of freed memory', () => {
  let sessionDir = '';
  let store: ObjectStore;
  const open = (capacityBytes = 512 * MB, poolIdleMs = 60_000): ObjectStore =>
    (store = new ObjectStore({ capacityBytes, sessionDir, spillLimitBytes: 1024 * MB, poolIdleMs }));
  const read = (id: string): Float64Array =>
    deserialize(store.read(id)?.value as SerializedValue, revivers) as Float64Array;
  const putFree = (id: string, v: number): void => {
    store.putValue(id, serialize(array(v)));
    expect(read(id)[123]).to.equal(v);
    store.free(id);
  };

  beforeEach(() => {
    sessionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-pool-test-'));
  });
  afterEach(() => {
    store.clear();
    fs.rmSync(sessionDir, { recursive: true, force: true });
  });

  it('reuses the memory of freed values for later puts of their size class', async () => {
    open();
    for (let i = 0; i < 10; i++) {
      putFree(`x${i}`, i);
      await collect(); // the views `read` made are dropped: nothing pins the block any more
    }
    const stats = store.pool.snapshot();
    expect(stats.misses, JSON.stringify(stats)).to.equal(1);
    expect(stats.hits).to.equal(9);
    expect(sizeClass(16 * MB + BLOCK_HEADER_BYTES)).to.be.within(16 * MB, 18 * MB);
  });

  it('never reuses a block while a view from get can read it: a view held across many put/free cycles keeps its bytes', async () => {
    open();
    store.putValue('held', serialize(array(7)));
    // Only a subarray is kept: the view get returned is garbage, its buffer is not.
    const kept = read('held').subarray(1000, 1010);
    const alsoKept = new Float64Array(read('held').buffer, BLOCK_HEADER_BYTES, 4);
    store.free('held');
    for (let i = 0; i < 20; i++) {
      putFree(`c${i}`, 100 + i);
      await collect();
    }
    expect([...kept]).to.deep.equal(new Array(10).fill(7));
    expect([...alsoKept]).to.deep.equal([7, 7, 7, 7]);
    expect(store.pool.snapshot().hits).to.be.greaterThan(15); // the cycles did reuse memory
    expect(store.pool.quarantinedBytes()).to.be.greaterThan(16 * MB); // the held block waits
  });

  it('gives a block back once the last view of it is collected', async () => {
    open();
    store.putValue('a', serialize(array(1)));
    let view: Float64Array | undefined = read('a');
    store.free('a');
    expect(store.pool.freeBytes).to.equal(0);
    expect(view[0]).to.equal(1);
    view = undefined;
    await collect();
    sweepAliases();
    putFree('b', 2); // reclaims the block from quarantine
    expect(store.pool.snapshot()).to.include({ misses: 1, hits: 1 });
  });

  it('keeps a block that a worker thread still reads, and reuses it after the thread drops it', async () => {
    open();
    store.putValue('w', serialize(array(5)));
    const value = store.read('w')?.value as SerializedValue;
    const worker = new Worker(path.join(import.meta.dirname, 'fixtures', 'pool-reader.mjs'));
    const ask = (cmd: string, extra: object = {}): Promise<unknown> =>
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage({ cmd, ...extra });
      });
    try {
      expect(await ask('hold', { value })).to.equal('held');
      const block = value.buffers[0] as SharedArrayBuffer;
      store.free('w');
      await collect();
      expect(blockPins(block)).to.equal(1); // the worker's alias
      for (let i = 0; i < 10; i++) {
        putFree(`v${i}`, 50 + i);
        await collect();
      }
      expect(await ask('check')).to.deep.equal(new Array(8).fill(5));
      expect(await ask('drop')).to.equal('dropped');
      expect(blockPins(block)).to.equal(0);
      const before = store.pool.snapshot().hits;
      store.putValue('x', serialize(array(9)));
      store.putValue('y', serialize(array(9))); // two live at once: the worker's old block serves one
      expect(store.pool.snapshot().hits).to.equal(before + 2);
    } finally {
      await worker.terminate();
    }
  });

  it('says when a block a worker thread read is out of quarantine (unpinned), once the thread collects its view', async () => {
    open();
    store.putValue('w', serialize(array(6)));
    const value = store.read('w')?.value as SerializedValue;
    const worker = new Worker(path.join(import.meta.dirname, 'fixtures', 'pool-reader.mjs'));
    const ask = (cmd: string, extra: object = {}): Promise<unknown> =>
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage({ cmd, ...extra });
      });
    try {
      expect(await ask('hold', { value })).to.equal('held');
      store.free('w');
      await collect();
      expect(store.pool.quarantinedBytes()).to.be.greaterThan(16 * MB);
      let unpinned = false;
      const done = store.pool.unpinned().then(() => (unpinned = true));
      await collect();
      expect(unpinned, 'resolved while the worker still reads the block').to.equal(false);
      expect(await ask('collect')).to.equal('collected'); // no sweep: its finalizer unpins later
      await done;
      expect(store.pool.snapshot()).to.include({ quarantinedBytes: 0 });
      expect(store.pool.freeBytes).to.be.greaterThan(16 * MB);
      expect(store.pool.release()).to.be.greaterThan(16 * MB);
    } finally {
      await worker.terminate();
    }
  });

  it('release() also gives back a quarantined block whose last view went since the timer looked', async () => {
    open();
    store.putValue('q', serialize(array(4)));
    let view: Float64Array | undefined = read('q');
    store.free('q');
    expect(store.pool.quarantinedBytes()).to.be.greaterThan(16 * MB);
    expect(view[0]).to.equal(4);
    view = undefined;
    await collect(); // unpinned now; the pool's timer (60 s here) has not moved it
    expect(store.pool.freeBytes).to.equal(0);
    expect(store.pool.release()).to.be.greaterThan(16 * MB);
    expect(store.pool.snapshot()).to.include({ freeBytes: 0, quarantinedBytes: 0 });
  });

  it('counts free pool memory against objectStoreMemory and trims it before spilling', () => {
    open(40 * MB);
    store.putValue('a', serialize(array(1)));
    store.putValue('b', serialize(array(2)));
    store.free('a');
    store.free('b');
    expect(store.pool.freeBytes).to.be.greaterThan(32 * MB);
    // A value of another size class needs room: the pool's free blocks go, nothing spills.
    store.putValue('c', serialize(array(3, 3 * MB)));
    expect(store.usedBytes + store.pool.freeBytes).to.be.at.most(40 * MB);
    expect(store.spilledBytes).to.equal(0);
    expect(read('c')[7]).to.equal(3);
  });

  it('gives free memory back to the OS when idle', async () => {
    open(512 * MB, 20);
    putFree('a', 1);
    await collect();
    putFree('b', 2);
    await collect();
    // The idle timer takes the unpinned block out of quarantine, then gives it back.
    for (let i = 0; i < 500 && store.pool.snapshot().trimmedBytes === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(store.pool.snapshot()).to.include({ freeBytes: 0, quarantinedBytes: 0 });
    expect(store.pool.snapshot().trimmedBytes).to.be.greaterThan(16 * MB);
  });

  it('gives its free memory back when the node memory monitor asks, before a task is ended', async () => {
    open();
    store.putValue('a', serialize(array(1)));
    store.free('a');
    expect(store.pool.freeBytes).to.be.greaterThan(16 * MB);
    const events: string[] = [];
    let monitor: MemoryMonitor | undefined;
    await new Promise<void>((resolve) => {
      const victim: MemoryVictim = {
        taskId: 't1',
        startedAt: 1,
        retriable: true,
        endForMemory: async () => {
          events.push(`ended with ${store.pool.freeBytes} free`);
          resolve();
        },
      };
      monitor = new MemoryMonitor({
        limitBytes: 1,
        usedBytes: () => 2,
        running: () => [victim],
        relieve: () => {
          const given = store.pool.release();
          events.push(`relieved ${given > 0}`);
          return given;
        },
      });
    });
    monitor?.stop();
    expect(events.slice(0, 3)).to.deep.equal(['relieved true', 'relieved false', 'ended with 0 free']);
  });

  it('restores a spilled value into pool memory with its bytes intact', () => {
    open(20 * MB);
    store.putValue('s1', serialize(array(11)));
    store.putValue('s2', serialize(array(12))); // spills s1
    expect(store.spilledBytes).to.be.greaterThan(0);
    expect(read('s1')[99]).to.equal(11); // restores s1 (spilling s2)
    expect(read('s2')[99]).to.equal(12);
  });
});
