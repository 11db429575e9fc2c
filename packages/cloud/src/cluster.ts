import { validateClusterConfig, type ClusterConfig } from './config.js';
import { readCredentials } from './credentials.js';
import { ClusterExistsError, ClusterNotFoundError, ProvisionError } from './errors.js';
import { waitForJoin, type ClusterView, type NodeView } from './join.js';
import { LocalProvider } from './local/local-provider.js';
import { OpenStackProvider } from './openstack/openstack-provider.js';
import { resolveOptions, type CloudOptions, type ResolvedCloudOptions } from './options.js';
import type { Provider, ProviderContext, VmStatus } from './provider.js';
import { StateStore, type ClusterState, type VmRecord } from './state.js';

/** A running cluster, as `up` and `addWorkers` leave it. */
export interface ClusterInfo {
  name: string;
  provider: string;
  /** The address drivers and workers join. */
  head: { host: string; port: number };
  /** The file holding the cluster token (mode 0600). */
  tokenPath: string;
  statePath: string;
  vms: VmRecord[];
  /** The nodes the head saw alive at the end (absent when not waiting for them). */
  nodes?: NodeView[];
}

/** `status`: each machine next to the node the head sees on it. */
export interface ClusterStatus {
  name: string;
  provider: string;
  head?: { host: string; port: number };
  tokenPath: string;
  vms: (VmStatus & { node?: NodeView })[];
  /** All nodes the head reported, or undefined when it could not be asked (see nodesError). */
  nodes?: NodeView[];
  nodesError?: string;
}

/** What `down` deleted. */
export interface DownResult {
  deleted: string[];
}

interface Session {
  config: ClusterConfig;
  options: ResolvedCloudOptions;
  store: StateStore;
  provider: Provider;
}

function open(config: ClusterConfig, options: CloudOptions | undefined): Session {
  const resolved = resolveOptions(options);
  const valid = validateClusterConfig(config);
  // Credentials are checked before anything is created, with every missing variable named.
  const provider =
    resolved.provider ??
    (valid.provider === 'local' ? new LocalProvider() : new OpenStackProvider(readCredentials(resolved.env)));
  return { config: valid, options: resolved, store: new StateStore(resolved.stateDir, valid.name), provider };
}

function context(s: Session, state: ClusterState, token: string): ProviderContext {
  return {
    config: s.config,
    state,
    save: () => s.store.save(state),
    token,
    tokenPath: s.store.tokenPath,
    logDir: s.store.logDir,
    options: s.options,
    log: s.options.log,
  };
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function joined(s: Session, state: ClusterState, expected: number): Promise<ClusterView | undefined> {
  if (!s.options.waitForJoin || state.head === undefined) return undefined;
  s.options.log(
    `waiting for ${expected} node${expected === 1 ? '' : 's'} to join ${state.head.host}:${state.head.port}`,
  );
  // Nodes that said they joined (local processes) reach the head's table a moment later: the
  // head is still asked, so a caller can use every node at once, but there is no need to poll slowly.
  const pollIntervalMs =
    s.provider.joinsOnStart === true ? Math.min(s.options.pollIntervalMs, 100) : s.options.pollIntervalMs;
  return waitForJoin(s.options.joinCheck, { ...state.head, tokenPath: s.store.tokenPath }, expected, {
    timeoutMs: s.options.joinTimeoutMs,
    pollIntervalMs,
    log: s.options.log,
    signal: s.options.signal,
  });
}

/** Deletes `vms` (or everything) after a failure; returns what could not be deleted. */
async function rollBack(s: Session, ctx: ProviderContext, vms?: VmRecord[]): Promise<string[]> {
  try {
    const r = await s.provider.destroy(ctx, vms);
    return r.failed;
  } catch (e) {
    return [`cleanup failed: ${reason(e)}`];
  }
}

function info(s: Session, state: ClusterState, view: ClusterView | undefined): ClusterInfo {
  const head = state.head ?? { host: '', port: s.config.port };
  return {
    name: s.config.name,
    provider: s.provider.name,
    head,
    tokenPath: s.store.tokenPath,
    statePath: s.store.statePath,
    vms: state.vms,
    ...(view === undefined ? {} : { nodes: view.nodes }),
  };
}

/**
 * Creates the head and workers, waits until they are up and have joined, and records them in the
 * state file. A failure deletes everything it created and throws, saying why.
 */
export async function up(config: ClusterConfig, options?: CloudOptions): Promise<ClusterInfo> {
  const s = open(config, options);
  const existing = await s.store.load();
  if (existing !== undefined && existing.vms.length > 0) {
    throw new ClusterExistsError(
      `cluster '${s.config.name}' already has ${existing.vms.length} machine(s) (${s.store.statePath}): ` +
        'use add-workers, or down first',
    );
  }
  const token = await s.store.createToken();
  const state: ClusterState = {
    version: 1,
    name: s.config.name,
    provider: s.config.provider,
    port: s.config.port,
    vms: [],
  };
  await s.store.save(state);
  const ctx = context(s, state, token);
  s.options.log(
    `bringing up cluster '${s.config.name}' (${s.provider.name}): 1 head + ${s.config.workers} workers`,
  );
  let view: ClusterView | undefined;
  try {
    await s.provider.create(ctx);
    view = await joined(s, state, 1 + s.config.workers);
  } catch (e) {
    const createdSomething =
      state.vms.length > 0 ||
      state.securityGroup?.created === true ||
      (state.securityGroup?.addedRuleIds.length ?? 0) > 0;
    if (!createdSomething) {
      await s.store.remove();
      throw e;
    }
    s.options.log(`up failed: ${reason(e)}`);
    s.options.log('deleting what it created');
    const left = await rollBack(s, ctx);
    if (left.length === 0) await s.store.remove();
    throw new ProvisionError(
      `up failed: ${reason(e)}\n` +
        (left.length === 0
          ? 'Everything it had created was deleted.'
          : `Could not delete: ${left.join('; ')}. Run de2-cloud down to retry.`),
      left,
      { cause: e },
    );
  }
  return info(s, state, view);
}

async function loadState(s: Session): Promise<ClusterState> {
  const state = await s.store.load();
  if (state === undefined || state.vms.length === 0) {
    throw new ClusterNotFoundError(`cluster '${s.config.name}' is not up (no state in ${s.store.dir})`);
  }
  return state;
}

/** Adds `count` workers to a running cluster and waits until they joined; failed new workers are deleted. */
export async function addWorkers(
  config: ClusterConfig,
  count: number,
  options?: CloudOptions,
): Promise<ClusterInfo> {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new RangeError(`count must be a whole number >= 1, got ${String(count)}`);
  }
  const s = open(config, options);
  const state = await loadState(s);
  const ctx = context(s, state, await s.store.readToken());
  const before = new Set(state.vms.map((v) => v.name));
  s.options.log(`adding ${count} worker${count === 1 ? '' : 's'} to cluster '${s.config.name}'`);
  let view: ClusterView | undefined;
  try {
    await s.provider.addWorkers(ctx, count);
    view = await joined(s, state, state.vms.length);
  } catch (e) {
    const added = state.vms.filter((v) => !before.has(v.name));
    if (added.length === 0) throw e;
    s.options.log(`add-workers failed: ${reason(e)}`);
    s.options.log(`deleting the ${added.length} new worker(s)`);
    const left = await rollBack(s, ctx, added);
    throw new ProvisionError(
      `add-workers failed: ${reason(e)}\n` +
        (left.length === 0
          ? 'The new workers were deleted; the cluster is as before.'
          : `Could not delete: ${left.join('; ')}`),
      left,
      { cause: e },
    );
  }
  return info(s, state, view);
}

