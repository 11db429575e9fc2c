import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { NodeDiedError, get, getActor, init, nodes, remote, shutdown } from '@de2/core';
import { startNode, startTestCluster, type TestCluster } from '../helpers/test-cluster.js';

const driverScript = fileURLToPath(new URL('../fixtures/driver-that-dies.ts', import.meta.url));

describe('cluster lifecycle: drivers leaving, the head dying', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  beforeEach(async () => {
    cluster = await startTestCluster({ workers: 1, headCpus: 0, workerCpus: 2 });
  });
  afterEach(async () => {
    await shutdown();
    await cluster.teardown();
  });

  it("cleans up a killed driver's actors, tasks and objects; the cluster keeps serving others", async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', driverScript, cluster.address, cluster.token], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('READY')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`driver exited early (${code}): ${output}`)));
    });
    await init({ address: cluster.address, token: cluster.token });
    const busy = (await nodes()).find((n) => !n.isDriver && n.alive && (n.resources.CPU ?? 0) === 2)!;
    expect(busy.available.CPU, 'the other driver holds both CPUs').to.equal(0);
    expect(busy.objectStoreUsed, "the worker holds a copy of the driver's 8 MiB").to.be.at.least(8 << 20);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    // Its actor (named 'hog') and its long task are gone, and their CPUs free again.
    const square = remote((x: number) => x * x);
    expect(await get(square.remote(7))).to.equal(49);
    expect(
      await getActor('hog').then(
        () => 'found',
        () => 'gone',
      ),
    ).to.equal('gone');
    const after = (await nodes()).find((n) => n.nodeId === busy.nodeId)!;
    expect(after.available.CPU).to.equal(2);
    // Its 8 MiB object is freed: nobody is left to hold it (the worker reports its store every
    // second; the small results of this driver's own tasks may still be there).
    let used = after.objectStoreUsed;
    for (let i = 0; i < 100 && used >= 8 << 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      used = (await nodes()).find((n) => n.nodeId === busy.nodeId)!.objectStoreUsed;
    }
    expect(used, "the worker's copy of the killed driver's object").to.be.below(8 << 20);
  });

  it('fails a driver with NodeDiedError when the head stays away past the grace period, and nodes rejoin a head that comes back', async () => {
    // A driver waits DE2_HEAD_GRACE_S (default 60) for a head that restarts: 2 s here.
    process.env.DE2_HEAD_GRACE_S = '2';
    try {
      await init({ address: cluster.address, token: cluster.token });
    } finally {
      delete process.env.DE2_HEAD_GRACE_S;
    }
    const slow = remote(async (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        // keeps running while the head goes away
      }
      return 1;
    });
    const ref = slow.remote(5_000);
    const headExit = once(cluster.head.process, 'exit');
    cluster.head.process.kill('SIGKILL');
    await headExit;
    const lostAt = Date.now();
    const error = await get(ref).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NodeDiedError);
    expect((error as Error).message)
      .to.contain('lost the connection to the de2 head')
      .and.contain('for more than 2 s');
    expect(Date.now() - lostAt, 'not before the grace period is over').to.be.at.least(1500);
    const later = await get(slow.remote(1)).catch((e: unknown) => e);
    expect(later).to.be.instanceOf(NodeDiedError);
    await shutdown();

    // A new head on the same address and token: the worker rejoins by itself.
    const port = cluster.address.split(':')[1]!;
    const head = await startNode(
      cluster.home.env,
      ['--head', '--port', port, '--host', '127.0.0.1', '--num-cpus', '0', '--token', cluster.token],
      /de2 head started/,
    );
    try {
      await init({ address: cluster.address, token: cluster.token });
      // The worker retries with backoff: wait until it shows up, asking the head each time.
      let workers = 0;
      for (let i = 0; i < 100 && workers === 0; i++) {
        workers = (await nodes()).filter(
          (n) => n.alive && !n.isDriver && (n.resources.CPU ?? 0) === 2,
        ).length;
        if (workers === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(workers).to.equal(1);
      const square = remote((x: number) => x * x);
      expect(await get(square.remote(5))).to.equal(25);
    } finally {
      await shutdown();
      const exited = once(head.process, 'exit');
      head.process.kill('SIGKILL');
      await exited;
    }
  });
});
