import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { StartOptions } from './args.js';
import {
  advertisedHost,
  headStartedText,
  workerStartedText,
  type ReadyMessage,
  type FailedMessage,
} from './start.js';
import { createSessionDir, endSession, writeSession } from './session.js';
import { createToken, findToken, saveToken } from '../transport/token.js';
import { WireServer } from '../transport/wire-server.js';
import { WireClient } from '../transport/wire-client.js';
import { AuthenticationError } from '../errors/errors.js';
import { tokenPath } from './paths.js';

export const DE2_VERSION = '0.1.0';

function log(line: string): void {
  console.log(`${new Date().toISOString()} ${line}`);
}

function report(message: ReadyMessage | FailedMessage): void {
  if (process.send) process.send(message);
}

/**
 * The body of a `de2-node start ... --block` process: serves until SIGTERM/SIGINT.
 * Resolves with the exit code once the node has stopped.
 */
export async function runNodeProcess(options: StartOptions): Promise<number> {
  const sessionDir = process.env.DE2_SESSION_DIR ?? createSessionDir(options.head ? 'head' : 'worker');
  const logFile = join(sessionDir, 'logs', 'node.log');
  const nodeId = `node-${randomUUID().slice(0, 8)}`;
  const numCpus = options.numCpus ?? cpus().length;
  const objectStoreMemory = options.objectStoreMemory ?? Math.floor(totalmem() * 0.3);
  let token: string;
  let tokenFile: string | undefined;
  let clusterAddress: string;
  let stop: () => Promise<void>;

  try {
    if (options.head) {
      token = options.token || process.env.DE2_TOKEN || createToken();
      tokenFile = saveToken(token);
      const server = new WireServer({ token, port: options.port, host: options.host, log, onPeer: () => {} });
      const port = await server.listen();
      clusterAddress = `${advertisedHost(options.host)}:${port}`;
      log(`head ${nodeId} listening on ${options.host}:${port}`);
      stop = () => server.close();
    } else {
      const found = findToken(options.token);
      if (found === undefined) {
        throw new AuthenticationError(
          `no cluster token: pass --token (printed by \`de2-node start --head\`), set DE2_TOKEN, or put it in ${tokenPath()}`,
        );
      }
      token = found;
      clusterAddress = options.address!;
      const client = await WireClient.connect({
        address: clusterAddress,
        token,
        role: 'node',
        nodeId,
        de2Version: DE2_VERSION,
      });
      if (options.token) tokenFile = saveToken(token);
      log(`worker ${nodeId} joined ${clusterAddress}`);
      stop = async () => client.close();
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`failed to start: ${message}`);
    report({ type: 'failed', message });
    endSession(sessionDir);
    return 1;
  }

  writeSession(sessionDir, {
    role: options.head ? 'head' : 'worker',
    pid: process.pid,
    nodeId,
    clusterAddress,
    startedAt: new Date().toISOString(),
    logFile,
  });
  const ready: ReadyMessage = {
    type: 'ready',
    nodeId,
    clusterAddress,
    port: Number(clusterAddress.split(':').pop()),
    sessionDir,
    logFile,
    numCpus,
    objectStoreMemory,
    token,
    tokenFile,
  };
  if (process.send) {
    report(ready);
    process.disconnect();
  } else {
    console.log(options.head ? headStartedText(ready) : workerStartedText(ready));
  }

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  log(`stopping ${nodeId}`);
  await stop();
  endSession(sessionDir);
  return 0;
}
