/**
 * A node stuck this long (its oldest queued task has not started) gives its queued tasks
 * back to the head. Pipelined tasks are quick (about PIPELINE_BUDGET_MS of work per CPU is
 * queued, see scheduler/pipeline-depth.ts), so a wait this long means a call that runs far
 * longer than its function usually does holds every CPU of the node.
 */
export const GIVE_BACK_AFTER_MS = 20;

interface Waiting {
  start: (run: boolean) => void;
  since: number;
}

/**
 * The node's one-CPU tasks wait here for a CPU, not on a worker thread: a task handed to a
 * thread would wait behind that thread's task even when another thread is idle (Piscina
 * gives each task a thread when it is submitted, see task-pools.ts). At most `cpus` of them
 * run at once, and the first CPU that frees takes the oldest. A task that waits in
 * `get`/`wait` gives its CPU up (as it does in the head), so its children can run.
 *
 * When every CPU stays busy for GIVE_BACK_AFTER_MS while tasks wait, the waiting tasks go
 * back to the head (`giveBack`), which places them on a node with a free CPU.
 */
export class CpuQueue {
  private active = 0;
  /** In arrival order (a Map keeps insertion order and drops one in O(1)). */
  private readonly waiting = new Map<string, Waiting>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cpus: number,
    private readonly giveBack: (taskIds: string[]) => void,
    private readonly giveBackAfterMs = GIVE_BACK_AFTER_MS,
  ) {}

  /**
   * `true` (or a promise of it) once the task may start; `false` if it was given back to the
   * head or dropped while it waited (it must then not run here, nor be reported finished).
   */
  take(taskId: string): true | Promise<boolean> {
    if (this.active < this.cpus && this.waiting.size === 0) {
      this.active++;
      return true;
    }
    return new Promise((start) => {
      this.waiting.set(taskId, { start, since: performance.now() });
      this.arm();
    });
  }

  /** The task ended, or waits in get/wait: its CPU goes to the oldest waiting task. */
  release(): void {
    this.active--;
    while (this.active < this.cpus && this.waiting.size > 0) {
      const [taskId, next] = this.waiting.entries().next().value as [string, Waiting];
      this.waiting.delete(taskId);
      this.active++;
      next.start(true);
    }
  }

  /** The task runs again after get/wait: it counts at once (over `cpus` for a while, as in the head). */
  reacquire(): void {
    this.active++;
  }

  /** Takes a waiting task out (cancelled); false if it was not waiting. */
  drop(taskId: string): boolean {
    const waiting = this.waiting.get(taskId);
    if (!waiting) return false;
    this.waiting.delete(taskId);
    waiting.start(false);
    return true;
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(this.check, this.giveBackAfterMs);
    this.timer.unref();
  }

  private readonly check = (): void => {
    this.timer = undefined;
    const oldest = this.waiting.values().next().value;
    if (!oldest) return;
    const waited = performance.now() - oldest.since;
    if (waited < this.giveBackAfterMs) {
      this.timer = setTimeout(this.check, this.giveBackAfterMs - waited);
      this.timer.unref();
      return;
    }
    const taskIds = [...this.waiting.keys()];
    const starts = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiting of starts) waiting.start(false);
    this.giveBack(taskIds);
  };

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
