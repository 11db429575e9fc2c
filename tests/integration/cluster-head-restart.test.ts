import { expect } from 'chai';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { get, getActor, init, nodes, put, remote, shutdown, wait, type NodeInfo } from '@de2/core';
import { startNode, startTestCluster, type TestCluster, type TestNode } from '../helpers/test-cluster.js';
import { MarkerDir } from '../helpers/markers.js';
import { make, pidOf } from '../helpers/cluster-tasks.js';
import { waitForOutput } from '../helpers/node-output.js';

async function kill(node: TestNode): Promise<void> {
  if (node.process.exitCode !== null || node.process.signalCode !== null) return;
  const exited = once(node.process, 'exit');
  node.process.kill('SIGKILL');
  await exited;
}

/** Leaves `<label>-done` in `dir` when it returns: the test sees it end while the head is away. */
const finishAfter = remote(async (dir: string, label: string, release: string) => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  fs.writeFileSync(path.join(dir, `${label}-started`), '');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + 60_000;
  while (!fs.existsSync(release) && Date.now() < end) Atomics.wait(pause, 0, 0, 10);
  fs.writeFileSync(path.join(dir, `${label}-done`), '');
  return `${label} ran in ${process.pid}`;
});

/** Waits in get for a child that waits for its argument, made on another node behind `release`. */
const parent = remote(async (dir: string, release: string, gateNode: string, childNode: string) => {
  const { remote: r, get: g } = await import('@de2/core');
  const gate = r(async (file: string) => {
    const fs = await import('node:fs');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!fs.existsSync(file)) Atomics.wait(pause, 0, 0, 10);
    return 2;
  });
  const child = r((x: number) => x * 21);
  const arg = gate.options({ schedulingStrategy: { nodeId: gateNode } }).remote(release);
  const ref = child.options({ numCpus: 2, schedulingStrategy: { nodeId: childNode } }).remote(arg);
  (await import('node:fs')).writeFileSync(`${dir}/parent-waits`, '');
  return g(ref);
});

const sum = remote((a: Float64Array) => a.reduce((s, v) => s + v, 0));

const Keeper = remote(
  class Keeper {
    n = 0;
    inc(k: number) {
      return (this.n += k);
    }
    pid() {
      return process.pid;
    }
  },
);

