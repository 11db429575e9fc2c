import { expect } from 'chai';
import { once } from 'node:events';
import {
  ActorDiedError,
  ObjectLostError,
  get,
  init,
  put,
  remote,
  shutdown,
  wait,
  type ObjectRef,
} from '@de2/core';
import { startTestCluster, type TestCluster, type TestNode } from '../helpers/test-cluster.js';
import { MarkerDir } from '../helpers/markers.js';
import { work } from '../helpers/cluster-tasks.js';

async function kill(node: TestNode): Promise<void> {
  const exited = once(node.process, 'exit');
  node.process.kill('SIGKILL');
  await exited;
}

describe('cluster faults (real processes, SIGKILL)', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let markers: MarkerDir;

  beforeEach(async () => {
    markers = new MarkerDir();
    cluster = await startTestCluster({ workers: 2, headCpus: 0, workerCpus: 1 });
    await init({ address: cluster.address, token: cluster.token });
  });
  afterEach(async () => {
    await shutdown();
    await cluster.teardown();
    markers.remove();
  });

  it('retries the tasks of a killed node on the others; every get is right, none twice', async () => {
    const [victim, survivor] = cluster.workers as [TestNode, TestNode];
    const refs = Array.from({ length: 6 }, (_, i) => work.remote(markers.path, `t${i}`, 1500));
    await markers.waitFor((name) => name.startsWith(`${victim.process.pid}-`));
    await kill(victim);
    const results = await get(refs);
    expect(results.map((r) => r.label)).to.deep.equal(['t0', 't1', 't2', 't3', 't4', 't5']);
    // Results the victim had finished lived only in its store: they were rebuilt too.
    for (const r of results) expect(r.pid).to.equal(survivor.process.pid);
  });

  it('rebuilds an object whose only copy was on the dead node by re-running its task (lineage)', async () => {
    const make = remote((n: number) => [process.pid, new Float64Array(n).fill(7)] as const, {
      numReturns: 2,
    });
    const [pidRef, dataRef] = make.remote(100_000);
    const pid = await get(pidRef); // fetches the pid only; the array stays on its node
    await wait([dataRef], { fetchLocal: false });
    const holder = cluster.workers.find((w) => w.process.pid === pid)!;
    await kill(holder);
    const sum = remote((a: Float64Array) => a.reduce((s, v) => s + v, 0));
    expect(await get(sum.remote(dataRef))).to.equal(700_000);
  });

  it('an object made by put on a dead node gives ObjectLostError', async () => {
    const putter = remote(async () => {
      const core = await import('@de2/core');
      return { pid: process.pid, refs: [core.put(new Float64Array(1000).fill(1))] };
    });
    const { pid, refs } = await get(putter.remote());
    await kill(cluster.workers.find((w) => w.process.pid === pid)!);
    const error = await get(refs[0] as ObjectRef<Float64Array>).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ObjectLostError);
    expect((error as ObjectLostError).code).to.equal('OBJECT_LOST');
  });

  it('an actor on a dead node restarts elsewhere if maxRestarts allows, else its calls fail with ActorDiedError', async () => {
    class Counter {
      n = 0;
      inc() {
        this.n += 1;
        return { n: this.n, pid: process.pid };
      }
    }
    // One CPU each puts them on the two worker nodes (the head offers none).
    const restartable = remote(Counter, { maxRestarts: 1, numCpus: 1 }).remote();
    const mortal = remote(Counter, { numCpus: 1 }).remote();
    const a = await get(restartable.inc.remote());
    const b = await get(mortal.inc.remote());
    expect(a.n).to.equal(1);
    // Kill both actors' nodes; the restartable one needs a fresh node to come back on.
    for (const pid of new Set([a.pid, b.pid]))
      await kill(cluster.workers.find((w) => w.process.pid === pid)!);
    await cluster.addWorker();
    const again = await get(restartable.inc.remote());
    expect(again.n, 'the constructor ran again on another node').to.equal(1);
    expect([a.pid, b.pid]).to.not.include(again.pid);
    const error = await get(mortal.inc.remote()).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ActorDiedError);
    expect((error as ActorDiedError).code).to.equal('ACTOR_DIED');
  });

  it('a put on the driver survives the death of the nodes that read it', async () => {
    const data = put(new Float64Array(200_000).fill(2));
    const sum = remote((a: Float64Array) => a.reduce((s, v) => s + v, 0));
    expect(await get(sum.remote(data))).to.equal(400_000);
    await kill(cluster.workers[0]!);
    expect(await get(sum.remote(data))).to.equal(400_000);
  });
});
