import v8 from 'node:v8';
import { collectGarbage } from '../object-store/pool-block.js';

/**
 * How far V8 lets the old generation grow past what the last full GC found alive, in
 * percent (V8's `--heap-growing-percent`). V8 picks up to 300% on its own while GC is cheap
 * next to the program's work, which is when a node queues a million small tasks: a process
 * with 450 MiB alive peaked at 2.6 GiB. At 25% it peaked under 1 GB and ran no slower (its
 * full GCs have less to sweep). It applies only to a large heap (CAP_ABOVE_BYTES); see
 * docs/architecture.md, "What a task costs in memory".
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 25;

/**
 * The percent to use: DE2_HEAP_GROWING_PERCENT (0: V8's own policy), else the default. The
 * ways a node starts call it first, so that a bad setting fails before anything runs.
 */
export function heapGrowingPercent(): number {
  const raw = process.env.DE2_HEAP_GROWING_PERCENT;
  if (raw === undefined || raw === '') return DEFAULT_HEAP_GROWING_PERCENT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(
      `DE2_HEAP_GROWING_PERCENT must be a whole number of percent, 0 or more (0 leaves V8's own policy), got "${raw}"`,
    );
  return n;
}

/** The process chose its own (node --heap-growing-percent=..., or in NODE_OPTIONS): keep it. */
function setByUser(): boolean {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  return /heap[-_]growing[-_]percent/.test(flags);
}

/**
 * The cap applies while the heap holds more than CAP_ABOVE_BYTES, and is lifted below
 * LIFT_BELOW_BYTES. A small heap under the cap is collected far more often for nothing: the
 * async no-op tasks of bench:core ran 0.8x as fast with it always on.
 */
export const CAP_ABOVE_BYTES = 256 * 2 ** 20;
export const LIFT_BELOW_BYTES = 128 * 2 ** 20;
/** How often the heap's size is looked at (v8.getHeapStatistics: about a microsecond). */
const CHECK_MS = 200;

/** Node runtimes of this process holding the cap; the percent they hold it at (0: none). */
let holders = 0;
let percent = 0;
/** Whether V8 runs under the cap now. */
let applied = false;
let timer: NodeJS.Timeout | undefined;

function setCap(on: boolean): void {
  if (on === applied) return;
  v8.setFlagsFromString(`--heap-growing-percent=${on ? percent : 0}`);
  applied = on;
  // V8 sets its next limit at each full GC: without one now, the limit it set while the heap
  // grew uncapped (a synchronous loop submitting a million tasks runs no timer) stands, and
  // a million queued tasks peaked at 1.5 GiB. One full GC each time the heap crosses the
  // bound (about 0.2 s at 300 MiB alive).
  if (on) collectGarbage();
}

/** Applies or lifts the cap for a heap of `usedBytes`; whether it applies now. */
export function steerHeapGrowth(usedBytes: number): boolean {
  if (holders === 0 || percent === 0) return false;
  if (usedBytes > CAP_ABOVE_BYTES) setCap(true);
  else if (usedBytes < LIFT_BELOW_BYTES) setCap(false);
  return applied;
}

/**
 * Caps V8's heap growth while a node runtime lives in this process (embedded, a driver, a
 * de2-node) and its heap is large; the returned function ends the hold, and the cap goes
 * when the last one ends, so a driver's own work after `shutdown()` runs under V8's default.
 */
export function holdHeapGrowthCap(): () => void {
  const wanted = heapGrowingPercent(); // a bad setting fails here, before anything is held
  holders++;
  if (holders === 1) {
    percent = setByUser() ? 0 : wanted;
    if (percent > 0) {
      timer = setInterval(() => steerHeapGrowth(v8.getHeapStatistics().used_heap_size), CHECK_MS);
      timer.unref();
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders > 0) return;
    clearInterval(timer);
    timer = undefined;
    setCap(false);
    percent = 0;
  };
}
