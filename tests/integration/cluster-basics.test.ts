import { expect } from 'chai';
import { AuthenticationError, get, init, nodes, put, remote, shutdown } from '@de2/core';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';

describe('cluster: a driver on a head + 2 worker nodes (real processes)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;

  before(async () => {
    cluster = await startTestCluster({ workers: 2, headCpus: 0, workerCpus: 1 });
    await init({ address: cluster.address, token: cluster.token });
  });
  after(async () => {
    await shutdown();
    await cluster?.teardown();
  });

  it('runs tasks on the worker nodes and returns every result in order', async () => {
    const square = remote((x: number) => x * x);
    const results = await get(Array.from({ length: 50 }, (_, i) => square.remote(i)));
    expect(results).to.deep.equal(Array.from({ length: 50 }, (_, i) => i * i));
    const pid = remote(() => process.pid);
    const pids = new Set(await get(Array.from({ length: 20 }, () => pid.remote())));
    expect(pids.has(process.pid)).to.equal(false);
    const workerPids = new Set(cluster.workers.map((w) => w.process.pid));
    for (const p of pids) expect(workerPids.has(p)).to.equal(true);
  });

  it("prints tasks' console output on the driver, prefixed with the worker and node", async () => {
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      writes.push(String(chunk));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const hello = remote(
        (x: number) => {
          console.log(`hello from task ${x}`);
          return x;
        },
        { name: 'greeter' },
      );
      await get(hello.remote(3));
      // Output travels node -> head -> driver beside the result: wait for the line itself.
      for (let i = 0; i < 100 && !writes.join('').includes('hello from task 3'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      process.stdout.write = original;
    }
    expect(writes.join('')).to.match(
      /\((greeter )?worker \d+, node-\w+ 127\.0\.0\.1:\d+\) hello from task 3/,
    );
  });

  it('lists the nodes with their resources', async () => {
    const list = await nodes();
    const alive = list.filter((n) => n.alive);
    expect(alive.length).to.be.at.least(3); // head, 2 workers (and this driver's own node)
    const cpus = alive.map((n) => n.resources.CPU ?? 0).sort();
    expect(cpus.filter((c) => c === 1)).to.have.length(2);
  });

  it('ships a put typed array from the driver to the nodes that need it', async () => {
    const data = put(new Float64Array(1_000_000).fill(3));
    const sum = remote((a: Float64Array) => a.reduce((s, v) => s + v, 0));
    expect(await get(Array.from({ length: 6 }, () => sum.remote(data)))).to.deep.equal(
      Array(6).fill(3_000_000),
    );
  });

  it('sends a burst of tasks that each carry their own typed array (many payloads in one batch)', async () => {
    const total = remote((a: Float64Array) => a.reduce((s, v) => s + v, 0));
    const refs = Array.from({ length: 100 }, (_, i) => total.remote(new Float64Array(20_000).fill(i)));
    expect(await get(refs)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i * 20_000));
  });

  it('keeps actor state across processes, calls in order', async () => {
    const Counter = remote(
      class {
        n = 0;
        inc(k: number) {
          return (this.n += k);
        }
      },
    );
    const c = Counter.remote();
    const refs = [1, 2, 3, 4].map((k) => c.inc.remote(k));
    expect(await get(refs)).to.deep.equal([1, 3, 6, 10]);
  });
});

describe("cluster: init({ address: 'auto' })", function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  const saved = { address: process.env.DE2_ADDRESS, token: process.env.DE2_TOKEN };
  before(async () => {
    cluster = await startTestCluster({ workers: 0 });
  });
  after(async () => {
    process.env.DE2_ADDRESS = saved.address ?? '';
    process.env.DE2_TOKEN = saved.token ?? '';
    await shutdown();
    await cluster?.teardown();
  });

  it('finds the cluster through DE2_ADDRESS and the token through DE2_TOKEN', async () => {
    process.env.DE2_ADDRESS = cluster.address;
    process.env.DE2_TOKEN = cluster.token;
    await init({ address: 'auto' });
    const double = remote((x: number) => 2 * x);
    expect(await get(double.remote(21))).to.equal(42);
  });
});

describe('cluster: joining with a wrong token', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ workers: 0 });
  });
  after(() => cluster?.teardown());

  it('init() rejects with AuthenticationError and the head logs the refusal', async () => {
    const error = await init({ address: cluster.address, token: 'wrong' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AuthenticationError);
    expect((error as AuthenticationError).code).to.equal('AUTHENTICATION');
    await shutdown();
  });
});
