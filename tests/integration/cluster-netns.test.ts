import { expect } from 'chai';
import { get, init, nodes, put, remote, shutdown } from '@de2/core';
import { createNetns, netnsUnavailable, type Netns } from '../helpers/netns.js';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';

// Each node in a network namespace of its own, on an address of its own (10.213.X.0/24, made
// here and removed at the end), behind a link shaped like VMs of one cloud region: the
// control path and object transfer cross a real interface instead of loopback.
describe('cluster: nodes on addresses of their own (network namespaces)', function () {
  this.timeout(120_000);
  let netns: Netns | undefined;
  let cluster: TestCluster | undefined;

  before(async function () {
    const why = netnsUnavailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    netns = createNetns({ count: 2, netem: { rate: '1gbit', delay: '0.5ms' } });
    console.log(`      links shaped: ${netns.shaping}`);
    try {
      cluster = await startTestCluster({ workers: 1, headCpus: 1, workerCpus: 1, netns });
      await init({ address: cluster.address, token: cluster.token });
    } catch (error) {
      await cluster?.teardown();
      netns.cleanup();
      throw error;
    }
  });
  after(async () => {
    await shutdown().catch(() => {});
    await cluster?.teardown();
    netns?.cleanup();
  });

  it('runs tasks on both nodes, each at its own address, and moves a put to the node that needs it', async () => {
    const ns = netns!;
    const list = (await nodes()).filter((n) => n.alive && !n.isDriver);
    expect(list.map((n) => n.address.split(':')[0]).sort()).to.deep.equal([...ns.addresses].sort());
    // The driver (outside every namespace) is reached at the bridge's address.
    const driver = (await nodes()).find((n) => n.isDriver && n.alive)!;
    expect(driver.address.split(':')[0]).to.equal(ns.bridgeAddress);

    const n = (8 * 2 ** 20) / 8;
    const data = put(new Float64Array(n).fill(1));
    const sumOn = (nodeId: string) =>
      remote((a: Float64Array) => a.reduce((s, v) => s + v, 0)).options({ schedulingStrategy: { nodeId } });
    const sums = await get(list.map((node) => sumOn(node.nodeId).remote(data)));
    expect(sums).to.deep.equal([n, n]);
    const after = (await nodes()).filter((x) => x.alive && !x.isDriver);
    // Each node pulled the 8 MB from the driver's node, across the bridge.
    for (const node of after) expect(node.bytesPulled, node.address).to.be.at.least(n * 8);
  });
});
