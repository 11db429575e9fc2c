/**
 * The node's memory monitor, as Ray's: when the node process nears its memory limit, it
 * ends one task (the newest retriable one, else the newest) with OutOfMemoryError, so
 * that the process never dies of what its tasks hold. It measures the process's resident
 * memory minus the object store's bytes in memory (the store bounds those itself, by
 * spilling), from the main thread, which stays free while worker threads run synchronous
 * code.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Share of the limit at which a task is ended (Ray's memory_usage_threshold). */
export const MEMORY_USAGE_THRESHOLD = 0.95;
const POLL_MS = 100;

/** A running task as the monitor sees it. */
export interface MemoryVictim {
  readonly taskId: string;
  /** When it started on its thread (performance.now()); undefined while it waits for arguments. */
  readonly startedAt: number | undefined;
  readonly retriable: boolean;
  /** Ends the task with `message` and stops its thread; resolves once the thread is gone. */
  endForMemory(message: string): Promise<void>;
}

export interface MemoryMonitorOptions {
  limitBytes: number;
  /** The bytes the limit applies to, now. */
  usedBytes: () => number;
  running: () => Iterable<MemoryVictim>;
  /**
   * Gives back memory the node keeps for reuse (the store pool's free blocks) before a task
   * is ended; returns the bytes given. A poll that got some back ends nothing and measures
   * again at the next one.
   */
  relieve?: () => number;
}

/** The victim Ray's policy picks: the newest retriable task, else the newest task. */
export function pickVictim(tasks: Iterable<MemoryVictim>): MemoryVictim | undefined {
  let best: MemoryVictim | undefined;
  for (const t of tasks) {
    if (t.startedAt === undefined) continue;
    if (
      !best ||
      (t.retriable && !best.retriable) ||
      (t.retriable === best.retriable && t.startedAt > (best.startedAt ?? 0))
    ) {
      best = t;
    }
  }
  return best;
}

export class MemoryMonitor {
  private readonly timer: NodeJS.Timeout;
  /** While a task is being ended, no other is: its memory has not been given back yet. */
  private ending = false;

  constructor(private readonly options: MemoryMonitorOptions) {
    this.timer = setInterval(() => this.poll(), POLL_MS);
    this.timer.unref();
  }

  private poll(): void {
    if (this.ending) return;
    const { limitBytes } = this.options;
    const used = this.options.usedBytes();
    if (used < limitBytes * MEMORY_USAGE_THRESHOLD) return;
    if ((this.options.relieve?.() ?? 0) > 0) return;
    const victim = pickVictim(this.options.running());
    if (!victim) return;
    const mib = (b: number) => Math.round(b / 2 ** 20);
    this.ending = true;
    const message =
      `the node's memory monitor ended this task: the node used ${mib(used)} MiB, over ` +
      `${MEMORY_USAGE_THRESHOLD * 100}% of its memory limit of ${mib(limitBytes)} MiB ` +
      `(--memory / init({ memory })), and this was the newest ${victim.retriable ? 'retriable ' : ''}task ` +
      `running; give the node more memory, run fewer such tasks at once (options.memory reserves ` +
      `it), or give the task a memory budget`;
    void victim.endForMemory(message).finally(() => {
      this.ending = false;
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The cgroup v2 memory limit of this process, if it has one. */
function cgroupLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (!line) return undefined;
    const raw = readFileSync(`/sys/fs/cgroup${line.slice(3)}/memory.max`, 'utf8').trim();
    const bytes = Number(raw);
    return Number.isFinite(bytes) && bytes > 0 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** The machine's memory as a node sees it: RAM, or the cgroup's limit when that is smaller. */
export function availableMemory(): number {
  const ram = os.totalmem();
  const cgroup = cgroupLimit();
  return cgroup !== undefined && cgroup < ram ? cgroup : ram;
}

/** The object store's default capacity: 30% of the node's memory, as Ray's. */
export function defaultObjectStoreMemory(): number {
  return Math.floor(availableMemory() * 0.3);
}

/** The default `memory` of a node: what the object store leaves. */
export function defaultNodeMemory(objectStoreMemory: number): number {
  return Math.max(0, availableMemory() - objectStoreMemory);
}
