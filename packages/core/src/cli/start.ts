import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkInterfaces } from 'node:os';
import type { StartOptions } from './args.js';
import { createSessionDir } from '../home/session-dirs.js';

/** What a node process tells its launcher once it is serving (over the IPC channel). */
export interface ReadyMessage {
  type: 'ready';
  nodeId: string;
  /** HOST:PORT of the cluster's head as other machines should use it. */
  clusterAddress: string;
  port: number;
  sessionDir: string;
  logFile: string;
  numCpus: number;
  objectStoreMemory: number;
  token: string;
  tokenFile: string | undefined;
  /** The head's dashboard (absent with --no-dashboard, or when its port was taken). */
  dashboardUrl?: string;
}

export interface FailedMessage {
  type: 'failed';
  message: string;
}

/** The first non-internal IPv4 address of this machine, for the "join with" line. */
export function advertisedHost(bindHost: string): string {
  if (bindHost !== '0.0.0.0' && bindHost !== '::') return bindHost;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** How `start` hands a --token to the background node it launches (see runNodeProcess). */
export const TOKEN_ENV = 'DE2_NODE_TOKEN';

const binPath = fileURLToPath(new URL('../../bin/de2-node.js', import.meta.url));

/**
 * `start` without --block: runs the node as a detached background process that logs into
 * its session folder, and returns once it is serving (or has failed).
 */
export async function startInBackground(argv: string[], options: StartOptions): Promise<ReadyMessage> {
  const sessionDir = createSessionDir(options.head ? 'head' : 'worker');
  const logFile = join(sessionDir, 'logs', 'node.log');
  const log = openSync(logFile, 'a');
  // The token goes to the background node in its environment (readable by this user only),
  // never on its command line, which `ps` shows to everyone for as long as the node runs.
  const tokenEnv = options.token ? { [TOKEN_ENV]: options.token } : {};
  const child = spawn(process.execPath, [binPath, ...withoutTokenFlag(argv), '--block'], {
    detached: true,
    stdio: ['ignore', log, log, 'ipc'],
    env: { ...process.env, ...tokenEnv, DE2_SESSION_DIR: sessionDir },
  });
  closeSync(log);
  try {
    return await new Promise<ReadyMessage>((resolve, reject) => {
      child.once('message', (message: ReadyMessage | FailedMessage) => {
        if (message.type === 'ready') resolve(message);
        else reject(new Error(message.message));
      });
      child.once('exit', (code) => reject(new Error(`the node exited with code ${code}; see ${logFile}`)));
    });
  } finally {
    child.removeAllListeners();
    if (child.connected) child.disconnect();
    child.unref();
  }
}

/** `argv` without `--token VALUE` / `--token=VALUE`. */
function withoutTokenFlag(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--token') i++;
    else if (!argv[i]!.startsWith('--token=')) out.push(argv[i]!);
  }
  return out;
}

/** The "what next" text printed after a head starts. */
export function headStartedText(ready: ReadyMessage, showToken = true): string {
  // A node in the foreground (--block) usually runs under a service manager whose log others
  // may read: it names the token file instead of printing the token.
  const token = showToken || !ready.tokenFile ? ready.token : `$(cat ${ready.tokenFile})`;
  const tokenSource = ready.tokenFile ? `(also in ${ready.tokenFile}, mode 0600)` : '';
  return [
    `de2 head started at ${ready.clusterAddress} (node ${ready.nodeId}, ${ready.numCpus} CPUs, ` +
      `object store ${(ready.objectStoreMemory / 2 ** 30).toFixed(1)} GiB).`,
    `Session folder: ${ready.sessionDir}`,
    `Logs:           ${ready.logFile}`,
    '',
    'To add a worker node, run on each other machine:',
    `  npx de2-node start --address ${ready.clusterAddress} --token ${token}`,
    `The token is the cluster's password: keep it secret ${tokenSource}`.trimEnd(),
    '',
    'To connect a driver program:',
    `  on this machine:   await init({ address: 'auto' })`,
    `  from elsewhere:    DE2_ADDRESS=${ready.clusterAddress} DE2_TOKEN=<token> node your-program.js`,
    `                     (with await init({ address: 'auto' }), or init({ address: '${ready.clusterAddress}' }))`,
    '',
    'See the cluster:     npx de2-node status',
    ...dashboardLines(ready.dashboardUrl),
    'Stop this machine:   npx de2-node stop',
  ].join('\n');
}

/** Where the dashboard is, and how to reach it from a laptop (it listens on 127.0.0.1 by default). */
export function dashboardLines(url: string | undefined): string[] {
  if (!url) return ['Dashboard:           off (see the node log for why)'];
  const { hostname, port } = new URL(url);
  const local = hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  return [
    `Dashboard:           ${url} (log in with the cluster token)`,
    ...(local
      ? [
          `  from a laptop:     ssh -L ${port}:localhost:${port} USER@THIS-MACHINE, then open http://localhost:${port}/`,
        ]
      : []),
  ];
}

export function workerStartedText(ready: ReadyMessage): string {
  return [
    `de2 worker node ${ready.nodeId} joined the cluster at ${ready.clusterAddress} ` +
      `(${ready.numCpus} CPUs, object store ${(ready.objectStoreMemory / 2 ** 30).toFixed(1)} GiB).`,
    `Session folder: ${ready.sessionDir}`,
    `Logs:           ${ready.logFile}`,
    '',
    'See the cluster:     npx de2-node status',
    'Stop this machine:   npx de2-node stop',
  ].join('\n');
}