/** The machines of a cluster with their state and addresses, next to the nodes the head sees. */
export async function status(config: ClusterConfig, options?: CloudOptions): Promise<ClusterStatus> {
  const s = open(config, options);
  const state = await loadState(s);
  const ctx = context(s, state, '');
  const vms = await s.provider.describe(ctx);
  const out: ClusterStatus = {
    name: s.config.name,
    provider: s.provider.name,
    ...(state.head === undefined ? {} : { head: state.head }),
    tokenPath: s.store.tokenPath,
    vms,
  };
  if (state.head !== undefined) {
    try {
      const view = await s.options.joinCheck({ ...state.head, tokenPath: s.store.tokenPath });
      out.nodes = view.nodes;
      // Match nodes to VMs by the node id a machine reported (local nodes), else by IP; local
      // nodes all share 127.0.0.1, so an IP matches only when it is the only one.
      const ids = new Map(state.vms.map((v) => [v.name, v.nodeId]));
      out.vms = vms.map((vm) => {
        const byId = view.nodes.find((n) => n.nodeId === ids.get(vm.name));
        if (byId !== undefined) return { ...vm, node: byId };
        const hits = view.nodes.filter((n) => vm.addresses.includes(n.address.replace(/:\d+$/, '')));
        return hits.length === 1 && hits[0] !== undefined ? { ...vm, node: hits[0] } : vm;
      });
    } catch (e) {
      out.nodesError = reason(e);
    }
  }
  return out;
}

/** Deletes the cluster's machines (and its security group if `up` created it). Safe to run twice. */
export async function down(config: ClusterConfig, options?: CloudOptions): Promise<DownResult> {
  const s = open(config, options);
  const state = (await s.store.load()) ?? {
    version: 1 as const,
    name: s.config.name,
    provider: s.config.provider,
    port: s.config.port,
    vms: [],
  };
  s.options.log(`taking down cluster '${s.config.name}' (${s.provider.name})`);
  const result = await s.provider.destroy(context(s, state, ''));
  if (result.failed.length > 0) {
    throw new ProvisionError(
      `down could not delete: ${result.failed.join('; ')}. Run it again.`,
      result.failed,
    );
  }
  await s.store.remove();
  s.options.log(result.deleted.length === 0 ? 'nothing to delete' : `deleted: ${result.deleted.join(', ')}`);
  return { deleted: result.deleted };
}