describe('cluster: the head restarts (SIGKILL, then the same command again)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let markers: MarkerDir;
  let head: TestNode | undefined;
  beforeEach(async () => {
    markers = new MarkerDir();
    cluster = await startTestCluster({ workers: 2, headCpus: 0, workerCpus: 2 });
    head = undefined;
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      for (const n of [cluster.head, ...cluster.workers, ...(head ? [head] : [])]) console.log(n.output());
    await shutdown();
    if (head) await kill(head);
    await cluster.teardown();
    markers.remove();
  });

  /** The head again on its port, with no token flag: it must find the cluster's token itself. */
  async function restartHead(extra: string[] = []): Promise<TestNode> {
    const port = cluster.address.split(':')[1]!;
    head = await startNode(
      cluster.home.env,
      ['--head', '--port', port, '--host', '127.0.0.1', '--num-cpus', '0', '--no-dashboard', ...extra],
      /de2 head started/,
    );
    return head;
  }

  it('nodes keep their tasks, actors and objects; the driver gets every result; named actors are found again', async () => {
    await init({ address: cluster.address, token: cluster.token });
    const isWorker = (n: NodeInfo) => n.alive && !n.isDriver && n.resources.CPU === 2;
    const before = (await nodes())
      .filter(isWorker)
      .map((n) => n.nodeId)
      .sort();
    // On a worker: the head's own node (0 CPUs, but room for an actor of 0 CPUs) dies with it.
    const keeper = Keeper.options({ name: 'keeper', schedulingStrategy: { nodeId: before[0]! } }).remote();
    expect(await get(keeper.inc.remote(5))).to.equal(5);
    const actorPid = await get(keeper.pid.remote());
    // Objects on a worker (a task's result) and on the driver (a put), 1 MiB each: pulled, not inline.
    const made = make.remote(2 ** 17, 3);
    const data = put(new Float64Array(2 ** 17).fill(2));
    await wait([made], { fetchLocal: false });
    const release = join(markers.path, 'release');
    // Four tasks, one per CPU: they run through the restart; two end while the head is away.
    const early = [0, 1].map((i) => finishAfter.remote(markers.path, `early${i}`, release));
    const late = [0, 1].map((i) => finishAfter.remote(markers.path, `late${i}`, `${release}-late`));
    const pending = keeper.inc.remote(1); // queued behind nothing: done before the head dies, or after
    for (const label of ['early0', 'early1', 'late0', 'late1'])
      await markers.waitFor((m) => m === `${label}-started`);

    // A get pending across the restart.
    const waiting = get([...early, ...late]);
    await kill(cluster.head);
    writeFileSync(release, '');
    await markers.waitFor((m) => m === 'early0-done');
    await markers.waitFor((m) => m === 'early1-done');
    const restarted = await restartHead();
    for (const w of cluster.workers) await waitForOutput(w, /rejoined the restarted head/);
    await waitForOutput(restarted, /restart recovery over: 3 node\(s\) and driver\(s\) came back/);
    writeFileSync(`${release}-late`, '');

    const results = await waiting;
    for (const [i, r] of results.entries())
      expect(r).to.match(new RegExp(`^${i < 2 ? 'early' : 'late'}${i % 2} ran in \\d+$`));
    // Each ran once: the head did not run again what nodes reported running or done.
    expect(
      markers
        .list()
        .filter((m) => m.endsWith('-done'))
        .sort(),
    ).to.deep.equal(['early0-done', 'early1-done', 'late0-done', 'late1-done']);
    expect(markers.list().filter((m) => m.endsWith('-started'))).to.have.length(4);
    // The object directory was rebuilt from what the worker and the driver reported.
    expect(await get([sum.remote(made), sum.remote(data)])).to.deep.equal([3 * 2 ** 17, 2 * 2 ** 17]);
    expect(await get(pending)).to.equal(6);

    // The same nodes, under the same ids; the actor kept its state and its process.
    const after: NodeInfo[] = (await nodes()).filter(isWorker);
    expect(after.map((n) => n.nodeId).sort()).to.deep.equal(before);
    const again = await getActor<{ inc(k: number): number; pid(): number }>('keeper');
    expect(await get(again.inc.remote(10))).to.equal(16);
    expect(await get(again.pid.remote())).to.equal(actorPid);
    // The books are straight: every CPU is free once the work is done (the actor holds none).
    for (const n of after) expect(n.available.CPU, n.nodeId).to.equal(n.resources.CPU);
    expect(await get(pidOf.remote())).to.be.a('number');
    // A node of another cluster (another token) is refused by the restarted head, as ever.
    const other = await cluster.home.cli([
      'start',
      '--address',
      cluster.address,
      '--token',
      'another-clusters-token',
    ]);
    expect(other.code).to.equal(1);
    expect(other.stderr).to.contain('refused the cluster token');
  });

  it('a worker that died with the head: after the grace period its task runs on another node', async () => {
    await init({ address: cluster.address, token: cluster.token });
    const workers = (await nodes()).filter((n) => n.alive && !n.isDriver && n.resources.CPU === 2);
    const pids = await get(
      workers.map((n) => pidOf.options({ schedulingStrategy: { nodeId: n.nodeId } }).remote()),
    );
    const [lost, kept] = [0, 1].map((i) => ({
      nodeId: workers[i]!.nodeId,
      pid: pids[i]!,
      node: cluster.workers.find((w) => w.process.pid === pids[i])!,
    }));
    const release = join(markers.path, 'release');
    const ref = finishAfter
      .options({ schedulingStrategy: { nodeId: lost!.nodeId, soft: true } })
      .remote(markers.path, 'orphan', release);
    await markers.waitFor((m) => m === 'orphan-started');
    const waiting = get(ref);
    await kill(cluster.head);
    await kill(lost!.node);
    writeFileSync(release, '');
    const restarted = await restartHead(['--head-grace-s', '3']);
    const started = Date.now();
    const [summary] = await waitForOutput(
      restarted,
      /restart recovery over: 2 node\(s\) and driver\(s\) came back; not back within 3 s: (node-\w+)/,
    );
    expect(summary).to.contain(lost!.nodeId);
    expect(Date.now() - started, 'it waited for the missing node').to.be.at.least(2000);
    // Submitted again by the driver, placed once the grace period was over, on the node left.
    expect(await waiting).to.equal(`orphan ran in ${kept!.pid}`);
  });

  it('a task waiting in get for a child lends its CPUs again after the restart, so the child runs', async () => {
    await init({ address: cluster.address, token: cluster.token });
    const [a, b] = (await nodes()).filter((n) => n.alive && !n.isDriver && n.resources.CPU === 2);
    const release = join(markers.path, 'release');
    // The parent holds both CPUs of A; its child needs both and waits for an argument made on B.
    const ref = parent
      .options({ numCpus: 2, schedulingStrategy: { nodeId: a!.nodeId } })
      .remote(markers.path, release, b!.nodeId, a!.nodeId);
    await markers.waitFor((m) => m === 'parent-waits');
    await kill(cluster.head);
    const restarted = await restartHead();
    await waitForOutput(restarted, /restart recovery over: 3 node\(s\)/);
    writeFileSync(release, '');
    expect(await get(ref)).to.equal(42);
  });
});
