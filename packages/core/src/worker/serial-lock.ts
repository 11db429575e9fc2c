/**
 * Runs one-CPU tasks one at a time on this thread, in arrival order. The head may place a
 * few more of them on the node than it has CPUs (scheduler/pipeline-depth.ts); they wait
 * here instead of in the head, so the thread starts the next one as soon as one ends.
 * A task that waits in `get`/`wait` gives the lock up (as it gives its CPU up), so
 * children queued behind it on this thread can run.
 */
export class SerialLock {
  private held = false;
  private readonly waiting: (() => void)[] = [];

  acquire(): Promise<void> | undefined {
    if (!this.held) {
      this.held = true;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held = false;
  }
}
