import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { de2NodeBin } from '../de2-node-bin.js';
import { INTERRUPTED, checkAborted } from '../abort.js';
import { LocalNodeError, ProvisionError } from '../errors.js';
import type { DestroyResult, Provider, ProviderContext, VmStatus } from '../provider.js';
import type { VmRecord } from '../state.js';
import { startArgs } from '../user-data.js';
import { isAlive, isOurNode } from './processes.js';
import { startWatchdog } from './watchdog-start.js';

const HOST = '127.0.0.1';
/** Every local node, workers too, listens (cluster port and object server) on loopback only. */
const LOOPBACK = ['--host', HOST] as const;

/** What `de2-node start --block` sends over the IPC channel once it serves (or failed to start). */
interface NodeMessage {
  type: 'ready' | 'failed';
  nodeId?: string;
  clusterAddress?: string;
  port?: number;
  message?: string;
}

/** Starts nodes as local `de2-node start ... --block` processes that outlive this command. */
export class LocalProvider implements Provider {
  readonly name = 'local';
  /** Each node reports that it serves (a worker: that it joined) before create returns. */
  readonly joinsOnStart = true;

  /**
   * Spawns a detached node and waits for its ready message: de2-node reports over IPC when it
   * has a parent channel, instead of printing the join command (which holds the token) to its log.
   */
  private async startNode(ctx: ProviderContext, vm: VmRecord, args: string[]): Promise<NodeMessage> {
    checkAborted(ctx.options.signal);
    mkdirSync(ctx.logDir, { recursive: true, mode: 0o700 });
    const logPath = join(ctx.logDir, `${vm.name}.log`);
    const fd = openSync(logPath, 'a', 0o600);
    const child = spawn(process.execPath, [de2NodeBin(), ...args], {
      detached: true,
      stdio: ['ignore', fd, fd, 'ipc'],
      // Its own DE2_HOME: the head saves its token there, not over the user's ~/.de2/token.
      // No inherited DE2_SESSION_DIR (set when this runs inside a de2 node): each node makes its own.
      env: {
        ...withoutSessionDir(process.env),
        DE2_TOKEN: ctx.token,
        DE2_HOME: join(ctx.logDir, '..', 'de2-home'),
      },
    });
    closeSync(fd);
    if (child.pid === undefined) throw new LocalNodeError(`could not start de2-node for ${vm.name}`);
    vm.pid = child.pid;
    ctx.state.vms.push(vm);
    await ctx.save();
    const signal = ctx.options.signal;
    let onAbort = () => {};
    try {
      const message = await new Promise<NodeMessage>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new LocalNodeError(
                `${vm.name} did not report ready within ${ctx.options.activeTimeoutMs / 1000} s; see ${logPath}`,
              ),
            ),
          ctx.options.activeTimeoutMs,
        );
        child.once('message', (m: NodeMessage) => {
          clearTimeout(timer);
          if (m.type === 'ready') resolve(m);
          else
            reject(
              new LocalNodeError(`${vm.name} did not start: ${m.message ?? 'unknown error'}; see ${logPath}`),
            );
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new LocalNodeError(`${vm.name} exited with code ${code} at start; see ${logPath}`));
        });
        // Ctrl-C while a node starts: stop waiting; the caller stops the node (it is in state).
        onAbort = () => {
          clearTimeout(timer);
          reject(new ProvisionError(INTERRUPTED));
        };
        if (signal?.aborted === true) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (message.nodeId !== undefined) {
        vm.nodeId = message.nodeId;
        await ctx.save();
      }
      ctx.log(
        `  ${vm.name}: ${vm.role === 'head' ? 'listening on' : 'joined'} ${message.clusterAddress ?? ''} (pid ${child.pid})`,
      );
      return message;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
    }
  }

  private async startHead(ctx: ProviderContext): Promise<void> {
    const name = `${ctx.config.name}-head`;
    const args = [...startArgs({ role: 'head', port: ctx.config.port, node: ctx.config.node }), ...LOOPBACK];
    ctx.log(`starting ${name}: de2-node ${args.join(' ')}`);
    const ready = await this.startNode(ctx, { name, role: 'head', privateIp: HOST }, args);
    const port = ready.port ?? Number(ready.clusterAddress?.split(':').pop());
    if (!Number.isInteger(port) || port <= 0)
      throw new LocalNodeError('the head did not say which port it listens on');
    ctx.state.head = { host: HOST, port };
    await ctx.save();
  }

  private async startWorkers(ctx: ProviderContext, count: number): Promise<void> {
    const head = ctx.state.head;
    if (head === undefined) throw new LocalNodeError('the state records no head');
    if (count === 0) return;
    const taken = ctx.state.vms.map((v) => Number(/-worker-(\d+)$/.exec(v.name)?.[1] ?? 0));
    const first = Math.max(0, ...taken) + 1;
    const args = [
      ...startArgs({ role: 'worker', port: head.port, headAddress: head.host, node: ctx.config.node }),
      ...LOOPBACK,
    ];
    ctx.log(`starting ${count} worker${count === 1 ? '' : 's'}: de2-node ${args.join(' ')}`);
    const starts: Promise<NodeMessage>[] = [];
    for (let i = first; i < first + count; i++) {
      starts.push(
        this.startNode(
          ctx,
          { name: `${ctx.config.name}-worker-${i}`, role: 'worker', privateIp: HOST },
          args,
        ),
      );
    }
    const results = await Promise.allSettled(starts);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async create(ctx: ProviderContext): Promise<void> {
    // Before the first node: from then on, whatever happens to this process, nothing lingers.
    if (ctx.options.stopWithProcess) startWatchdog(ctx);
    await this.startHead(ctx);
    await this.startWorkers(ctx, ctx.config.workers);
  }

  async addWorkers(ctx: ProviderContext, count: number): Promise<void> {
    await this.startWorkers(ctx, count);
  }

  async describe(ctx: ProviderContext): Promise<VmStatus[]> {
    return ctx.state.vms.map((vm) => ({
      name: vm.name,
      role: vm.role,
      ...(vm.pid === undefined ? {} : { id: `pid ${vm.pid}` }),
      state: vm.pid !== undefined && isOurNode(vm.pid) ? 'RUNNING' : 'EXITED',
      addresses: [HOST],
    }));
  }

  async destroy(ctx: ProviderContext, vms?: readonly VmRecord[]): Promise<DestroyResult> {
    const result: DestroyResult = { deleted: [], failed: [] };
    const targets = [...(vms ?? ctx.state.vms)];
    await Promise.all(
      targets.map(async (vm) => {
        if (vm.pid !== undefined && isOurNode(vm.pid)) {
          ctx.log(`stopping ${vm.name} (pid ${vm.pid})`);
          await stop(vm.pid, ctx.options.deleteTimeoutMs);
        }
        if (vm.pid !== undefined && isOurNode(vm.pid)) {
          result.failed.push(`${vm.name}: pid ${vm.pid} did not exit`);
          return;
        }
        result.deleted.push(vm.name);
        const i = ctx.state.vms.indexOf(vm);
        if (i >= 0) ctx.state.vms.splice(i, 1);
      }),
    );
    await ctx.save();
    return result;
  }
}

/** SIGTERM to the node's process group, SIGKILL if it is still there after `timeoutMs`. */
async function stop(pid: number, timeoutMs: number): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      try {
        process.kill(pid, s);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + Math.min(timeoutMs, 10_000);
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    signal('SIGKILL');
    const killDeadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < killDeadline) await sleep(50);
  }
}

function withoutSessionDir(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DE2_SESSION_DIR: _inherited, ...rest } = env;
  return rest;
}
