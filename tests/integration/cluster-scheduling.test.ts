import { expect } from 'chai';
import { InfeasibleTaskError, get, init, nodes, remote, shutdown, wait } from '@de2/core';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';
import { De2Home } from '../helpers/de2-node.js';

const pidAfter = remote((ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // keeps the task running so that placement decisions overlap
  }
  return process.pid;
});

describe('cluster scheduling and status', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({
      workers: 2,
      headCpus: 0,
      workerCpus: 2,
      headEnv: { DE2_INFEASIBLE_TIMEOUT_MS: '4000' },
    });
    await init({ address: cluster.address, token: cluster.token });
  });
  after(async () => {
    await shutdown();
    await cluster?.teardown();
  });

  async function workerNodes() {
    return (await nodes()).filter((n) => n.alive && !n.isDriver && (n.resources.CPU ?? 0) === 2);
  }

  it("SPREAD puts tasks on different nodes; the default fills one node's CPUs first", async () => {
    const spread = pidAfter.options({ schedulingStrategy: 'SPREAD' });
    const spreadPids = await get([spread.remote(800), spread.remote(800)]);
    expect(new Set(spreadPids).size).to.equal(2);
  });

  it('node affinity runs every task on the named node; soft affinity to a missing node runs anywhere', async () => {
    const [, second] = await workerNodes();
    const pinned = pidAfter.options({ schedulingStrategy: { nodeId: second!.nodeId } });
    const pids = new Set(await get(Array.from({ length: 6 }, () => pinned.remote(10))));
    expect(pids.size).to.equal(1);
    const soft = pidAfter.options({ schedulingStrategy: { nodeId: 'node-gone', soft: true } });
    expect(await get(soft.remote(1))).to.be.a('number');
  });

  it('a task no node can fit shows in status as an infeasible demand, warns, then fails', async () => {
    const huge = pidAfter.options({ numCpus: 64 });
    const ref = huge.remote(1);
    const home = new De2Home();
    try {
      const status = await home.cli([
        'status',
        '--address',
        cluster.address,
        '--token',
        cluster.token,
        '--json',
      ]);
      expect(status.code, status.stderr).to.equal(0);
      const parsed = JSON.parse(status.stdout) as {
        demands: { resources: Record<string, number>; infeasible: boolean }[];
      };
      expect(parsed.demands).to.deep.include({ resources: { CPU: 64 }, count: 1, infeasible: true });
      const text = await home.cli(['status', '--address', cluster.address, '--token', cluster.token]);
      expect(text.stdout).to.contain('{"CPU":64}: 1 infeasible').and.contain('Healthy:');
    } finally {
      await home.cleanup();
    }
    const error = await get(ref).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InfeasibleTaskError);
    expect((error as Error).message).to.contain('needs {"CPU":64}');
  });

  it('status counts running tasks and lists a dead node', async () => {
    const ref = pidAfter.options({ schedulingStrategy: 'SPREAD' }).remote(3000);
    const home = new De2Home();
    try {
      let running = 0;
      for (let i = 0; i < 50 && running === 0; i++) {
        const status = JSON.parse(
          (await home.cli(['status', '--address', cluster.address, '--token', cluster.token, '--json']))
            .stdout,
        ) as {
          nodes: { runningTasks: number }[];
        };
        running = status.nodes.reduce((t, n) => t + n.runningTasks, 0);
      }
      expect(running).to.equal(1);
      await wait([ref]);
      const victim = cluster.workers[1]!;
      const exited = new Promise((resolve) => victim.process.once('exit', resolve));
      victim.process.kill('SIGKILL');
      await exited;
      let text = '';
      for (let i = 0; i < 50 && !/Dead:\n node-/.test(text); i++) {
        text = (await home.cli(['status', '--address', cluster.address, '--token', cluster.token])).stdout;
      }
      expect(text).to.match(/Dead:\n node-\w+/);
    } finally {
      await home.cleanup();
    }
  });
});
