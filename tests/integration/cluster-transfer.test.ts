import { expect } from 'chai';
import { get, init, nodes, put, remote, shutdown } from '@de2/core';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';

describe('cluster: object transfer', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ workers: 2, headCpus: 0, workerCpus: 2 });
    await init({ address: cluster.address, token: cluster.token });
  });
  after(async () => {
    await shutdown();
    await cluster?.teardown();
  });

  it('moves a 100 MB put to each worker node once, not once per task', async () => {
    const n = (100 * 2 ** 20) / 8;
    const data = put(new Float64Array(n).fill(1));
    const size = n * 8;
    const sumAndPid = remote((a: Float64Array) => {
      let s = 0;
      for (let i = 0; i < a.length; i += 4096) s += a[i]!;
      return { s, pid: process.pid };
    });
    const results = await get(Array.from({ length: 20 }, () => sumAndPid.remote(data)));
    expect(results.every((r) => r.s === Math.ceil(n / 4096))).to.equal(true);
    const pids = new Set(results.map((r) => r.pid));
    expect(pids.size, 'both worker nodes ran tasks').to.equal(2);
    const workers = (await nodes()).filter(
      (node) => node.alive && !node.isDriver && (node.resources.CPU ?? 0) > 0,
    );
    const pulled = workers.reduce((total, node) => total + node.bytesPulled, 0);
    // Each node pulled the array once: 2 x 100 MB (plus small task arguments), not 20 x.
    expect(pulled).to.be.at.least(2 * size);
    expect(pulled).to.be.below(2.2 * size);
  });

  it('hands small results to the driver with the ready message; large ones are pulled', async () => {
    const driverPulled = async () => (await nodes()).find((node) => node.isDriver && node.alive)!.bytesPulled;
    const before = await driverPulled();
    const small = remote((i: number) => `${i}:${'x'.repeat(1000)}`);
    const echo = remote((s: string) => s);
    const refs = Array.from({ length: 50 }, (_, i) => small.remote(i));
    expect((await get(refs)).map((s) => s.split(':')[0])).to.deep.equal(refs.map((_, i) => String(i)));
    // Ready on the head before the driver asks for it: the head kept the value for it.
    const first = small.remote(99);
    await get(echo.remote(first));
    expect(await get(first)).to.match(/^99:x{1000}$/);
    expect(await driverPulled(), 'no small result was pulled').to.equal(before);

    const large = remote(() => new Float64Array(2 ** 17).fill(2));
    expect((await get(large.remote()))[2 ** 17 - 1]).to.equal(2);
    expect(await driverPulled(), 'a 1 MB result is pulled').to.be.at.least(before + 2 ** 20);
  });

  it('passes a 96 MB typed array straight to a task (sent in pieces, over the 64 MiB message cap)', async () => {
    const big = new Float64Array(12 * 2 ** 20).fill(0.5);
    big[big.length - 1] = 1.5;
    const sum = remote((a: Float64Array) => a.reduce((s, v) => s + v, 0));
    expect(await get(sum.remote(big))).to.equal(0.5 * (big.length - 1) + 1.5);
  });
});
