import { defaultNodeMemory, defaultObjectStoreMemory } from '../node/memory-monitor.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setClient } from '../client/context.js';
import { startEmbedded, type EmbeddedCluster } from '../embedded/embedded-cluster.js';
import { connectDriver } from '../cluster/connect-driver.js';
import { checkNumber, checkResources } from './options.js';
import {
  checkDashboardSettings,
  startDashboard,
  type DashboardSettings,
} from '../dashboard/start-dashboard.js';
import type { DashboardServer } from '../dashboard/server.js';
import { createToken } from '../transport/token.js';
import type { ObjectRef } from '../protocol/object-ref.js';
import { AlreadyInitializedError } from '../errors/errors.js';
import { setWorkingDirSource } from './runtime-context.js';
import { encodeDescriptor } from '../runtime-env/descriptor.js';
import {
  checkRuntimeEnv,
  checkWorkingDir,
  packForCluster,
  runtimeEnvFromEnvironment,
  type RuntimeEnv,
} from '../runtime-env/options.js';

/** Options of `init()`. */
export interface InitOptions {
  /**
   * Address (`host:port`) of a running cluster (`npx de2-node start --head`) to join as a
   * driver, or `'auto'`: DE2_ADDRESS, else the cluster this machine's node belongs to;
   * `'local'`: an embedded cluster even when DE2_ADDRESS is set. Without it, `init` joins
   * the cluster at DE2_ADDRESS when that is set (as `ray.init()` does with RAY_ADDRESS),
   * else starts an embedded head and node in this process.
   * @default DE2_ADDRESS, else none (embedded)
   */
  address?: string;
  /**
   * The job's runtime environment, as Ray's `runtime_env`: `workingDir` (the project folder
   * the job's tasks import from, shipped to every node), `env`, `excludes`, `maxSizeBytes`,
   * `installTimeoutMs`. See {@link RuntimeEnv}. @default DE2_RUNTIME_ENV (JSON), else none
   */
  runtimeEnv?: RuntimeEnv;
  /** Cluster token, with `address`. @default DE2_TOKEN, else ~/.de2/token */
  token?: string;
  /** Logical CPUs of the node, and its number of worker threads. @default os.availableParallelism() */
  numCpus?: number;
  /** Bytes of memory the object store may hold before it spills to disk. @default 30% of RAM */
  objectStoreMemory?: number;
  /**
   * Memory for tasks and actors in bytes: the node's logical `memory` resource, and the limit
   * of its memory monitor, which ends the newest task with OutOfMemoryError when the process
   * (minus the object store) reaches 95% of it.
   * @default RAM (or the cgroup limit, when smaller) minus objectStoreMemory
   */
  memory?: number;
  /** Custom logical resources of the node, e.g. `{ gpu: 2 }`. @default {} */
  resources?: Record<string, number>;
  /** Folder for this session's files (spilled objects under `spill/`). @default `<tmpdir>/de2/session-<time>-<pid>` */
  sessionDir?: string;
  /** Most bytes that may be spilled to disk; beyond it puts fail with ObjectStoreFullError. @default free disk space */
  spillLimitBytes?: number;
  /** Print tasks' console output on the driver's stdout/stderr, prefixed `(worker N)`. @default true */
  logToDriver?: boolean;
  /**
   * Embedded only: serve the dashboard, as a head started by `de2-node start --head` does
   * (`true`: 127.0.0.1:8265; `{ port: 0 }`: any free port). It admits holders of a token made
   * for this run, which `dashboardUrl` carries. @default false
   */
  dashboard?: boolean | DashboardSettings;
}

/** What `init` started. */
export interface RuntimeInfo {
  nodeId: string;
  sessionDir: string;
  numCpus: number;
  objectStoreMemory: number;
  /** The embedded dashboard (with `?token=` to log in), when `init({ dashboard })` started one. */
  dashboardUrl?: string;
  /** The cluster joined (`host:port`), when not embedded. */
  address?: string;
  /** The runtime environment's working dir (absolute), when `runtimeEnv` was given. */
  workingDir?: string;
  /** On a cluster: sha256 of the packed working dir, its packed bytes and files. */
  packedWorkingDir?: { hash: string; bytes: number; files: number };
}

let running:
  | {
      cluster: EmbeddedCluster;
      info: RuntimeInfo;
      ownsSessionDir: boolean;
      dashboard?: DashboardServer;
      /** The packed working dir: held for the whole job, so that nodes can pull it. */
      workingDirRef?: ObjectRef<Uint8Array>;
    }
  | undefined;

/**
 * Starts de2 in this process: a head, a node with one worker thread per CPU, and this
 * program as the driver.
 *
 * @example
 * ```ts
 * await init({ numCpus: 4 });
 * ```
 */
