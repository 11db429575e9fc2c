import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutOfMemoryError, get, init, remote, shutdown } from '@de2/core';
import { pidOf } from '../helpers/cluster-tasks.js';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';

const MiB = 2 ** 20;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected the task to fail'),
    (e: unknown) => e,
  );
}

/** Fits an unbounded forest on noise (every leaf pure, so trees grow to one leaf per few rows). */
const unboundedForest = remote(
  async (rows: number, trees: number) => {
    const { RandomForestClassifier } = await import('@de2/forest');
    const nFeatures = 2;
    const X = new Float32Array(rows * nFeatures);
    const y = new Int32Array(rows);
    let s = 12345;
    const next = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < X.length; i++) X[i] = next();
    for (let i = 0; i < rows; i++) y[i] = Math.floor(next() * 7);
    const rf = new RandomForestClassifier({ nEstimators: trees, maxDepth: null, seed: 1 });
    rf.fit(X, y, nFeatures);
    return { trees: rf.nTrees, bytes: rf.byteLength };
  },
  { memory: 32 * MiB },
);

/** Keeps `mib` MiB of touched memory (then writes `holding`) until `release` exists. */
const holdMemoryUntil = remote(async (mib: number, holding: string, release: string) => {
  const fs = await import('node:fs');
  const held = new Uint8Array(mib * 2 ** 20).fill(1);
  fs.writeFileSync(holding, '');
  while (!fs.existsSync(release)) await new Promise((r) => setTimeout(r, 10));
  return held.length / 2 ** 20;
});

async function fileAppears(file: string): Promise<void> {
  while (!existsSync(file)) await new Promise((r) => setTimeout(r, 10));
}

/** Grows by 16 MiB steps (touched, kept) up to `maxMib`: runs until something ends it. */
const grow = remote(async (maxMib: number) => {
  const kept: Uint8Array[] = [];
  for (let mib = 0; mib < maxMib; mib += 16) {
    kept.push(new Uint8Array(16 * 2 ** 20).fill(1));
    await new Promise((r) => setTimeout(r, 5));
  }
  return kept.length;
});

describe('memory: budgets that see typed arrays, and the node memory monitor', function () {
  this.timeout(120_000);

  describe('a budgeted forest fit (embedded)', () => {
    before(async () => {
      await init({ numCpus: 2 });
    });
    after(async () => {
      await shutdown();
    });

    it('stops a maxDepth: null forest whose trees outgrow a 32 MiB budget, during the fit', async () => {
      // 200 unbounded trees on 20,000 noise rows hold far more than 32 MiB in typed arrays
      // (measured: about 0.9 MiB per tree), none of it on the V8 heap.
      const err = await failure(get(unboundedForest.remote(20_000, 200)));
      expect(err).to.be.instanceOf(OutOfMemoryError);
      expect((err as Error).message).to.match(
        /used [\d.]+ MiB \(heap \+ ArrayBuffers\), over its budget of 32 MiB/,
      );
      // The same fit with few trees fits its budget, on a fresh thread.
      const small = await get(unboundedForest.remote(20_000, 4));
      expect(small.trees).to.equal(4);
      expect(small.bytes).to.be.greaterThan(0);
    });
  });

  describe('a node with --memory', () => {
    let cluster: TestCluster;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'de2-memory-'));
      // Only the worker runs tasks; its memory monitor ends tasks near 95% of 1 GiB.
      cluster = await startTestCluster({
        workers: 1,
        headCpus: 0,
        workerCpus: 2,
        workerArgs: () => ['--memory', String(1024 * MiB)],
      });
      await init({ address: cluster.address, token: cluster.token });
    });
    after(async () => {
      await shutdown();
      await cluster?.teardown();
      rmSync(dir, { recursive: true, force: true });
    });

    it('ends the newer of two growing tasks with OutOfMemoryError; the older finishes and the node lives on', async () => {
      const workerPid = cluster.workers[0]!.process.pid;
      expect(await get(pidOf.remote())).to.equal(workerPid);
      const [holding, release] = [join(dir, 'holding'), join(dir, 'release')];
      const older = holdMemoryUntil.remote(200, holding, release);
      await fileAppears(holding); // the older task runs and holds its memory: then the newer starts
      const newer = grow.remote(4096);
      const err = await failure(get(newer));
      expect(err).to.be.instanceOf(OutOfMemoryError);
      expect((err as Error).message).to.match(/node's memory monitor ended this task/);
      expect((err as Error).message).to.match(/memory limit of 1024 MiB/);
      writeFileSync(release, '');
      expect(await get(older)).to.equal(200);
      expect(cluster.workers[0]!.process.exitCode).to.equal(null);
      expect(await get(pidOf.remote())).to.equal(workerPid);
    });
  });
});
