import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { pause } from './abort.js';
import { isPlainObject } from './config-checks.js';
import { de2NodeBin } from './de2-node-bin.js';
import { JoinTimeoutError } from './errors.js';

/** One node as the head sees it (the contract of `de2-node status --json`). */
export interface NodeView {
  nodeId: string;
  address: string;
  alive: boolean;
  /** Set by de2-node for driver connections, which are listed too but are not nodes. */
  isDriver?: boolean;
}

/** What `de2-node status --json` prints. */
export interface ClusterView {
  nodes: NodeView[];
}

/** Where to ask: the head's address and the file holding the cluster token. */
export interface JoinTarget {
  host: string;
  port: number;
  tokenPath: string;
}

/** Asks the head which nodes it sees; rejects while the head is not reachable yet. */
export type JoinCheck = (target: JoinTarget) => Promise<ClusterView>;

/** Checks that a value has the shape of `de2-node status --json` output. */
export function parseClusterView(value: unknown): ClusterView {
  if (!isPlainObject(value) || !Array.isArray(value.nodes)) {
    throw new TypeError('de2-node status --json did not print { nodes: [...] }');
  }
  const nodes = value.nodes.map((n: unknown): NodeView => {
    if (!isPlainObject(n) || typeof n.alive !== 'boolean') {
      throw new TypeError('de2-node status --json printed a node without a boolean alive');
    }
    const view: NodeView = { nodeId: String(n.nodeId), address: String(n.address), alive: n.alive };
    if (typeof n.isDriver === 'boolean') view.isDriver = n.isDriver;
    return view;
  });
  return { nodes };
}

/**
 * The default join check: runs `de2-node status --address HOST:PORT --json` (the de2-node of the
 * installed @de2/core) with the cluster token in DE2_TOKEN.
 */
export const de2NodeStatusCheck: JoinCheck = async (target) => {
  const bin = de2NodeBin();
  const token = (await readFile(target.tokenPath, 'utf8')).trim();
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, 'status', '--address', `${target.host}:${target.port}`, '--json'],
      { env: { ...process.env, DE2_TOKEN: token }, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, out, err) => {
        // stderr may explain the failure; it never holds the token (de2-node does not print it).
        if (error) reject(new Error(`de2-node status failed: ${String(err).trim() || error.message}`));
        else resolve(out);
      },
    );
  });
  return parseClusterView(JSON.parse(stdout));
};

/**
 * Drivers (and the status command's own connection) are listed in the head's node table too:
 * flagged isDriver, with ids 'driver-...'/'status-...'. They are not nodes that joined.
 */
export function isDriver(node: NodeView): boolean {
  return node.isDriver === true || /^(driver|status)-/.test(node.nodeId);
}

export interface WaitForJoinOptions {
  timeoutMs: number;
  pollIntervalMs: number;
  log: (line: string) => void;
  signal?: AbortSignal | undefined;
}

/** Polls the head until `expected` nodes are alive; throws JoinTimeoutError after `timeoutMs`. */
export async function waitForJoin(
  check: JoinCheck,
  target: JoinTarget,
  expected: number,
  options: WaitForJoinOptions,
): Promise<ClusterView> {
  const deadline = Date.now() + options.timeoutMs;
  let lastAlive = -1;
  let lastError: string | undefined;
  for (;;) {
    try {
      const view = await check(target);
      const alive = view.nodes.filter((n) => n.alive && !isDriver(n)).length;
      lastError = undefined;
      if (alive !== lastAlive) options.log(`nodes joined: ${alive}/${expected}`);
      lastAlive = alive;
      if (alive >= expected) return view;
    } catch (e) {
      // The head is still booting or installing: not an error until the deadline.
      lastError = (e as Error).message;
    }
    if (Date.now() >= deadline) {
      const seen = Math.max(lastAlive, 0);
      throw new JoinTimeoutError(
        `only ${seen} of ${expected} nodes joined ${target.host}:${target.port} within ` +
          `${Math.round(options.timeoutMs / 1000)} s${lastError === undefined ? '' : ` (last check: ${lastError})`}`,
        expected,
        seen,
      );
    }
    await pause(Math.min(options.pollIntervalMs, Math.max(0, deadline - Date.now())), options.signal);
  }
}
