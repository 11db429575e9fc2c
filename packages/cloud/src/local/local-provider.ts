import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalNodeError } from '../errors.js';
import type { DestroyResult, Provider, ProviderContext, VmStatus } from '../provider.js';
import type { VmRecord } from '../state.js';
import { startArgs } from '../user-data.js';

const HOST = '127.0.0.1';

/** The de2-node script of the installed @de2/core. */
export function de2NodeBin(): string {
  return join(
    dirname(createRequire(import.meta.url).resolve('@de2/core/package.json')),
    'bin',
    'de2-node.js',
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True if `pid` still runs de2-node (and is not a new process that reused the id). */
function isOurNode(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('de2-node');
  } catch {
    return true; // no /proc (macOS): trust the pid
  }
}

/** The port a head started with --port 0 says it listens on (it prints how workers join it). */
export function listenPortFrom(log: string): number | undefined {
  const m = /--address\s+\S+?:(\d+)/.exec(log) ?? /listening on \S*?:(\d+)/i.exec(log);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** Starts nodes as local `de2-node start ... --block` processes that outlive this command. */
export class LocalProvider implements Provider {
  readonly name = 'local';

  private spawnNode(ctx: ProviderContext, name: string, args: string[]): number {
    mkdirSync(ctx.logDir, { recursive: true });
    const logPath = join(ctx.logDir, `${name}.log`);
    const fd = openSync(logPath, 'a', 0o600);
    try {
      const child = spawn(process.execPath, [de2NodeBin(), ...args], {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, DE2_TOKEN: ctx.token },
      });
      if (child.pid === undefined) throw new LocalNodeError(`could not start de2-node for ${name}`);
      child.unref();
      return child.pid;
    } finally {
      closeSync(fd);
    }
  }

  private async startHead(ctx: ProviderContext): Promise<void> {
    const name = `${ctx.config.name}-head`;
    const args = startArgs({ role: 'head', port: ctx.config.port, node: ctx.config.node });
    ctx.log(`starting ${name}: de2-node ${args.join(' ')}`);
    const pid = this.spawnNode(ctx, name, args);
    ctx.state.vms.push({ name, role: 'head', pid, privateIp: HOST });
    await ctx.save();
    let port = ctx.config.port;
    const deadline = Date.now() + ctx.options.activeTimeoutMs;
    while (port === 0) {
      const log = readFileSync(join(ctx.logDir, `${name}.log`), 'utf8');
      port = listenPortFrom(log) ?? 0;
      if (port !== 0) break;
      if (!isAlive(pid)) throw new LocalNodeError(`the head exited at start:\n${log.slice(-2000)}`);
      if (Date.now() > deadline) throw new LocalNodeError('the head did not say which port it listens on');
      await sleep(Math.min(ctx.options.pollIntervalMs, 200));
    }
    ctx.state.head = { host: HOST, port };
    await ctx.save();
  }

  private async startWorkers(ctx: ProviderContext, count: number): Promise<void> {
    const head = ctx.state.head;
    if (head === undefined) throw new LocalNodeError('the state records no head');
    const taken = ctx.state.vms.map((v) => Number(/-worker-(\d+)$/.exec(v.name)?.[1] ?? 0));
    const first = Math.max(0, ...taken) + 1;
    for (let i = first; i < first + count; i++) {
      const name = `${ctx.config.name}-worker-${i}`;
      const args = startArgs({
        role: 'worker',
        port: head.port,
        headAddress: head.host,
        node: ctx.config.node,
      });
      ctx.log(`starting ${name}: de2-node ${args.join(' ')}`);
      ctx.state.vms.push({ name, role: 'worker', pid: this.spawnNode(ctx, name, args), privateIp: HOST });
      await ctx.save();
    }
  }

  async create(ctx: ProviderContext): Promise<void> {
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
