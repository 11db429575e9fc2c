import type { ClusterConfig } from './config.js';
import type { JoinCheck } from './join.js';
import type { ClusterState, VmRecord } from './state.js';

/** The resolved options a provider reads (ResolvedCloudOptions, options.ts, adds the provider itself). */
export interface ProviderSettings {
  stateDir: string;
  env: Readonly<Record<string, string | undefined>>;
  log: (line: string) => void;
  pollIntervalMs: number;
  activeTimeoutMs: number;
  joinTimeoutMs: number;
  deleteTimeoutMs: number;
  waitForJoin: boolean;
  joinCheck: JoinCheck;
  signal: AbortSignal | undefined;
  stopWithProcess: boolean;
}

/** What a provider works with; it records every machine in `state` (and saves) as soon as it exists. */
export interface ProviderContext {
  readonly config: ClusterConfig;
  readonly state: ClusterState;
  /** Writes `state` to the state file. */
  save(): Promise<void>;
  /** The cluster token: for user data and node environments only, never for output. */
  readonly token: string;
  readonly tokenPath: string;
  /** Folder for the logs of local nodes. */
  readonly logDir: string;
  readonly options: ProviderSettings;
  log(line: string): void;
}

/** A machine of the cluster as the provider sees it. */
export interface VmStatus {
  name: string;
  role: 'head' | 'worker';
  id?: string;
  /** OpenStack server status (BUILD, ACTIVE, ERROR, ...), or RUNNING/EXITED for a local process. */
  state: string;
  addresses: string[];
}

/** What `destroy` did: names deleted, and names it could not delete (with why). */
export interface DestroyResult {
  deleted: string[];
  failed: string[];
}

/** Creates and deletes the machines of a cluster: OpenStack VMs, or local processes. */
export interface Provider {
  readonly name: string;
  /**
   * True when create/addWorkers return only after every new node reported that it joined
   * (local processes tell their launcher); the head is then polled briefly, not every
   * `pollIntervalMs`, until its table lists them.
   */
  readonly joinsOnStart?: boolean;
  /**
   * Creates the head, then `config.workers` workers, and sets `state.head`. Throws on failure
   * without cleaning up: the caller destroys what `state` records.
   */
  create(ctx: ProviderContext): Promise<void>;
  /** Adds `count` workers that join `state.head`; throws on failure, new workers already in `state`. */
  addWorkers(ctx: ProviderContext, count: number): Promise<void>;
  /** The current state of each machine in `state`. */
  describe(ctx: ProviderContext): Promise<VmStatus[]>;
  /**
   * Deletes `vms` (default: the whole cluster, including a security group it created, and any
   * machine tagged with the cluster's name that `state` lost). Removes them from `state`. Idempotent.
   */
  destroy(ctx: ProviderContext, vms?: readonly VmRecord[]): Promise<DestroyResult>;
}
