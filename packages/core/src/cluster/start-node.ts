import { randomBytes } from 'node:crypto';
import { Head } from '../head/head.js';
import { NodeRuntime } from '../node/node-runtime.js';
import { heapGrowingPercent } from '../node/heap-growth.js';
import { nodeRuntimeOptions, type NodeSettings } from '../node/node-options.js';
import { createDirectPair, type Channel } from '../protocol/channel.js';
import type { HeadToNode, NodeToHead } from '../protocol/messages.js';
import { ObjectPuller, ObjectServer } from '../transport/object-transfer.js';
import { headToNodeChannel, nodeToHeadChannel } from '../transport/socket-channel.js';
import { RejoinRefusedError, WireClient } from '../transport/wire-client.js';
import { NodeDiedError } from '../errors/errors.js';
import { HeadStateWriter, nodesToRecover } from './head-state.js';
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
  /**
   * How long a node or driver keeps its tasks, actors, objects and pending requests while
   * its head is gone, trying to rejoin it under the same id (a restarted head); and how
   * long a restarted head waits for them. 0: give up at once. @default 60000
   */
  headGraceMs?: number;
  /**
   * Head only: how long a node or driver may stay silent before the head counts it as gone
   * (socket.io pings: a fifth of it between pings, the rest to answer). @default 10000
   */
  heartbeatTimeoutMs?: number;
  /** Head only: most bytes of finished tasks' specs kept as lineage (Ray's max_lineage_bytes). @default 1 GiB */
  maxLineageBytes?: number;
}

/** Ray's gcs_rpc_server_reconnect_timeout_s. */
export const DEFAULT_HEAD_GRACE_MS = 60_000;

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
  heapGrowingPercent(); // a bad DE2_HEAP_GROWING_PERCENT fails here, before the head or node starts
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
  let giveUp: () => void = () => {};
  let dashboard: DashboardServer | undefined;
  const graceMs = o.headGraceMs ?? DEFAULT_HEAD_GRACE_MS;
  let stateWriter: HeadStateWriter | undefined;
  if (o.role === 'head') {
    const recover = nodesToRecover(o.port ?? 6379, graceMs);
    const h = new Head({
      infeasibleTimeoutMs: o.infeasibleTimeoutMs ?? 60_000,
      log: o.log,
      ...(recover.length > 0 ? { recovery: { members: recover, graceMs } } : {}),
      onMembersChanged: () => stateWriter?.changed(),
      ...(o.maxLineageBytes === undefined ? {} : { maxLineageBytes: o.maxLineageBytes }),
    });
    if (recover.length > 0)
      o.log(
        `restarting the head of ${recover.length} node(s) and driver(s); they may rejoin for ${graceMs / 1000} s`,
      );
    head = h;
    const [nodeEnd, headEnd] = createDirectPair<NodeToHead, HeadToNode>();
    h.connect(headEnd);
    headChannel = nodeEnd;
    wireServer = new WireServer({
      token: o.token,
      host: o.host ?? '0.0.0.0',
      port: o.port ?? 6379,
      log: o.log,
      ...(o.heartbeatTimeoutMs
        ? { pingIntervalMs: o.heartbeatTimeoutMs / 5, pingTimeoutMs: (o.heartbeatTimeoutMs * 4) / 5 }
        : {}),
      mayRejoin: (id) => h.mayRejoin(id),
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
    // The head's own node is not a member: a restarted head has a new one.
    stateWriter = new HeadStateWriter(port, () => h.members().filter((m) => m.nodeId !== nodeId));
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
    const c = await connectToHead(false).catch(async (error: unknown) => {
      await objectServer.close(); // nothing may keep a node that could not join alive
      throw error;
    });
    client = c;
    headChannel = nodeToHeadChannel(c, o.log);
    headLost = new Promise((resolve) => (giveUp = resolve));
  }

  function connectToHead(rejoin: boolean): Promise<WireClient> {
    return WireClient.connect({
      address: o.headAddress!,
      token: o.token,
      role: o.role === 'driver' ? 'driver' : 'node',
      nodeId,
      de2Version: DE2_VERSION,
      rejoin,
    });
  }

  const runtime = new NodeRuntime(
    nodeRuntimeOptions(nodeId, objectAddress, o, {
      pullRemote: (address, id) => puller.pull(address, id),
      // The head's own node ends with it: it never rejoins a restarted head.
      headInProcess: o.role === 'head',
    }),
    headChannel,
  );
  holder.node = runtime;
  let shuttingDown = false;
  if (o.role !== 'head') {
    const lost = (why: string) => {
      if (shuttingDown) return;
      runtime.headLost(
        `lost the connection to the de2 head at ${headAddress}${why}: the head stopped or cannot be reached ` +
          '(see `npx de2-node status`); restart it, or init() again once it is back',
      );
      giveUp();
    };
    /**
     * The head is gone. For its grace period this node keeps everything and tries to come
     * back under its id (the head restarts); if the head refuses it (it declared this node
     * dead meanwhile, or restarted without it) or time runs out, it gives up: everything
     * waiting on the head fails with NodeDiedError, and a worker process starts over as a
     * new node.
     */
    const comeBack = async (): Promise<void> => {
      if (shuttingDown) return;
      if (graceMs <= 0) return lost('');
      runtime.headAway();
      o.log(
        `lost the head at ${headAddress}; keeping this node's work for ${graceMs / 1000} s while it comes back`,
      );
      const deadline = Date.now() + graceMs;
      for (let delay = 100; !shuttingDown; delay = Math.min(delay * 2, 1000)) {
        try {
          const c = await connectToHead(true);
          if (shuttingDown) return c.close();
          client = c;
          headChannel = nodeToHeadChannel(c, o.log);
          headChannel.onClose(() => void comeBack());
          runtime.rejoin(headChannel);
          o.log(`rejoined the restarted head at ${headAddress} as ${nodeId}, with ${runtime.describeWork()}`);
          return;
        } catch (error) {
          if (error instanceof RejoinRefusedError) {
            o.log(
              `the head at ${headAddress} does not take ${nodeId} back (${error.message}); dropping ${runtime.describeWork()}: nothing of it reaches a driver`,
            );
            return lost(' (it does not know this node any more)');
          }
          if (!(error instanceof NodeDiedError)) return lost(` (${(error as Error).message})`);
        }
        if (Date.now() + delay > deadline) return lost(` for more than ${graceMs / 1000} s`);
        // A head that is not up yet sends no event to wait for: back off between attempts.
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    };
    headChannel.onClose(() => void comeBack());
  }

  // Started means the head has read this node's registerNode: it answers a node's messages in
  // order, so a reply to a request sent after it proves it (a `status` right after lists it).
  await runtime.ask({ type: 'clusterInfo', reqId: 0, nodeId });

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
      shuttingDown = true;
      stateWriter?.stop();
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
