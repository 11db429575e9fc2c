import { randomBytes } from 'node:crypto';
import { Head } from '../head/head.js';
import { NodeRuntime } from '../node/node-runtime.js';
import { nodeRuntimeOptions, type NodeSettings } from '../node/node-options.js';
import { createDirectPair, type Channel } from '../protocol/channel.js';
import type { HeadToNode, NodeToHead } from '../protocol/messages.js';
import { ObjectPuller, ObjectServer } from '../transport/object-transfer.js';
import { headToNodeChannel, nodeToHeadChannel } from '../transport/socket-channel.js';
import { WireClient } from '../transport/wire-client.js';
import { WireServer } from '../transport/wire-server.js';
import { DE2_VERSION } from '../version.js';
import { join } from 'node:path';
import { startDashboard, type DashboardSettings } from '../dashboard/start-dashboard.js';
import type { DashboardServer } from '../dashboard/server.js';

/** Everything a node process (head, worker, or a driver's own node) is started with. */
export interface ClusterNodeOptions extends NodeSettings {
  role: 'head' | 'worker' | 'driver';
  /** HOST:PORT of the head (worker and driver). */
  headAddress?: string;
  /** Where the head listens (head only); 0 picks a free port. */
  port?: number;
  /** Port of this node's object server, which other nodes pull from. @default 0 (any free port) */
  objectPort?: number;
  /** Interface to listen on. @default '0.0.0.0' */
  host?: string;
  /** Host other machines reach this one at (object transfer and the printed join line). */
  advertiseHost: string;
  token: string;
  numCpus: number;
  objectStoreMemory: number;
  memory: number;
  resources: Record<string, number>;
  sessionDir: string;
  spillLimitBytes: number;
  logToDriver: boolean;
  log: (line: string) => void;
  /** Head only: how long a task no node can fit waits for one to join. @default 60000 */
  infeasibleTimeoutMs?: number;
  /** Head only: serve the dashboard (undefined: no dashboard). */
  dashboard?: DashboardSettings;
}

/** A running node with its connections. */
export interface ClusterNode {
  nodeId: string;
  node: NodeRuntime;
  /** HOST:PORT of the head (for the head: its own listening address). */
  headAddress: string;
  /** Object-transfer address of this node. */
  objectAddress: string;
  head?: Head;
  /** The head's dashboard URL, when it serves one. */
  dashboardUrl?: string;
  puller: ObjectPuller;
  objectServer: ObjectServer;
  /** Resolves when the connection to the head is lost (never for the head itself). */
  headLost: Promise<void>;
  shutdown(): Promise<void>;
}

/** Starts a node of a multi-process cluster: the head, a worker node, or a driver's own node. */
export async function startClusterNode(o: ClusterNodeOptions): Promise<ClusterNode> {
  const nodeId = `${o.role === 'driver' ? 'driver' : 'node'}-${randomBytes(4).toString('hex')}`;
  // The object server starts first (its address goes into registerNode); it reads the store once the node exists.
  const holder: { node?: NodeRuntime } = {};
  const objectServer = new ObjectServer({
    token: o.token,
    host: o.host ?? '0.0.0.0',
    port: o.objectPort ?? 0,
    log: o.log,
    read: (id) => holder.node?.store.read(id),
  });
  const objectAddress = `${o.advertiseHost}:${await objectServer.listen()}`;
  const puller = new ObjectPuller({ token: o.token, nodeId, de2Version: DE2_VERSION, log: o.log });

  let head: Head | undefined;
  let headChannel: Channel<NodeToHead, HeadToNode>;
  let headAddress: string;
  let wireServer: WireServer | undefined;
  let client: WireClient | undefined;
  let headLost: Promise<void>;
  let dashboard: DashboardServer | undefined;
  if (o.role === 'head') {
    const h = new Head({ infeasibleTimeoutMs: o.infeasibleTimeoutMs ?? 60_000, log: o.log });
    head = h;
    const [nodeEnd, headEnd] = createDirectPair<NodeToHead, HeadToNode>();
    h.connect(headEnd);
    headChannel = nodeEnd;
    wireServer = new WireServer({
      token: o.token,
      host: o.host ?? '0.0.0.0',
      port: o.port ?? 6379,
      log: o.log,
      onPeer: (peer) => {
        const channel = headToNodeChannel(
          peer,
          o.log,
          `${peer.hello.role} ${peer.hello.nodeId} at ${peer.address}`,
        );
        o.log(`${peer.hello.role} ${peer.hello.nodeId} connected from ${peer.address}`);
        channel.onClose(() => {
          o.log(`${peer.hello.role} ${peer.hello.nodeId} disconnected`);
          h.nodeLost(peer.hello.nodeId);
        });
        h.connect(channel, {
          runsTasks: peer.hello.role !== 'driver',
          nodeId: peer.hello.nodeId,
          peer: `${peer.hello.role} ${peer.hello.nodeId} at ${peer.address}`,
        });
      },
    });
    const port = await wireServer.listen().catch(async (error: unknown) => {
      await objectServer.close(); // e.g. the port is taken: leave nothing listening
      throw error;
    });
    headAddress = `${o.advertiseHost}:${port}`;
    headLost = new Promise(() => {});
    if (o.dashboard) {
      dashboard = await startDashboard(h, o.dashboard, {
        token: o.token,
        advertiseHost: o.advertiseHost,
        headNodeId: nodeId,
        headLogFile: join(o.sessionDir, 'logs', 'node.log'),
        log: o.log,
      });
    }
  } else {
    headAddress = o.headAddress!;
    const c = await WireClient.connect({
      address: headAddress,
      token: o.token,
      role: o.role === 'driver' ? 'driver' : 'node',
      nodeId,
      de2Version: DE2_VERSION,
    }).catch(async (error: unknown) => {
      await objectServer.close(); // nothing may keep a node that could not join alive
      throw error;
    });
    client = c;
    headChannel = nodeToHeadChannel(c, o.log);
    headLost = new Promise((resolve) => headChannel.onClose(resolve));
  }

  const runtime = new NodeRuntime(
    nodeRuntimeOptions(nodeId, objectAddress, o, { pullRemote: (address, id) => puller.pull(address, id) }),
    headChannel,
  );
  holder.node = runtime;
  if (o.role !== 'head') {
    headChannel.onClose(() =>
      runtime.headLost(
        `lost the connection to the de2 head at ${headAddress}: the head stopped or cannot be reached ` +
          '(see `npx de2-node status`); restart it, or init() again once it is back',
      ),
    );
  }

  return {
    nodeId,
    node: runtime,
    headAddress,
    objectAddress,
    ...(head ? { head } : {}),
    ...(dashboard ? { dashboardUrl: dashboard.url } : {}),
    puller,
    objectServer,
    headLost,
    async shutdown() {
      await runtime.shutdown();
      puller.close();
      client?.close();
      headChannel.close();
      await dashboard?.close();
      await wireServer?.close();
      await objectServer.close();
    },
  };
}
