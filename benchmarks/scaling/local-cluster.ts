// The scaling benchmark's local nodes, through @de2/cloud's `local` provider (what
// `de2-cloud up` runs for `provider: local`): a head, then one worker node at a time, each
// offering K CPUs, with the cluster's state, token and logs in a temporary folder removed at the end.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  addWorkers,
  down,
  parseClusterConfig,
  up,
  type ClusterConfig,
  type ClusterInfo,
  type CloudOptions,
} from '@de2/cloud';

export class LocalCluster {
  private readonly stateDir = mkdtempSync(path.join(tmpdir(), 'de2-scaling-'));
  private readonly config: ClusterConfig;
  private readonly configPath: string;
  private readonly aborter = new AbortController();
  private readonly options: CloudOptions;
  /** The up/addWorkers in progress: stop() lets it clean up after itself first. */
  private pending: Promise<unknown> = Promise.resolve();
  private stopped: Promise<void> | undefined;
  address = '';
  token = '';
  /** Process ids of the nodes, in the order they started (the head first). */
  readonly pids: number[] = [];

  constructor(cpusPerNode: number, log: (line: string) => void) {
    // Written as the cluster.yaml it is, so that `de2-cloud down` can be run by hand if needed.
    const yaml = `name: scaling\nprovider: local\nworkers: 0\nport: 0\nnode: { numCpus: ${cpusPerNode} }\n`;
    this.configPath = path.join(this.stateDir, 'cluster.yaml');
    writeFileSync(this.configPath, yaml);
    this.config = parseClusterConfig(yaml);
    this.options = {
      stateDir: this.stateDir,
      log,
      pollIntervalMs: 100,
      activeTimeoutMs: 60_000,
      joinTimeoutMs: 60_000,
      signal: this.aborter.signal,
      // Even if this process is killed outright (tsx kills it when it answers Ctrl-C slowly).
      stopWithProcess: true,
    };
  }

  /** Starts the head (it runs tasks too: node 1); resolves once the head lists it. */
  async startHead(): Promise<void> {
    const info = await this.run(() => up(this.config, this.options));
    this.address = `${info.head.host}:${info.head.port}`;
    this.token = readFileSync(info.tokenPath, 'utf8').trim();
  }

  /** Starts one more worker node; resolves once the head lists it. */
  async addNode(): Promise<void> {
    await this.run(() => addWorkers(this.config, 1, this.options));
  }

  private async run(step: () => Promise<ClusterInfo>): Promise<ClusterInfo> {
    if (this.stopped !== undefined) throw new Error('the local cluster was stopped');
    const p = step();
    this.pending = p.catch(() => {});
    const info = await p;
    for (const vm of info.vms)
      if (vm.pid !== undefined && !this.pids.includes(vm.pid)) this.pids.push(vm.pid);
    return info;
  }

  /**
   * Stops every node (`de2-cloud down`) and removes the temporary folder. Safe to call twice
   * and at any time (Ctrl-C): a node that is still starting is stopped first.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.aborter.abort();
      await this.pending;
      const { signal: _, ...options } = this.options;
      await down(this.config, options).catch((e: unknown) => {
        throw new Error(
          `could not stop every local node (${(e as Error).message}); state kept: ` +
            `npx de2-cloud down ${this.configPath} --state-dir ${this.stateDir}`,
          { cause: e },
        );
      });
      rmSync(this.stateDir, { recursive: true, force: true });
    })();
    return this.stopped;
  }
}
