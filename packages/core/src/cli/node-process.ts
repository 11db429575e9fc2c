import { defaultNodeMemory, defaultObjectStoreMemory } from '../node/memory-monitor.js';
import { availableParallelism } from 'node:os';
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { StartOptions } from './args.js';
import {
  advertisedHost,
  headStartedText,
  workerStartedText,
  type ReadyMessage,
  type FailedMessage,
  TOKEN_ENV,
} from './start.js';
import { createSessionDir, endSession, writeSession, type SessionRecord } from '../home/session-dirs.js';
import { argvWithoutToken, createToken, findToken, readTokenFile, saveToken } from '../transport/token.js';
import { AuthenticationError, NodeDiedError } from '../errors/errors.js';
import { tokenPath } from '../home/paths.js';
import { startClusterNode, type ClusterNode } from '../cluster/start-node.js';
import { headGraceMs } from '../cluster/head-state.js';
import { localAddressTowards, splitAddress } from '../transport/local-address.js';

export { DE2_VERSION } from '../version.js';

function log(line: string): void {
  console.log(`${new Date().toISOString()} ${line}`);
}

function report(message: ReadyMessage | FailedMessage): void {
  if (process.send) process.send(message);
}

function freeDiskBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

/** How long a new worker keeps trying to reach its head before it gives up. */
const FIRST_JOIN_WINDOW_MS = 30_000;

/** How long a worker keeps trying to reach a head that went away before it gives up. */
const REJOIN_WINDOW_MS = 10 * 60_000;

/**
 * The body of a `de2-node start ... --block` process: serves until SIGTERM/SIGINT.
 * A worker whose head goes away keeps trying to rejoin a head on the same address.
 * Resolves with the exit code once the node has stopped.
 */
