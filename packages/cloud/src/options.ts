import { de2NodeStatusCheck, type JoinCheck } from './join.js';
import type { Provider, ProviderSettings } from './provider.js';
import { defaultStateDir } from './state.js';

/** Options of `up`, `addWorkers`, `status` and `down`; all optional. */
export interface CloudOptions {
  /** Folder holding each cluster's state file and token. @default `~/.de2/clusters` */
  stateDir?: string;
  /** Where the OS_* credentials are read from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Receives progress lines. @default writes them to stdout */
  log?: (line: string) => void;
  /** How often servers and the head are polled. @default 5000 */
  pollIntervalMs?: number;
  /** How long a VM may take to become ACTIVE. @default 600000 (10 min) */
  activeTimeoutMs?: number;
  /** How long all nodes may take to join (installing Node.js and de2 included). @default 1200000 (20 min) */
  joinTimeoutMs?: number;
  /** How long deleted VMs may take to go away before the security group is deleted. @default 300000 */
  deleteTimeoutMs?: number;
  /** Wait until every node has joined the head. @default true */
  waitForJoin?: boolean;
  /** Asks the head which nodes it sees. @default runs `de2-node status --json` */
  joinCheck?: JoinCheck;
  /** Use this provider instead of the one cluster.yaml names (tests, other clouds). */
  provider?: Provider;
  /**
   * Local provider: `up` starts a small detached watchdog that takes the cluster down once
   * this process is gone, however it ended (a crash, SIGKILL, a launcher that kills it on
   * Ctrl-C); a normal `down` ends the watchdog too. For programs such as benchmarks whose
   * nodes must not outlive them. @default false (the nodes outlive `de2-cloud up`)
   */
  stopWithProcess?: boolean;
  /**
   * Stops `up`/`addWorkers` at the next step or poll; what they created is then deleted and they
   * throw ProvisionError('interrupted'). The CLI aborts on Ctrl-C.
   */
  signal?: AbortSignal;
}

/** CloudOptions with every default applied. */
export interface ResolvedCloudOptions extends ProviderSettings {
  provider: Provider | undefined;
}

function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`options.${name} must be a number of milliseconds`);
  }
  if (value < 0) throw new RangeError(`options.${name} must be >= 0, got ${value}`);
  return value;
}

/** Validates and completes options; throws TypeError/RangeError naming the bad option. */
export function resolveOptions(options: CloudOptions = {}): ResolvedCloudOptions {
  if (options.stateDir !== undefined && (typeof options.stateDir !== 'string' || options.stateDir === '')) {
    throw new TypeError('options.stateDir must be a non-empty string');
  }
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw new TypeError('options.log must be a function');
  }
  if (options.joinCheck !== undefined && typeof options.joinCheck !== 'function') {
    throw new TypeError('options.joinCheck must be a function');
  }
  if (options.waitForJoin !== undefined && typeof options.waitForJoin !== 'boolean') {
    throw new TypeError('options.waitForJoin must be a boolean');
  }
  if (options.stopWithProcess !== undefined && typeof options.stopWithProcess !== 'boolean') {
    throw new TypeError('options.stopWithProcess must be a boolean');
  }
  return {
    stateDir: options.stateDir ?? defaultStateDir(),
    env: options.env ?? process.env,
    log: options.log ?? ((line) => console.log(line)),
    pollIntervalMs: duration('pollIntervalMs', options.pollIntervalMs, 5000),
    activeTimeoutMs: duration('activeTimeoutMs', options.activeTimeoutMs, 600_000),
    joinTimeoutMs: duration('joinTimeoutMs', options.joinTimeoutMs, 1_200_000),
    deleteTimeoutMs: duration('deleteTimeoutMs', options.deleteTimeoutMs, 300_000),
    waitForJoin: options.waitForJoin ?? true,
    joinCheck: options.joinCheck ?? de2NodeStatusCheck,
    provider: options.provider,
    signal: options.signal,
    stopWithProcess: options.stopWithProcess ?? false,
  };
}
