import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClusterNode, type ClusterNode } from '../src/cluster/start-node.js';
import { headStatePath, nodesToRecover } from '../src/cluster/head-state.js';
import { RejoinRefusedError, WireClient } from '../src/transport/wire-client.js';
import { AuthenticationError } from '../src/errors/errors.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a restarted head: who may rejoin', function () {
  this.timeout(30_000);
  const token = 'the-cluster-token';
  let home: string;
  let saved: string | undefined;
  let head: ClusterNode | undefined;
  const logs: string[] = [];

  beforeEach(() => {
    saved = process.env.DE2_HOME;
    home = mkdtempSync(join(tmpdir(), 'de2-home-'));
    process.env.DE2_HOME = home;
    logs.length = 0;
  });
  afterEach(async () => {
    await head?.shutdown();
    head = undefined;
    if (saved === undefined) delete process.env.DE2_HOME;
    else process.env.DE2_HOME = saved;
    rmSync(home, { recursive: true, force: true });
  });

  function startHead(port: number): Promise<ClusterNode> {
    return startClusterNode({
      role: 'head',
      port,
      host: '127.0.0.1',
      advertiseHost: '127.0.0.1',
      token,
      numCpus: 0,
      objectStoreMemory: 2 ** 24,
      memory: 0,
      resources: {},
      sessionDir: home,
      spillLimitBytes: 2 ** 24,
      logToDriver: false,
      log: (line) => logs.push(line),
      headGraceMs: 5_000,
    });
  }
  const hello = (address: string, nodeId: string, t = token) => ({
    address,
    token: t,
    role: 'node' as const,
    nodeId,
    de2Version: '0.1.0',
    rejoin: true,
  });

  it('takes back only the nodes its predecessor had, with the cluster token, within the grace period', async () => {
    const port = await freePort();
    const members = [{ nodeId: 'node-known', isDriver: false }];
    writeFileSync(headStatePath(port), JSON.stringify({ port, aliveAt: Date.now(), members }));
    head = await startHead(port);
    const address = `127.0.0.1:${port}`;

    // A node not in its tables (one it never had, or one declared dead) must join as a new node.
    const stranger = await WireClient.connect(hello(address, 'node-stranger')).catch((e: unknown) => e);
    expect(stranger).to.be.instanceOf(RejoinRefusedError);
    expect((stranger as Error).message).to.contain('join as a new node');
    expect(logs.join('\n')).to.contain(
      "refused rejoin of node node-stranger from 127.0.0.1: not in this head's tables",
    );
    // Another cluster's token is refused before anything else, known id or not.
    const wrong = await WireClient.connect(hello(address, 'node-known', 'another-clusters-token')).catch(
      (e: unknown) => e,
    );
    expect(wrong).to.be.instanceOf(AuthenticationError);
    // Its own node comes back.
    const known = await WireClient.connect(hello(address, 'node-known'));
    known.close();

    // The head records its members (not its own node) for the next restart, and a clean stop removes them.
    const state = JSON.parse(readFileSync(headStatePath(port), 'utf8')) as { members: unknown[] };
    expect(state.members).to.not.deep.include({ nodeId: head.nodeId, isDriver: false });
    await head.shutdown();
    head = undefined;
    expect(existsSync(headStatePath(port))).to.equal(false);
  });

  it('a head with no recent predecessor takes nobody back', async () => {
    const port = await freePort();
    const members = [{ nodeId: 'node-known', isDriver: false }];
    // Alive last a minute ago, with a 5 s grace period: too late for its nodes.
    writeFileSync(headStatePath(port), JSON.stringify({ port, aliveAt: Date.now() - 60_000, members }));
    expect(nodesToRecover(port, 5_000)).to.deep.equal([]);
    expect(nodesToRecover(port, 120_000)).to.deep.equal(members);
    head = await startHead(port);
    const error = await WireClient.connect(hello(`127.0.0.1:${port}`, 'node-known')).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RejoinRefusedError);
  });
});
