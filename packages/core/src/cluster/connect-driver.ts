import { threadId } from 'node:worker_threads';
import { CoreClient } from '../client/client.js';
import { createDirectPair } from '../protocol/channel.js';
import type { ClientToNode, NodeToClient } from '../protocol/messages.js';
import { liveSessions } from '../home/session-dirs.js';
import { findToken } from '../transport/token.js';
import { tokenPath } from '../home/paths.js';
import { AuthenticationError, De2Error } from '../errors/errors.js';
import { ErrorCode } from '../errors/codes.js';
import { startClusterNode } from './start-node.js';
import { headGraceMs } from './head-state.js';
import { isHostPort, localAddressTowards, splitAddress } from '../transport/local-address.js';
import type { EmbeddedCluster } from '../embedded/embedded-cluster.js';

/**
 * Resolves `init({ address })`: 'auto' means DE2_ADDRESS, else the cluster of the head or
 * node this machine runs (from its session folder).
 */
export function resolveAddress(address: string): string {
  if (address !== 'auto') return address;
  if (process.env.DE2_ADDRESS) return process.env.DE2_ADDRESS;
  const session = liveSessions()[0];
  if (session) return session.record.clusterAddress;
  throw new De2Error(
    ErrorCode.NODE_DIED,
    "init({ address: 'auto' }): no cluster found: set DE2_ADDRESS=HOST:PORT, or start one on this machine " +
      'with `npx de2-node start --head`',
  );
}

export interface DriverConnectOptions {
  address: string;
  token?: string;
  objectStoreMemory: number;
  sessionDir: string;
  spillLimitBytes: number;
  logToDriver: boolean;
}

/**
 * Joins a running cluster as a driver: a node of its own with no CPUs (its `put`s live in
 * its object store and other nodes pull them from here) plus the driver's client.
 */
export async function connectDriver(o: DriverConnectOptions): Promise<EmbeddedCluster> {
  const address = resolveAddress(o.address);
  if (!isHostPort(address)) {
    throw new TypeError(
      `options.address must be HOST:PORT (such as 10.0.0.5:6379) or 'auto', got '${address}'`,
    );
  }
  const token = findToken(o.token);
  if (token === undefined) {
    throw new AuthenticationError(
      `init({ address: '${o.address}' }): no cluster token: pass init({ token }), set DE2_TOKEN, or put it in ${tokenPath()}`,
    );
  }
  const head = splitAddress(address);
  const cluster = await startClusterNode({
    role: 'driver',
    headAddress: address,
    // Other nodes pull this driver's `put` objects from the interface that faces the head.
    advertiseHost: await localAddressTowards(head.host, head.port),
    token,
    numCpus: 0,
    objectStoreMemory: o.objectStoreMemory,
    memory: 0,
    resources: {},
    sessionDir: o.sessionDir,
    spillLimitBytes: o.spillLimitBytes,
    logToDriver: o.logToDriver,
    log: () => {},
    // A driver waits this long for a head that restarts before its gets fail with NodeDiedError.
    ...(headGraceMs(undefined) === undefined ? {} : { headGraceMs: headGraceMs(undefined)! }),
  });
  const [clientEnd, nodeSide] = createDirectPair<ClientToNode, NodeToClient>();
  cluster.node.connectClient(nodeSide);
  const client = new CoreClient(clientEnd, { isDriver: true, threadId, inProcessNode: true });
  return {
    nodeId: cluster.nodeId,
    client,
    async shutdown() {
      client.close();
      await cluster.shutdown();
    },
  };
}
