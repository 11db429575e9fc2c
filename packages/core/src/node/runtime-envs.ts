/**
 * A node's copies of its jobs' working dirs: each is pulled (as an object), unpacked and
 * has its npm dependencies installed once, before the first task of the job runs here,
 * then is shared by all of that job's tasks and actors. A copy is removed when its job
 * ends (the driver's archive object is freed), once the tasks that ran then are over.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ObjectResult, SerializedValue } from '../protocol/messages.js';
import { deserialize } from '../serialization/values.js';
import { extractArchive } from '../runtime-env/archive.js';
import { decodeDescriptor } from '../runtime-env/descriptor.js';
import { dependencyKey, installDependencies } from '../runtime-env/install.js';
import { RuntimeEnvError } from '../errors/errors.js';

export interface RuntimeEnvHost {
  readonly nodeId: string;
  readonly options: { address: string; sessionDir: string };
  resolveObjects(ids: string[]): Promise<ObjectResult[]>;
  /** Ids of the tasks and actors this node runs now. */
  busyIds(): string[];
}

export interface PreparedEnv {
  /** The working dir (a node's copy, or the driver's folder when embedded). */
  dir: string;
  /** Where worker threads write the modules that hold shipped function sources. */
  codeDir: string;
}

interface Copy {
  ready: Promise<string>;
  objectId: string;
  /** Set once the job ended: removal waits for these tasks and actors. */
  ending?: Set<string>;
}

/** How often an ended job's copy checks whether its last tasks are over. */
const REMOVE_POLL_MS = 1000;

export class RuntimeEnvs {
  private readonly copies = new Map<string, Copy>();
  private readonly byObject = new Map<string, string>();
  /** Timings of the last setup (for the benchmark and the node's log). */
  readonly timings = new Map<string, { pullMs: number; unpackMs: number; installMs: number }>();
  readonly root: string;
  private readonly codeDir: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: RuntimeEnvHost) {
    this.root = path.join(host.options.sessionDir, 'runtime-envs');
    this.codeDir = path.join(this.root, 'code');
  }

  /** The working dir of `descriptorJson` on this node, set up first if need be. */
  async prepare(descriptorJson: string): Promise<PreparedEnv> {
    const d = decodeDescriptor(descriptorJson);
    fs.mkdirSync(this.codeDir, { recursive: true });
    if (d.dir !== undefined) return { dir: d.dir, codeDir: this.codeDir };
    const hash = d.hash as string;
    let copy = this.copies.get(hash);
    if (copy?.ending) {
      // A new job with the same files: keep the copy.
      copy.ending = undefined;
      copy.objectId = d.objectId ?? copy.objectId;
      this.byObject.set(copy.objectId, hash);
    }
    if (!copy) {
      copy = { ready: this.setUp(hash, d.objectId ?? '', d.installTimeoutMs), objectId: d.objectId ?? '' };
      this.copies.set(hash, copy);
      this.byObject.set(copy.objectId, hash);
    }
    return { dir: await copy.ready, codeDir: this.codeDir };
  }

  private async setUp(hash: string, objectId: string, installTimeoutMs: number): Promise<string> {
    const dir = path.join(this.root, hash.slice(0, 16));
    const where = `node ${this.host.nodeId} (${this.host.options.address})`;
    const t0 = performance.now();
    const [result] = await this.host.resolveObjects([objectId]);
    if (!result || result.error) {
      throw new RuntimeEnvError(
        `${where} could not fetch the job's working dir (object ${objectId}): ${result?.error?.message ?? 'missing'}`,
      );
    }
    const bytes = deserialize(result.value as SerializedValue, {
      ref: () => undefined,
      actor: () => undefined,
    }) as Uint8Array;
    const t1 = performance.now();
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    try {
      try {
        extractArchive(bytes, tmp, hash);
      } catch (error) {
        throw new RuntimeEnvError(
          `${where} could not unpack the job's working dir: ${(error as Error).message}`,
        );
      }
      const t2 = performance.now();
      let installMs = 0;
      const key = dependencyKey(tmp);
      // Packages are installed once per dependency key (package.json's dependencies and the
      // lockfile) and kept apart, so a new version of the job's code does not install again.
      const shared =
        key === undefined ? undefined : path.join(this.root, 'deps', key.slice(0, 16), 'node_modules');
      try {
        if (!shared || !fs.existsSync(shared))
          installMs = (await installDependencies(tmp, installTimeoutMs)).ms;
        if (shared) shareModules(path.join(tmp, 'node_modules'), shared);
      } catch (error) {
        throw new RuntimeEnvError(
          `${where} could not install the npm dependencies of the job's working dir: ${(error as Error).message}`,
        );
      }
      fs.renameSync(tmp, dir);
      this.timings.set(hash, { pullMs: t1 - t0, unpackMs: t2 - t1, installMs });
      return dir;
    } catch (error) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * An object was freed on this node: when it is a job's archive, that job has ended, and
   * its copy goes once the tasks and actors running now are over.
   */
  objectFreed(id: string): void {
    const hash = this.byObject.get(id);
    if (hash === undefined) return;
    this.byObject.delete(id);
    const copy = this.copies.get(hash);
    if (!copy || copy.objectId !== id) return;
    copy.ending = new Set(this.host.busyIds());
    this.scheduleRemoval();
  }

  private scheduleRemoval(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.removeEnded();
    }, REMOVE_POLL_MS);
    this.timer.unref();
  }

  /** Removes the copies of ended jobs whose tasks are over; returns how many remain to remove. */
  removeEnded(): number {
    const busy = new Set(this.host.busyIds());
    let waiting = 0;
    for (const [hash, copy] of this.copies) {
      if (!copy.ending) continue;
      for (const id of copy.ending) if (!busy.has(id)) copy.ending.delete(id);
      if (copy.ending.size > 0) {
        waiting++;
        continue;
      }
      this.copies.delete(hash);
      void copy.ready.then(
        (dir) => fs.rmSync(dir, { recursive: true, force: true }),
        () => {},
      );
    }
    if (waiting > 0) this.scheduleRemoval();
    return waiting;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/**
 * Moves a fresh install to the shared folder of its dependency key (if none is there yet)
 * and links the copy's node_modules to it: Node resolves the link to the shared files, and
 * their own dependencies from there.
 */
function shareModules(own: string, shared: string): void {
  if (!fs.existsSync(shared) && fs.existsSync(own)) {
    fs.mkdirSync(path.dirname(shared), { recursive: true });
    try {
      fs.renameSync(own, shared);
    } catch {
      // another copy with the same dependencies got there first: use its packages
    }
  }
  fs.rmSync(own, { recursive: true, force: true });
  fs.symlinkSync(shared, own, 'dir');
}
