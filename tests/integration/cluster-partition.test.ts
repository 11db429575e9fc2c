import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { get, init, nodes, remote, shutdown, type NodeInfo, type ObjectRef } from '@de2/core';
import { startTestCluster, type TestCluster, type TestNode } from '../helpers/test-cluster.js';
import { MarkerDir } from '../helpers/markers.js';
import { holdUntil, make, pidOf, work } from '../helpers/cluster-tasks.js';
import { pollNodes, waitForOutput } from '../helpers/node-output.js';

/**
 * The head's heartbeats (transport/wire-server.ts): a ping every 2 s, 8 s to answer. A node
 * that stops answering is dropped within their sum.
 */
const HEARTBEAT_MS = 2000 + 8000;

const sum = remote((a: Float64Array) => a.reduce((s, v) => s + v, 0));

interface Worker {
  node: TestNode;
  nodeId: string;
  pid: number;
}

describe('cluster: a node cut off (SIGSTOP: no heartbeats, nothing sent), then back (SIGCONT)', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let markers: MarkerDir;
  let victim: Worker;
  let survivor: Worker;

  beforeEach(async () => {
    markers = new MarkerDir();
    cluster = await startTestCluster({ workers: 2, headCpus: 0, workerCpus: 1 });
    await init({ address: cluster.address, token: cluster.token });
    // A worker prints that it joined before the head has read its registerNode: wait for both.
    const isWorker = (n: NodeInfo) => n.alive && !n.isDriver && n.resources.CPU === 1;
    const workers = (await pollNodes((table) => table.filter(isWorker).length === 2, 30_000)).filter(
      isWorker,
    );
    const pids = await get(
      workers.map((n) => pidOf.options({ schedulingStrategy: { nodeId: n.nodeId } }).remote()),
    );
    const [v, s] = workers.map((n, i) => ({
      nodeId: n.nodeId,
      pid: pids[i]!,
      node: cluster.workers.find((w) => w.process.pid === pids[i])!,
    }));
    victim = v!;
    survivor = s!;
    expect(victim.node, 'node ids map to our processes').to.not.equal(undefined);
    expect(survivor.node, 'node ids map to our processes').to.not.equal(undefined);
  });
  afterEach(async () => {
    await shutdown();
    await cluster.teardown(); // SIGKILL ends a stopped process too
    markers.remove();
  });

  /** An 8 MB result whose only copy is on the victim (read there, never fetched elsewhere). */
  async function bigOnVictim(): Promise<ObjectRef<Float64Array>> {
    const onVictim = { schedulingStrategy: { nodeId: victim.nodeId, soft: true } };
    const big = make.options(onVictim).remote(2 ** 20, 3);
    expect(await get(sum.options(onVictim).remote(big))).to.equal(3 * 2 ** 20);
    const pulled = (await nodes()).map((n) => `${n.isDriver ? 'driver' : n.nodeId}: ${n.bytesPulled}`);
    expect(pulled, 'no node pulled it').to.deep.equal(pulled.map((p) => p.replace(/\d+$/, '0')));
    return big;
  }

  it('drops the frozen node within the heartbeat timeout, reruns its work elsewhere, and takes nothing from it late', async () => {
    const big = await bigOnVictim();
    // The survivor's CPU is held until the test lets go: work queues on the nodes' threads
    // (pipelined), and the victim is frozen in the middle of a task.
    const release = join(markers.path, 'release');
    const gate = holdUntil
      .options({ schedulingStrategy: { nodeId: survivor.nodeId, soft: true } })
      .remote(release);
    const refs = Array.from({ length: 4 }, (_, i) => work.remote(markers.path, `t${i}`, 1000));
    await markers.waitFor((name) => name.startsWith(`${victim.pid}-`));

    victim.node.process.kill('SIGSTOP');
    const stoppedAt = Date.now();
    // No CPU is free and SPREAD tasks are never pipelined: this one stays queued. Once the
    // victim is dropped its argument is being rebuilt, and it must wait for that without
    // taking the survivor's CPU, which the rebuild needs.
    const total = sum.options({ schedulingStrategy: 'SPREAD' }).remote(big);
    const table = await pollNodes(
      (t) => t.some((n) => n.nodeId === victim.nodeId && !n.alive),
      HEARTBEAT_MS + 10_000,
    );
    const detectedMs = Date.now() - stoppedAt;
    console.log(`      (head marked the frozen node dead after ${detectedMs} ms)`);
    expect(detectedMs, 'noticed by heartbeats, not sooner by a closed socket').to.be.at.least(2000);
    expect(detectedMs, 'within the heartbeat timeout').to.be.below(HEARTBEAT_MS + 3000);
    expect(table.find((n) => n.nodeId === survivor.nodeId)?.alive).to.equal(true);
    writeFileSync(release, '');

    const results = await get(refs);
    expect(results.map((r) => r.label)).to.deep.equal(['t0', 't1', 't2', 't3']);
    expect(await get(gate)).to.equal(survivor.pid);
    // Each value comes from a run that really happened, on one of the two processes.
    const ran = markers.list().filter((m) => m !== 'release');
    for (const r of results) {
      expect([victim.pid, survivor.pid]).to.include(r.pid);
      expect(ran.some((m) => m.startsWith(`${r.pid}-${r.label}-`))).to.equal(true);
    }
    // The task caught running on the frozen node ran again on the survivor: that is its value.
    const retried = results.filter(
      (r) => r.pid === survivor.pid && ran.some((m) => m.startsWith(`${victim.pid}-${r.label}-`)),
    );
    expect(retried.length, 'tasks rerun after the freeze').to.be.at.least(1);
    expect(await get(total, { timeoutMs: 30_000 })).to.equal(3 * 2 ** 20);

    // Wake it: it finishes the task it was frozen in and tries to report it on a connection
    // the head has closed. It must not deliver that result, nor anything else, to anyone.
    victim.node.process.kill('SIGCONT');
    const [, rejoinedAs] = await waitForOutput(victim.node, /rejoined the head at \S+ as (node-\w+)/, 20_000);
    expect(rejoinedAs, 'a fresh identity: nothing of the old node comes back').to.not.equal(victim.nodeId);
    // It tried to come back under its old id; the head, which had declared it dead, refused,
    // and the node said what it dropped.
    expect(victim.node.output()).to.match(
      new RegExp(`does not take ${victim.nodeId} back .*dropping \\d+ task`),
    );
    const after = await pollNodes((t) => t.some((n) => n.nodeId === rejoinedAs && n.alive), 10_000);
    expect(after.find((n) => n.nodeId === victim.nodeId)?.alive, 'the old id stays dead').to.equal(false);

    // Values already delivered did not change, and the head's books are straight: nothing
    // runs, every CPU is free (a late taskFinished would free one twice, a lost one leak one).
    expect(await get(refs)).to.deep.equal(results);
    const idle = await pollNodes(
      (t) => t.filter((n) => n.alive && !n.isDriver).every((n) => n.runningTasks === 0),
      10_000,
    );
    for (const n of idle.filter((n) => n.alive && !n.isDriver)) {
      expect(n.available.CPU, `free CPUs of ${n.nodeId}`).to.equal(n.resources.CPU);
    }

    // The cluster keeps serving, the rejoined node included.
    const next = await get([
      work.remote(markers.path, 'after', 0),
      pidOf.options({ schedulingStrategy: { nodeId: rejoinedAs! } }).remote(),
      sum.remote(big),
    ]);
    expect(next[0]).to.deep.include({ label: 'after' });
    expect(next[1], 'the same process, back under its new id').to.equal(victim.pid);
    expect(next[2]).to.equal(3 * 2 ** 20);
  });

  it('a task fetching its argument from the frozen node gets it rebuilt elsewhere, without a deadlock', async () => {
    const big = await bigOnVictim();
    // The victim's only CPU is busy, so the next task goes to the survivor and must fetch
    // the array from the victim: it asks a frozen node, which accepts the connection and
    // then says nothing.
    const busy = work.options({ schedulingStrategy: { nodeId: victim.nodeId, soft: true } });
    const held = busy.remote(markers.path, 'held', 1000);
    await markers.waitFor((name) => name.startsWith(`${victim.pid}-held-`));
    victim.node.process.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const total = sum.remote(big);
    // The survivor's one CPU is taken by `total` while it fetches; the array's rebuild and the
    // retried `held` need it too: `total` lends it while it waits, as in a blocked get.
    expect(await get(total, { timeoutMs: 30_000 })).to.equal(3 * 2 ** 20);
    const tookMs = Date.now() - stoppedAt;
    console.log(`      (the fetch from the frozen node gave way to a rebuild after ${tookMs} ms)`);
    expect(await get(held)).to.deep.equal({ label: 'held', pid: survivor.pid });
    const table = await pollNodes(
      (t) => t.some((n) => n.nodeId === survivor.nodeId && n.runningTasks === 0),
      10_000,
    );
    const after = table.find((n) => n.nodeId === survivor.nodeId)!;
    expect(after.available.CPU, 'the lent CPU is back, once').to.equal(1);
    expect(table.find((n) => n.nodeId === victim.nodeId)?.alive).to.equal(false);
  });
});
