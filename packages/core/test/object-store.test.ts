import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ErrorCode, ObjectStoreFullError, get, init, put, remote, shutdown } from '@de2/core';

const run = promisify(execFile);
const MB = 2 ** 20;

function tsxChild(script: string, nodeArgs: string[] = []) {
  return run(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', path.join(import.meta.dirname, 'fixtures', script)],
    {
      cwd: path.join(import.meta.dirname, '..'),
      maxBuffer: 16 * MB,
      // A child that hangs (free-memory.ts waits for events) is killed before mocha's timeout,
      // so the test fails with its output instead of leaving the process behind.
      timeout: 50_000,
    },
  );
}

describe('object store', () => {
  let sessionDir = '';
  beforeEach(() => {
    sessionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-store-test-'));
  });
  afterEach(async () => {
    await shutdown();
    fs.rmSync(sessionDir, { recursive: true, force: true });
  });

  it('lets 16 tasks read a 200 MB Float64Array without copying it', async () => {
    await init({ numCpus: 2, sessionDir });
    const data = new Float64Array(25_000_000).fill(0.5);
    const bytes = data.byteLength;
    const warm = remote((x: number) => x);
    await get([warm.remote(1), warm.remote(2)]);
    const rssBefore = process.memoryUsage().rss;
    const ref = put(data);
    const sum = remote((a: Float64Array, i: number) => {
      let s = 0;
      for (let k = i; k < a.length; k += 16) s += a[k] as number;
      return { s, shared: a.buffer instanceof SharedArrayBuffer };
    });
    const parts = await get(Array.from({ length: 16 }, (_, i) => sum.remote(ref, i)));
    const growth = process.memoryUsage().rss - rssBefore;
    expect(parts.every((p) => p.shared)).to.equal(true);
    expect(parts.reduce((t, p) => t + p.s, 0)).to.equal(data.length * 0.5);
    expect(growth, `rss grew ${Math.round(growth / MB)} MB`).to.be.below(2 * bytes);
    const back = await get(ref);
    expect(back.buffer).to.be.instanceOf(SharedArrayBuffer); // the driver reads the same memory
  });

  it('spills to disk under the session folder when full, and restores on get', async () => {
    await init({ numCpus: 1, sessionDir, objectStoreMemory: 50 * MB });
    const refs = [1, 2, 3].map((v) => put(new Float64Array((20 * MB) / 8).fill(v)));
    await get(refs[2]!);
    const spilled = fs.readdirSync(path.join(sessionDir, 'spill'));
    expect(spilled.length).to.be.greaterThan(0);
    const first = await get(refs[0]!);
    expect(first.length).to.equal((20 * MB) / 8);
    expect(first[0]).to.equal(1);
    expect(first[first.length - 1]).to.equal(1);
  });

  it('fails a put with ObjectStoreFullError when the spill limit is reached too', async () => {
    await init({ numCpus: 1, sessionDir, objectStoreMemory: 50 * MB, spillLimitBytes: 30 * MB });
    const refs = [1, 2, 3, 4].map((v) => put(new Float64Array((20 * MB) / 8).fill(v)));
    const err = await get(refs[3]!).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ObjectStoreFullError);
    expect((err as ObjectStoreFullError).code).to.equal(ErrorCode.OBJECT_STORE_FULL);
    expect((await get(refs[1]!))[0]).to.equal(2);
  });

  it('frees an object once no ref to it remains (FinalizationRegistry), returning its memory', async () => {
    const { stdout } = await tsxChild('free-memory.ts', ['--expose-gc']);
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    expect(r.total).to.equal(25_000_000);
    expect(r.before! - r.afterPut!).to.be.at.least(200e6);
    expect(r.afterFree).to.equal(r.before);
    // Its block went to the store's pool once no thread could read it, and from there back
    // to the OS when the pool released it (the child keeps the put's input alive: see there).
    expect(r.pooledBytes).to.be.at.least(200e6);
    expect(r.released).to.be.at.least(200e6);
    expect(r.rssAfterPut! - r.rssAfterRelease!, 'rss given back').to.be.above(150 * MB);
  });

  it("prints tasks' console output on the driver's stdout with a worker prefix", async () => {
    const { stdout, stderr } = await tsxChild('console-output.ts');
    expect(stdout).to.match(/^\(worker \d+\) hello from a task 7$/m);
    expect(stderr).to.match(/^\(worker \d+\) and a warning$/m);
  });
});
