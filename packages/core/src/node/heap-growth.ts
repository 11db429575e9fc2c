import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full GC found alive, in
 * percent (V8's `--heap-growing-percent`). V8 picks up to 300% on its own while GC is cheap
 * next to the program's work, which is when a node queues a million small tasks: a process
 * with 450 MiB alive peaked at 2.6 GiB. At 25% it peaked under 1 GB and ran no slower (its
 * full GCs have less to sweep); see docs/architecture.md, "What a task costs in memory".
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 25;

let holders = 0;
let applied = false;

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
 * Caps V8's heap growth while a node runtime lives in this process (embedded, a driver, a
 * de2-node); the returned function lifts it when the last one ends, so a driver's own work
 * after `shutdown()` runs under V8's default again.
 */
export function holdHeapGrowthCap(): () => void {
  const percent = heapGrowingPercent(); // a bad setting fails here, before anything is held
  holders++;
  if (holders === 1 && !setByUser()) {
    if (percent > 0) {
      v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
      applied = true;
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders > 0 || !applied) return;
    v8.setFlagsFromString('--heap-growing-percent=0');
    applied = false;
  };
}
