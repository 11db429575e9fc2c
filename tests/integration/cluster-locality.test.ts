import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, init, nodes, remote, shutdown, wait, type ObjectRef } from '@de2/core';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';
import { holdUntil, make, pidOf } from '../helpers/cluster-tasks.js';

/** 32 MB: big enough that pulling it would show in `bytesPulled`, small enough to make quickly. */
const BIG = 4 * 2 ** 20;
/** 8 KB: over the out-of-band threshold, so it lives in its node's store (it is not sent inline). */
const SMALL = 1024;

/** Reads its argument where it runs and says where that was. */
const read = remote((a: Float64Array) => ({ pid: process.pid, first: a[0], length: a.length }));
const readThree = remote((a: Float64Array, b: Float64Array, c: Float64Array) => ({
  pid: process.pid,
  lengths: [a.length, b.length, c.length],
}));

interface Worker {
  nodeId: string;
  pid: number;
}

describe('cluster: locality (tasks go where their largest arguments are)', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let a: Worker;
  let b: Worker;
  let scratch: string;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'de2-locality-'));
    cluster = await startTestCluster({ workers: 2, headCpus: 0, workerCpus: 2 });
    await init({ address: cluster.address, token: cluster.token });
    const ids = (await nodes()).filter((n) => n.alive && !n.isDriver && n.resources.CPU === 2);
    expect(ids).to.have.length(2);
    const pids = await get(
      ids.map((n) => pidOf.options({ schedulingStrategy: { nodeId: n.nodeId } }).remote()),
    );
    [a, b] = ids.map((n, i) => ({ nodeId: n.nodeId, pid: pids[i]! })) as [Worker, Worker];
    expect(new Set(pids).size, 'one process per worker node').to.equal(2);
  });
  after(async () => {
    await shutdown();
    await cluster?.teardown();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Bytes each worker node has pulled from other nodes so far. */
  async function pulled(): Promise<Map<string, number>> {
    return new Map((await nodes()).filter((n) => n.alive).map((n) => [n.nodeId, n.bytesPulled]));
  }

  /** Makes an array on `node` (hard affinity) and waits until it is stored there, without fetching it. */
  async function makeOn(node: Worker, length: number, value: number): Promise<ObjectRef<Float64Array>> {
    const ref = make.options({ schedulingStrategy: { nodeId: node.nodeId } }).remote(length, value);
    await wait([ref], { fetchLocal: false });
    return ref;
  }

  it('runs default-scheduled tasks on the node that holds their argument; nothing is pulled', async () => {
    const onA = await makeOn(a, BIG, 1);
    const onB = await makeOn(b, BIG, 2);
    const before = await pulled();
    // Interleaved, so that "first node with room" (no locality) would put half of them wrong,
    // whichever node comes first. Each round fits the nodes' free CPUs (2 + 2).
    for (let round = 0; round < 3; round++) {
      const results = await get([read.remote(onB), read.remote(onA), read.remote(onB), read.remote(onA)]);
      expect(results.map((r) => r.first)).to.deep.equal([2, 1, 2, 1]);
      expect(results.map((r) => r.length)).to.deep.equal([BIG, BIG, BIG, BIG]);
      expect(results.map((r) => r.pid)).to.deep.equal([b.pid, a.pid, b.pid, a.pid]);
    }
    const after = await pulled();
    // nodeStats reach the head before taskFinished (same connection, sent first): no lag here.
    expect(after.get(a.nodeId)! - before.get(a.nodeId)!, 'bytes node A pulled').to.equal(0);
    expect(after.get(b.nodeId)! - before.get(b.nodeId)!, 'bytes node B pulled').to.equal(0);
  });

  it("runs a task on the node that just made its argument (the maker's CPU counts as free again)", async () => {
    const maker = make.options({ schedulingStrategy: { nodeId: a.nodeId } });
    const before = await pulled();
    // Two makers fill A's CPUs; each read is submitted at once and waits for its argument,
    // which becomes ready a moment before its maker's CPU is given back.
    const made = [maker.remote(BIG, 5), maker.remote(BIG, 6)];
    const results = await get(made.map((ref) => read.remote(ref)));
    expect(results.map((r) => r.first)).to.deep.equal([5, 6]);
    expect(
      results.map((r) => r.pid),
      'ran where the array was made',
    ).to.deep.equal([a.pid, a.pid]);
    const after = await pulled();
    expect(after.get(b.nodeId)! - before.get(b.nodeId)!, 'bytes node B pulled').to.equal(0);
  });

  it('weighs arguments by size: one big argument outweighs two small ones elsewhere', async () => {
    // Two small arrays on one node and a big one on the other, both ways round.
    const [smallA1, smallA2, bigB] = await Promise.all([
      makeOn(a, SMALL, 1),
      makeOn(a, SMALL, 1),
      makeOn(b, BIG, 2),
    ]);
    const [smallB1, smallB2, bigA] = await Promise.all([
      makeOn(b, SMALL, 1),
      makeOn(b, SMALL, 1),
      makeOn(a, BIG, 2),
    ]);
    const before = await pulled();
    const [toB, toA] = await get([
      readThree.remote(smallA1, smallA2, bigB),
      readThree.remote(smallB1, smallB2, bigA),
    ]);
    expect(toB.lengths).to.deep.equal([SMALL, SMALL, BIG]);
    expect(toB.pid, 'the task ran where its big argument is').to.equal(b.pid);
    expect(toA.pid, 'the task ran where its big argument is').to.equal(a.pid);
    const after = await pulled();
    // Each node pulled only the two small arrays of the task it ran.
    for (const node of [a, b]) {
      const moved = after.get(node.nodeId)! - before.get(node.nodeId)!;
      expect(moved, `bytes ${node.nodeId} pulled`).to.be.at.least(2 * SMALL * 8);
      expect(moved, `bytes ${node.nodeId} pulled`).to.be.below(BIG * 8);
    }
  });

  it('is a preference, not a pin: with its holder full, a task runs on another node at once', async () => {
    const onA = await makeOn(a, BIG, 3);
    const release = join(scratch, 'release');
    const pinned = holdUntil.options({ schedulingStrategy: { nodeId: a.nodeId } });
    // Both of A's CPUs are taken, in submission order, before the next task is placed.
    const holders = [pinned.remote(release), pinned.remote(release)];
    const before = await pulled();
    try {
      const moved = await get(read.remote(onA), { timeoutMs: 30_000 });
      expect(moved.pid, 'ran on the other node instead of waiting for A').to.equal(b.pid);
      expect(moved.first).to.equal(3);
      expect(existsSync(release), 'A was still full').to.equal(false);
      const after = await pulled();
      expect(after.get(b.nodeId)! - before.get(b.nodeId)!, 'B pulled the array').to.be.at.least(BIG * 8);
    } finally {
      writeFileSync(release, '');
      expect(await get(holders)).to.deep.equal([a.pid, a.pid]);
    }
    // Both nodes hold a copy now (B kept what it pulled): later tasks read it locally.
    const again = await pulled();
    await get([read.remote(onA), read.remote(onA)]);
    const last = await pulled();
    expect(last.get(a.nodeId)! - again.get(a.nodeId)!).to.equal(0);
    expect(last.get(b.nodeId)! - again.get(b.nodeId)!).to.equal(0);
  });

  it('with every CPU busy, a task waits in line on the node holding its argument instead of pulling it', async () => {
    const onB = await makeOn(b, BIG, 4);
    const release = join(scratch, 'release-all');
    const busy = [a, a, b, b].map((n) => holdUntil.options({ schedulingStrategy: { nodeId: n.nodeId } }));
    const holders = busy.map((h) => h.remote(release));
    const before = await pulled();
    // No CPU is free: these are queued on a node's threads behind the holders (pipelined).
    const queued = [read.remote(onB), read.remote(onB)];
    // This request reaches the head after the submits: it has placed them all when it answers.
    const placed = await nodes();
    for (const n of [a, b]) {
      const info = placed.find((p) => p.nodeId === n.nodeId)!;
      expect(info.available.CPU, `no CPU free on ${n.nodeId}`).to.equal(0);
    }
    writeFileSync(release, '');
    const results = await get(queued);
    expect(
      results.map((r) => r.pid),
      'both waited on B',
    ).to.deep.equal([b.pid, b.pid]);
    expect(results.map((r) => r.first)).to.deep.equal([4, 4]);
    const after = await pulled();
    expect(after.get(a.nodeId)! - before.get(a.nodeId)!, 'bytes node A pulled').to.equal(0);
    expect(await get(holders)).to.deep.equal([a.pid, a.pid, b.pid, b.pid]);
  });

  it('wait with fetchLocal: false sees an object is ready and leaves it where it is', async () => {
    const driverPulled = async () => (await nodes()).find((n) => n.isDriver && n.alive)!.bytesPulled;
    const before = await driverPulled();
    const ref = make.options({ schedulingStrategy: { nodeId: a.nodeId } }).remote(BIG, 7);
    const watched = await wait([ref], { fetchLocal: false, timeoutMs: 30_000 });
    expect(watched.ready, 'ready somewhere').to.deep.equal([ref]);
    expect(await driverPulled(), 'nothing came to the driver').to.equal(before);
    const fetched = await wait([ref], { timeoutMs: 30_000 });
    expect(fetched.ready).to.deep.equal([ref]);
    expect(await driverPulled(), 'the default wait fetches it').to.be.at.least(before + BIG * 8);
  });
});