export async function init(options: InitOptions = {}): Promise<RuntimeInfo> {
  if (running) throw new AlreadyInitializedError('de2 is already initialized: call shutdown() first');
  checkNumber(options, 'numCpus', 0, false);
  checkNumber(options, 'objectStoreMemory', 1, true);
  checkNumber(options, 'memory', 0, true);
  checkNumber(options, 'spillLimitBytes', 0, true);
  if (options.sessionDir !== undefined && typeof options.sessionDir !== 'string') {
    throw new TypeError('options.sessionDir must be a string');
  }
  const dashboardSettings = checkDashboardSettings(options.dashboard);
  const address =
    options.address === 'local' ? undefined : (options.address ?? (process.env.DE2_ADDRESS || undefined));
  const rawEnv = options.runtimeEnv ?? runtimeEnvFromEnvironment();
  const runtimeEnv = rawEnv === undefined ? undefined : checkRuntimeEnv(rawEnv);
  // Checked (and packed) before anything starts: a too-large or unreadable folder fails here.
  let archive: ReturnType<typeof packForCluster> | undefined;
  if (runtimeEnv && address === undefined) checkWorkingDir(runtimeEnv);
  else if (runtimeEnv) archive = packForCluster(runtimeEnv);
  if (dashboardSettings && address !== undefined) {
    throw new TypeError(
      "options.dashboard is for the embedded cluster: a cluster's dashboard is served by its head (see `npx de2-node status`)",
    );
  }
  const numCpus = options.numCpus ?? os.availableParallelism();
  const objectStoreMemory = options.objectStoreMemory ?? defaultObjectStoreMemory();
  const ownsSessionDir = options.sessionDir === undefined;
  const sessionDir =
    options.sessionDir ??
    path.join(os.tmpdir(), 'de2', `session-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  fs.mkdirSync(sessionDir, { recursive: true });
  const spillLimitBytes = options.spillLimitBytes ?? freeDiskBytes(sessionDir);
  const logToDriver = options.logToDriver ?? true;
  const fromEnvironment = options.address === undefined && address !== undefined;
  const cluster =
    address === undefined
      ? startEmbedded({
          numCpus,
          objectStoreMemory,
          memory: options.memory ?? defaultNodeMemory(objectStoreMemory),
          resources: checkResources(options.resources),
          sessionDir,
          spillLimitBytes,
          logToDriver,
        })
      : await connectDriver({
          address,
          ...(options.token === undefined ? {} : { token: options.token }),
          objectStoreMemory,
          sessionDir,
          spillLimitBytes,
          logToDriver,
        }).catch((error: unknown) => {
          if (fromEnvironment && error instanceof Error) {
            error.message += ` (the address came from DE2_ADDRESS: unset it, or call init({ address: 'local' }) for a cluster in this process)`;
          }
          throw error;
        });
  let dashboard: DashboardServer | undefined;
  let dashboardUrl: string | undefined;
  if (dashboardSettings && cluster.head) {
    const token = createToken();
    const log = (line: string) => console.error(`(de2) ${line}`);
    dashboard = await startDashboard(cluster.head, dashboardSettings, { token, log });
    if (dashboard) dashboardUrl = `${dashboard.url}?token=${token}`;
  }
  setClient(cluster.client);
  let workingDirRef: ObjectRef<Uint8Array> | undefined;
  if (runtimeEnv) {
    const common = { env: runtimeEnv.env, installTimeoutMs: runtimeEnv.installTimeoutMs };
    if (archive) {
      // Stored once in this driver's object store; each node pulls it on its first task of the job.
      workingDirRef = cluster.client.put(new Uint8Array(archive.bytes));
      cluster.client.runtimeEnv = encodeDescriptor({
        hash: archive.hash,
        objectId: workingDirRef.id,
        ...common,
      });
    } else {
      cluster.client.runtimeEnv = encodeDescriptor({ dir: runtimeEnv.workingDir, ...common });
    }
    const dir = runtimeEnv.workingDir;
    setWorkingDirSource(() => dir);
  }
  const info: RuntimeInfo = {
    nodeId: cluster.nodeId,
    sessionDir,
    numCpus,
    objectStoreMemory,
    ...(dashboardUrl ? { dashboardUrl } : {}),
    ...(address === undefined ? {} : { address }),
    ...(runtimeEnv ? { workingDir: runtimeEnv.workingDir } : {}),
    ...(archive
      ? { packedWorkingDir: { hash: archive.hash, bytes: archive.bytes.length, files: archive.files.length } }
      : {}),
  };
  running = {
    cluster,
    info,
    ownsSessionDir,
    ...(dashboard ? { dashboard } : {}),
    ...(workingDirRef ? { workingDirRef } : {}),
  };
  return info;
}

function freeDiskBytes(dir: string): number {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

/** Whether `init()` has run (and `shutdown()` not since). */
export function isInitialized(): boolean {
  return running !== undefined;
}

/** Stops the worker threads and actors, frees the object store, removes the session's spill files. */
export async function shutdown(): Promise<void> {
  const r = running;
  if (!r) return;
  running = undefined;
  if (r.workingDirRef) {
    // The job ends: the head frees the packed working dir, which tells each node that holds a
    // copy to remove it. Sent and flushed before the connection closes, so it is not lost.
    r.cluster.client.release(r.workingDirRef.id);
    await new Promise((resolve) => setImmediate(resolve)); // the removeRef goes out first
    await r.cluster.client.flush().catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
  }
  setClient(undefined);
  setWorkingDirSource(() => undefined);
  await r.dashboard?.close();
  await r.cluster.shutdown();
  fs.rmSync(path.join(r.info.sessionDir, 'spill'), { recursive: true, force: true });
  if (r.ownsSessionDir) fs.rmSync(r.info.sessionDir, { recursive: true, force: true });
}
