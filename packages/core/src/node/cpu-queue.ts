/**
 * A node stuck this long (its oldest queued task has not started) gives its queued tasks
 * back to the head. Pipelined tasks are quick (about PIPELINE_BUDGET_MS of work per CPU is
 * queued, see scheduler/pipeline-depth.ts), so a wait this long means a call that runs far
 * longer than its function usually does holds every CPU of the node.
 */
export const GIVE_BACK_AFTER_MS = 20;
/**
 * Tasks handed to the threads beyond one per CPU: each thread has its next task at hand
 * when one ends, instead of waiting for the node's main thread (which, embedded, is also the
 * driver's and the head's). Without it, tiny tasks run at about half the rate.
 */
export const PREFETCH_PER_CPU = 16;
/**
 * A task handed to a thread that has not started it this long (it waits behind a long call
 * on that thread) is taken back (running-table.ts `steal`) and handed out again.
 */
export const STEAL_AFTER_MS = 10;

interface HandedOver {
  since: number;
  /** Takes the task back if no thread started it; true if it did. */
  steal: () => boolean;
}

interface Waiting {
  start: (run: boolean) => void;
  since: number;
}

/**
 * The node's one-CPU tasks: at most `cpus` x (1 + PREFETCH_PER_CPU) are on the threads at
 * once, the rest wait here, oldest first. Piscina gives each task a thread when it is
 * submitted (see task-pools.ts), so a task on a thread can end up behind that thread's long
 * call while another thread is idle: one that no thread has started within STEAL_AFTER_MS
 * is taken back (`handedOver`, `takeBack`) and handed to an idle thread, or waits here for
 * a CPU. A task that waits in `get`/`wait` gives its place up (as it gives its CPU up in the
 * head), so its children can run.
 *
 * When tasks wait here GIVE_BACK_AFTER_MS and none starts (every CPU stays busy), they go
 * back to the head (`giveBack`), which places them on a node with a free CPU.
 */
export class CpuQueue {
  private active = 0;
  /** In arrival order (a Map keeps insertion order and drops one in O(1)). */
  private readonly waiting = new Map<string, Waiting>();
  private timer: NodeJS.Timeout | undefined;
  /** Tasks handed to a thread and not known to have started. */
  private readonly handed = new Set<HandedOver>();
  private stealTimer: NodeJS.Timeout | undefined;
  private readonly limit: number;

  constructor(
    private readonly cpus: number,
    private readonly giveBack: (taskIds: string[]) => void,
    /** How many threads run a one-CPU task now (not one waiting in get). */
    private readonly busyThreads: () => number = () => 0,
    /** Whether a thread has run the same task since the last check or longer (a long call). */
    private readonly longCall: () => boolean = () => this.busyThreads() > 0,
    private readonly giveBackAfterMs = GIVE_BACK_AFTER_MS,
  ) {
    this.limit = cpus * (1 + PREFETCH_PER_CPU);
  }

  /**
   * `true` (or a promise of it) once the task may start; `false` if it was given back to the
   * head or dropped while it waited (it must then not run here, nor be reported finished).
   */
  take(taskId: string): true | Promise<boolean> {
    if (this.active < this.limit && this.waiting.size === 0) {
      this.active++;
      return true;
    }
    return this.wait(taskId, false);
  }

  /**
   * A task taken back from a thread that had not started it: handed out again at once if a
   * thread is idle, else it waits first in line for a CPU that frees (or goes back to the
   * head with the others), rather than going to a thread that is just as busy.
   */
  takeBack(taskId: string): true | Promise<boolean> {
    if (this.busyThreads() < this.cpus) return true;
    this.active--;
    return this.wait(taskId, true);
  }

  private wait(taskId: string, first: boolean): Promise<boolean> {
    return new Promise((start) => {
      const waiting = { start, since: performance.now() };
      if (first) {
        const rest = [...this.waiting];
        this.waiting.clear();
        this.waiting.set(taskId, waiting);
        for (const [id, w] of rest) this.waiting.set(id, w);
      } else this.waiting.set(taskId, waiting);
      this.arm();
    });
  }

  /**
   * The task went to a thread: `steal` is tried if it has not started STEAL_AFTER_MS later.
   * Call the returned function when the thread answers.
   */
  handedOver(steal: () => boolean): () => void {
    const entry = { since: performance.now(), steal };
    this.handed.add(entry);
    if (!this.stealTimer) {
      this.stealTimer = setTimeout(this.stealCheck, STEAL_AFTER_MS);
      this.stealTimer.unref();
    }
    return () => this.handed.delete(entry);
  }

  private readonly stealCheck = (): void => {
    this.stealTimer = undefined;
    const now = performance.now();
    // Only behind a long call: with no thread running anything, a task not started yet waits
    // for a thread that is starting (after a crash, or at first); with only quick tasks
    // running, it waits behind a few of them on a loaded machine, and moving it costs more.
    const stuck = this.longCall();
    for (const entry of stuck ? this.handed : []) {
      if (now - entry.since < STEAL_AFTER_MS) continue;
      // Started (nothing to take back) or taken back: either way no longer watched.
      this.handed.delete(entry);
      entry.steal();
    }
    if (this.handed.size > 0) {
      this.stealTimer = setTimeout(this.stealCheck, STEAL_AFTER_MS);
      this.stealTimer.unref();
    }
  };

  /** The task ended, or waits in get/wait: its CPU goes to the oldest waiting task. */
  release(): void {
    this.active--;
    while (this.active < this.limit && this.waiting.size > 0) {
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
    if (this.stealTimer) clearTimeout(this.stealTimer);
    this.timer = undefined;
    this.stealTimer = undefined;
  }
}