export async function runNodeProcess(options: StartOptions): Promise<number> {
  const role = options.head ? 'head' : 'worker';
  const sessionDir = process.env.DE2_SESSION_DIR ?? createSessionDir(role);
  const logFile = join(sessionDir, 'logs', 'node.log');
  const numCpus = options.numCpus ?? availableParallelism();
  const objectStoreMemory = options.objectStoreMemory ?? defaultObjectStoreMemory();
  // Others reach a worker at the interface that faces the head; a head at its --host or first address.
  const headHost = options.address === undefined ? undefined : splitAddress(options.address);
  const advertiseHost =
    options.host !== '0.0.0.0' || headHost === undefined
      ? advertisedHost(options.host)
      : await localAddressTowards(headHost.host, headHost.port).catch(() => advertisedHost(options.host));
  let token: string;
  let tokenFile: string | undefined;
  const start = (): Promise<ClusterNode> =>
    startClusterNode({
      role,
      ...(options.address === undefined ? {} : { headAddress: options.address }),
      port: options.port,
      objectPort: options.objectPort,
      host: options.host,
      advertiseHost,
      token,
      numCpus,
      objectStoreMemory,
      memory: options.memory ?? defaultNodeMemory(objectStoreMemory),
      resources: options.resources,
      sessionDir,
      spillLimitBytes: freeDiskBytes(sessionDir),
      logToDriver: false,
      log,
      ...(options.head && options.dashboard ? { dashboard: options.dashboard } : {}),
      ...(options.maxLineageBytes === undefined ? {} : { maxLineageBytes: options.maxLineageBytes }),
      ...(headGraceMs(options.headGraceS) === undefined
        ? {}
        : { headGraceMs: headGraceMs(options.headGraceS)! }),
      // Tests and flaky networks: how long a silent node has before the head drops it (ms).
      ...(Number(process.env.DE2_HEARTBEAT_TIMEOUT_MS) > 0
        ? { heartbeatTimeoutMs: Number(process.env.DE2_HEARTBEAT_TIMEOUT_MS) }
        : {}),
      ...(process.env.DE2_INFEASIBLE_TIMEOUT_MS
        ? { infeasibleTimeoutMs: Number(process.env.DE2_INFEASIBLE_TIMEOUT_MS) }
        : {}),
    });

  // The token is the cluster's password and `ps` shows every process's arguments to every
  // user: a node given --token hides it from its command line for as long as it runs.
  if (options.token) process.title = argvWithoutToken(process.argv).join(' ');
  // `start` in the background passes a --token through the environment instead.
  const flagToken = options.token ?? process.env[TOKEN_ENV];
  delete process.env[TOKEN_ENV];
  let node: ClusterNode;
  try {
    const given = options.tokenFile === undefined ? flagToken : readTokenFile(options.tokenFile);
    if (options.head) {
      // A restarted head keeps its cluster's token (~/.de2/token), so that its nodes and
      // drivers can come back to it; a fresh one only when asked for (or when there is none).
      token = (options.newToken ? undefined : findToken(given)) ?? createToken();
      tokenFile = saveToken(token);
    } else {
      const found = findToken(given);
      if (found === undefined) {
        throw new AuthenticationError(
          `no cluster token: pass --token (printed by \`de2-node start --head\`), set DE2_TOKEN, or put it in ${tokenPath()}`,
        );
      }
      token = found;
    }
    // A worker may start before its head listens (VMs booting together): keep trying for a
    // while; a refused token or protocol fails at once.
    node = options.head
      ? await start()
      : await startWithin(start, FIRST_JOIN_WINDOW_MS, () =>
          log(`waiting for the head at ${options.address}`),
        );
    if (!options.head && flagToken) tokenFile = saveToken(token);
    log(`${role} ${node.nodeId} ${options.head ? 'listening on' : 'joined'} ${node.headAddress}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`failed to start: ${message}`);
    report({ type: 'failed', message });
    if (!process.send) console.error(`de2-node: ${message}`);
    endSession(sessionDir);
    return 1;
  }

  const record: SessionRecord = {
    role,
    pid: process.pid,
    nodeId: node.nodeId,
    clusterAddress: node.headAddress,
    startedAt: new Date().toISOString(),
    logFile,
    ...(node.dashboardUrl ? { dashboardUrl: node.dashboardUrl } : {}),
  };
  writeSession(sessionDir, record);
  const ready: ReadyMessage = {
    type: 'ready',
    nodeId: node.nodeId,
    clusterAddress: node.headAddress,
    port: Number(node.headAddress.split(':').pop()),
    sessionDir,
    logFile,
    numCpus,
    objectStoreMemory,
    token,
    tokenFile,
    ...(node.dashboardUrl ? { dashboardUrl: node.dashboardUrl } : {}),
  };
  if (process.send) {
    report(ready);
    process.disconnect();
  } else {
    console.log(options.head ? headStartedText(ready, false) : workerStartedText(ready));
  }

  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      stopping = true;
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  for (;;) {
    await Promise.race([stopped, node.headLost]);
    if (stopping) break;
    log(
      `gave up on the head at ${node.headAddress} as ${node.nodeId}; this node's tasks are gone, joining again as a new node`,
    );
    await node.shutdown().catch(() => {});
    const headAddress = node.headAddress;
    try {
      node = await startWithin(
        start,
        REJOIN_WINDOW_MS,
        () => {},
        () => stopping,
      );
    } catch (error) {
      if (!stopping) log(`could not rejoin the head at ${headAddress}: ${(error as Error).message}; exiting`);
      endSession(sessionDir);
      return stopping ? 0 : 1;
    }
    writeSession(sessionDir, { ...record, nodeId: node.nodeId });
    log(`rejoined the head at ${node.headAddress} as ${node.nodeId}`);
  }
  log(`stopping ${node.nodeId}`);
  await node.shutdown();
  endSession(sessionDir);
  return 0;
}

/**
 * Calls `start` until it succeeds, `windowMs` passes or `stopping()`; a refusal (token,
 * protocol) is rethrown at once, as is the last error when time is up.
 */
async function startWithin(
  start: () => Promise<ClusterNode>,
  windowMs: number,
  onRetry: () => void,
  stopping: () => boolean = () => false,
): Promise<ClusterNode> {
  const deadline = Date.now() + windowMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await start();
    } catch (error) {
      if (!(error instanceof NodeDiedError) || Date.now() + delay > deadline || stopping()) throw error;
      onRetry();
      // Backing off between attempts: a head that is not up yet sends no event to wait for.
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
