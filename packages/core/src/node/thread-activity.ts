import { STEAL_AFTER_MS } from './cpu-queue.js';
import type { TaskControl } from './node-services.js';

/**
 * What the node's CPU queue and thread choice ask about the tasks on its threads: which
 * threads are busy, and whether one has run the same call for a while.
 */
export class ThreadActivity {
  constructor(private readonly running: ReadonlyMap<string, TaskControl>) {}

  /** Threads that run a one-CPU task now (see idleFirst in task-pools.ts). */
  busyThreads(): Set<number> {
    // Asked for each task handed out while every thread has some: once per turn of the event
    // loop is enough (a burst of tasks is handed out in one turn), and keeps it off the hot path.
    if (this.busyCache) return this.busyCache;
    const busy = new Set<number>();
    for (const control of this.running.values()) {
      const thread = control.busyThread;
      if (thread > 0) busy.add(thread);
    }
    this.busyCache = busy;
    setImmediate(() => (this.busyCache = undefined)).unref();
    return busy;
  }
  private busyCache: Set<number> | undefined;

  /**
   * Whether a thread has been running the same one-CPU task since the previous call or
   * longer (the CPU queue asks every STEAL_AFTER_MS while tasks are on the threads).
   */
  longCall(): boolean {
    const now = performance.now();
    let long = false;
    for (const control of this.running.values()) {
      if (control.busyThread === 0) {
        control.busySince = undefined;
        continue;
      }
      control.busySince ??= now;
      if (now - control.busySince >= STEAL_AFTER_MS) long = true;
    }
    return long;
  }
}
