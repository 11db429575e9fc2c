import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MAX_TYPED_ARRAY_LENGTH,
  ObjectLostError,
  ObjectStoreFullError,
  createObject,
  free,
  get,
  init,
  put,
  remote,
  shutdown,
} from '@de2/core';
// The same module instance as @de2/core's (the built package): the pool of the driver's node.
import { getProcessPool } from '../dist/object-store/store-pool.js';

const MB = 2 ** 20;

describe('large objects: free, createObject, limits', () => {
  let sessionDir = '';
  beforeEach(() => {
    sessionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-large-test-'));
  });
  afterEach(async () => {
    await shutdown();
    fs.rmSync(sessionDir, { recursive: true, force: true });
  });

  it('keeps the bytes of a view from get across put + get + free cycles that reuse memory', async () => {
    await init({ numCpus: 1, sessionDir });
    const sum = remote((a: Float64Array) => {
      let s = 0;
      for (let i = 0; i < a.length; i += 4096) s += a[i] as number;
      return s;
    });
    const n = 8 * MB; // 64 MiB: a miss this large collects the driver's dropped views first
    const first = put(new Float64Array(n).fill(3));
    const held = (await get(first)).subarray(0, 16);
    expect(await get(sum.remote(first))).to.equal((3 * n) / 4096); // a task read it too
    await free(first);
    for (let i = 0; i < 6; i++) {
      const ref = put(new Float64Array(n).fill(i));
      expect((await get(ref))[n - 1]).to.equal(i);
      await free(ref);
    }
    expect([...held]).to.deep.equal(new Array(16).fill(3));
    // The cycles did reuse memory: after the first, each put found the block freed before.
    expect(getProcessPool()?.snapshot().hits).to.be.at.least(4);
    const err = await get(first).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ObjectLostError);
    expect((err as Error).message).to.match(/freed with free\(\)/);
  });

  it('createObject hands out store memory that seal() turns into a ref without a copy', async () => {
    await init({ numCpus: 1, sessionDir });
    const builder = createObject(Float32Array, 2 * MB);
    for (let i = 0; i < builder.array.length; i++) builder.array[i] = i % 7;
    const ref = builder.seal();
    expect(() => builder.seal()).to.throw(TypeError, /seal\(\) was called already/);
    const view = await get(ref);
    // The stored object is the memory the program filled: a write shows through.
    builder.array[5] = 42;
    expect(view[5]).to.equal(42);
    const count = remote((a: Float32Array) => a.filter((x) => x === 6).length);
    expect(await get(count.remote(ref))).to.equal(Math.floor((2 * MB - 7) / 7) + 1);
  });

  it('names the typed-array limit and suggests splitting for an array over it', async () => {
    await init({ numCpus: 1, sessionDir });
    expect(() => createObject(Uint8Array, MAX_TYPED_ARRAY_LENGTH + 1)).to.throw(
      RangeError,
      /typed-array limit of 4294967296 elements.*split the data/,
    );
    expect(() => createObject(Float64Array, -1)).to.throw(RangeError, /integer >= 0/);
  });

  it('fails a put larger than objectStoreMemory plus the spill limit at the call, naming both', async () => {
    await init({ numCpus: 1, sessionDir, objectStoreMemory: 8 * MB, spillLimitBytes: 4 * MB });
    expect(() => put(new Uint8Array(13 * MB))).to.throw(
      ObjectStoreFullError,
      /objectStoreMemory is 8388608 bytes and the spill limit 4194304 bytes/,
    );
  });
});
