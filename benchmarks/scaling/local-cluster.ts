// Starts de2-node processes on this machine for the scaling benchmark: a head, then one
// worker node at a time, under a private DE2_HOME that is removed at the end.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startNode } from '../../tests/helpers/test-cluster.js';

export class LocalCluster {
  private readonly home = mkdtempSync(path.join(tmpdir(), 'de2-scaling-'));
  private readonly env = { ...process.env, DE2_HOME: this.home, DE2_TOKEN: '', DE2_ADDRESS: '' };
  private readonly children: ChildProcess[] = [];
  address = '';
  token = '';
  private stopping = false;
  private onDeath: (error: Error) => void = () => {};
  /** Rejects when a node exits before stop(): a measurement then fails instead of waiting forever. */
  readonly died = new Promise<never>((_resolve, reject) => (this.onDeath = reject));

  constructor(private readonly cpusPerNode: number) {}

  get size(): number {
    return this.children.length;
  }

  /** Starts the head node (it runs tasks too: node 1). */
  async startHead(): Promise<void> {
    const m = await this.start(
      ['--head', '--port', '0', '--host', '127.0.0.1', '--num-cpus', String(this.cpusPerNode)],
      /--address (\S+) --token/,
    );
    this.address = m[1]!;
    // The head prints the token or only where it is (--block): read it from the file.
    this.token = readFileSync(path.join(this.home, 'token'), 'utf8').trim();
  }

  /** Starts one more worker node and resolves once it has joined. */
  async addNode(): Promise<void> {
    await this.start(
      [
        '--address',
        this.address,
        '--token',
        this.token,
        '--host',
        '127.0.0.1',
        '--num-cpus',
        String(this.cpusPerNode),
      ],
      /joined the cluster/,
    );
  }

  private async start(args: string[], ready: RegExp): Promise<RegExpExecArray> {
    const node = await startNode(this.env, args, ready);
    this.children.push(node.process);
    node.process.once('exit', (code, signal) => {
      if (!this.stopping)
        this.onDeath(new Error(`a de2-node exited during the run (${signal ?? code}):\n${node.output()}`));
    });
    return node.match;
  }

  /** Kills every node (SIGKILL: nothing of theirs is kept) and removes DE2_HOME. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(this.home, { recursive: true, force: true });
  }
}
