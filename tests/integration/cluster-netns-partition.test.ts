import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { get, init, nodes, shutdown } from '@de2/core';
import { createNetns, netnsUnavailable, type Netns } from '../helpers/netns.js';
import { startTestCluster, type TestCluster, type TestNode } from '../helpers/test-cluster.js';
import { MarkerDir } from '../helpers/markers.js';
import { pidOf, work } from '../helpers/cluster-tasks.js';
import { pollNodes, waitForOutput } from '../helpers/node-output.js';

/** The head drops a node silent this long (DE2_HEARTBEAT_TIMEOUT_MS; 10 s by default). */
const HEARTBEAT_MS = 4000;

function iptablesUnavailable(): string | undefined {
  const probe = spawnSync('iptables', ['--version'], { encoding: 'utf8' });
  return probe.error ? `iptables is missing (${probe.error.message}): apt-get install iptables` : undefined;
}

/** A worker in namespace `ns`, with the id and pid the cluster knows it by. */
interface Worker {
  node: TestNode;
  nodeId: string;
  pid: number;
  ns: string;
}

// A worker cut off by a firewall in its own namespace (both ways, or only what comes in), for
// less than the heartbeat timeout and for longer. Ray's semantics: a short cut is invisible
// (TCP retransmits); after a long one the node is dead, its tasks run elsewhere, and it comes
// back as a new node whose old results nobody receives.
describe('cluster: a worker cut off from the network (iptables in its namespace)', function () {
  this.timeout(180_000);
  let netns: Netns | undefined;
  let cluster: TestCluster | undefined;
  let markers: MarkerDir;
  let victim: Worker;
  let survivor: Worker;

  before(async function () {
    const why = netnsUnavailable() ?? iptablesUnavailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    markers = new MarkerDir();
    netns = createNetns({ count: 3 });
    try {
      cluster = await startTestCluster({
        workers: 2,
        headCpus: 0,
        workerCpus: 1,
        netns,
        headEnv: { DE2_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_MS) },
      });
      await init({ address: cluster.address, token: cluster.token });
      const workers = (await nodes()).filter((n) => n.alive && !n.isDriver && n.resources.CPU === 1);
      const pids = await get(
        workers.map((n) => pidOf.options({ schedulingStrategy: { nodeId: n.nodeId } }).remote()),
      );
      const [v, s] = workers.map((n, i) => {
        const index = cluster!.workers.findIndex((w) => w.output().includes(n.nodeId));
        return {
          nodeId: n.nodeId,
          pid: pids[i]!,
          node: cluster!.workers[index]!,
          ns: netns!.names[index + 1]!,
        };
      });
      victim = v!;
      survivor = s!;
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
    markers?.remove();
  });

  function firewall(ns: string, ...rule: string[]): void {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'iptables', ...rule], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`iptables ${rule.join(' ')} in ${ns}: ${r.stderr}`);
  }
  const cut = (ns: string, ways: 'both' | 'in') => {
    firewall(ns, '-A', 'INPUT', '-i', 'eth0', '-j', 'DROP');
    if (ways === 'both') firewall(ns, '-A', 'OUTPUT', '-o', 'eth0', '-j', 'DROP');
  };
  const heal = (ns: string) => firewall(ns, '-F');

  for (const ways of ['both', 'in'] as const) {
    it(`a short cut (${ways === 'both' ? 'both ways' : 'one way: nothing comes in'}, 1 s < the heartbeat timeout) loses nothing and runs nothing twice`, async () => {
      const onVictim = work.options({ schedulingStrategy: { nodeId: victim.nodeId } });
      const onSurvivor = work.options({ schedulingStrategy: { nodeId: survivor.nodeId } });
      const refs = [
        onVictim.remote(markers.path, `${ways}-v`, 1500),
        onSurvivor.remote(markers.path, `${ways}-s`, 100),
      ];
      await markers.waitFor((m) => m.startsWith(`${victim.pid}-${ways}-v-`));
      cut(victim.ns, ways);
      // The cut's length is the fault itself, not a wait for something to happen.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      heal(victim.ns);
      const results = await get(refs);
      expect(results).to.deep.equal([
        { label: `${ways}-v`, pid: victim.pid },
        { label: `${ways}-s`, pid: survivor.pid },
      ]);
      // Each ran exactly once, and the victim is the same node still.
      for (const label of [`${ways}-v`, `${ways}-s`])
        expect(
          markers.list().filter((m) => m.includes(`-${label}-`)),
          label,
        ).to.have.length(1);
      const table = await nodes();
      expect(table.find((n) => n.nodeId === victim.nodeId)?.alive).to.equal(true);
    });
  }

  for (const ways of ['both', 'in'] as const) {
    it(`a long cut (${ways === 'both' ? 'both ways' : 'one way'}): the node is declared dead, its task runs elsewhere, and it rejoins as a new node whose late result is dropped`, async () => {
      const ref = work
        .options({ schedulingStrategy: { nodeId: victim.nodeId, soft: true } })
        .remote(markers.path, `long-${ways}`, 1500);
      await markers.waitFor((m) => m.startsWith(`${victim.pid}-long-${ways}-`));
      const printed = victim.node.output().length;
      cut(victim.ns, ways);
      const cutAt = Date.now();
      await pollNodes((t) => t.some((n) => n.nodeId === victim.nodeId && !n.alive), HEARTBEAT_MS + 20_000);
      console.log(`      (head declared the cut-off node dead after ${Date.now() - cutAt} ms)`);
      // Retried on the survivor; the victim finished its own run during the cut, unheard.
      const result = await get(ref);
      expect(result).to.deep.equal({ label: `long-${ways}`, pid: survivor.pid });
      expect(
        markers
          .list()
          .filter((m) => m.includes(`-long-${ways}-`))
          .map((m) => Number(m.split('-')[0]))
          .sort(),
      ).to.deep.equal([victim.pid, survivor.pid].sort());
      heal(victim.ns);
      await waitForOutput(
        victim.node,
        /does not take node-\w+ back .*dropping \d+ task\(s\)/,
        60_000,
        printed,
      );
      const [, rejoinedAs] = await waitForOutput(
        victim.node,
        /rejoined the head at \S+ as (node-\w+)/,
        60_000,
        printed,
      );
      expect(rejoinedAs, 'a new node').to.not.equal(victim.nodeId);
      // The driver's value did not change, and the cluster (the new node included) serves.
      expect(await get(ref)).to.deep.equal(result);
      expect(await get(pidOf.options({ schedulingStrategy: { nodeId: rejoinedAs! } }).remote())).to.equal(
        victim.pid,
      );
      const table = await nodes();
      expect(table.find((n) => n.nodeId === victim.nodeId)?.alive, 'the old id stays dead').to.equal(false);
      victim = { ...victim, nodeId: rejoinedAs! };
    });
  }
});
