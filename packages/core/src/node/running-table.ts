/**
 * Which worker thread runs which task, in shared memory: the node gives each task a slot,
 * the worker thread writes its threadId there when it starts the task. Force-cancel reads
 * the slot to find the thread to terminate, or marks it so the task never starts. This
 * costs no message per task (the task benchmark depends on that).
 */
export const SLOT_FREE = 0;
/** Cancelled before any thread started it. */
export const SLOT_CANCELLED = -1;
/** No slot was free: the task runs but cannot be force-cancelled. */
export const NO_SLOT = -1;

const SLOTS = 1 << 16;

export class RunningTable {
  readonly buffer = new SharedArrayBuffer(SLOTS * 4);
  private readonly cells = new Int32Array(this.buffer);
  private readonly free: number[] = [];
  private next = 0;

  acquire(): number {
    const slot = this.free.pop() ?? (this.next < SLOTS ? this.next++ : NO_SLOT);
    if (slot !== NO_SLOT) Atomics.store(this.cells, slot, SLOT_FREE);
    return slot;
  }

  release(slot: number): void {
    if (slot === NO_SLOT) return;
    Atomics.store(this.cells, slot, SLOT_FREE);
    this.free.push(slot);
  }

  /** Before a retry: the slot's old thread is gone. */
  reset(slot: number): void {
    if (slot !== NO_SLOT && Atomics.load(this.cells, slot) !== SLOT_CANCELLED)
      Atomics.store(this.cells, slot, SLOT_FREE);
  }

  /** The thread that runs the slot's task, or 0 if none has started it. */
  threadOf(slot: number): number {
    if (slot === NO_SLOT) return 0;
    return Math.max(0, Atomics.load(this.cells, slot));
  }

  /**
   * Takes a task back from the thread it was handed to, if that thread has not started it:
   * the slot is marked so that the thread skips it. False if a thread started it already.
   */
  steal(slot: number): boolean {
    if (slot === NO_SLOT) return false;
    return Atomics.compareExchange(this.cells, slot, SLOT_FREE, SLOT_CANCELLED) === SLOT_FREE;
  }

  /** Marks the slot cancelled; returns the thread running it, or 0 if none started it yet. */
  cancel(slot: number): number {
    if (slot === NO_SLOT) return 0;
    const prev = Atomics.compareExchange(this.cells, slot, SLOT_FREE, SLOT_CANCELLED);
    return prev > 0 ? prev : 0;
  }
}

/** Worker side: claim the slot for this thread; false if the task was cancelled already. */
export function claimSlot(cells: Int32Array, slot: number, threadId: number): boolean {
  if (slot === NO_SLOT) return true;
  return Atomics.compareExchange(cells, slot, SLOT_FREE, threadId) !== SLOT_CANCELLED;
}
