import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** One machine (a VM, or a local process) of a cluster. */
export interface VmRecord {
  name: string;
  role: 'head' | 'worker';
  /** OpenStack server id. */
  id?: string;
  /** Local provider: the de2-node process id. */
  pid?: number;
  /** Local provider: the node id it reported when it started (local nodes share one address). */
  nodeId?: string;
  privateIp?: string;
}

/** What `up` created, so that add-workers/status/down find it. Names and ids only, never secrets. */
export interface ClusterState {
  version: 1;
  name: string;
  provider: 'openstack' | 'local';
  port: number;
  /** The address workers and drivers join. */
  head?: { host: string; port: number };
  securityGroup?: { id: string; name: string; created: boolean; addedRuleIds: string[] };
  vms: VmRecord[];
}

/** The default folder of cluster states: `~/.de2/clusters`. */
export function defaultStateDir(): string {
  return join(homedir(), '.de2', 'clusters');
}

/** The state file and token file of one cluster, under `<stateDir>/<name>/`. */
export class StateStore {
  readonly dir: string;
  readonly statePath: string;
  readonly tokenPath: string;
  readonly logDir: string;

  constructor(stateDir: string, name: string) {
    this.dir = join(stateDir, name);
    this.statePath = join(this.dir, 'state.json');
    this.tokenPath = join(this.dir, 'token');
    this.logDir = join(this.dir, 'logs');
  }

  async load(): Promise<ClusterState | undefined> {
    let text: string;
    try {
      text = await readFile(this.statePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return JSON.parse(text) as ClusterState;
  }

  private saving: Promise<void> = Promise.resolve();

  /**
   * Writes the state atomically (a crash mid-write leaves the previous state, not half a file).
   * Saves run one after another: machines started in parallel each save as soon as they exist.
   */
  save(state: ClusterState): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    const write = async () => {
      await this.ensureDir();
      const tmp = `${this.statePath}.${process.pid}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.statePath);
    };
    this.saving = this.saving.then(write, write);
    return this.saving;
  }

  /** Creates a new random cluster token and stores it with mode 0600; returns it. */
  async createToken(): Promise<string> {
    await this.ensureDir();
    const token = randomBytes(32).toString('base64url');
    await writeFile(this.tokenPath, `${token}\n`, { mode: 0o600 });
    await chmod(this.tokenPath, 0o600);
    return token;
  }

  async readToken(): Promise<string> {
    return (await readFile(this.tokenPath, 'utf8')).trim();
  }

  /** Deletes the state and token of a cluster that no longer exists. */
  async remove(): Promise<void> {
    await this.saving.catch(() => {});
    await rm(this.statePath, { force: true });
    await rm(this.tokenPath, { force: true });
    // Local nodes' DE2_HOME: the head keeps a copy of the token there.
    await rm(join(this.dir, 'de2-home'), { recursive: true, force: true });
  }

  private async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }
}
