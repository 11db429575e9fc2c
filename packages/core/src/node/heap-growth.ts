import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full GC found alive, in
 * percent (V8's `--heap-growing-percent`). V8 picks up to 300% on its own while GC is cheap
 * next to the program's work, which is when a node queues a million small tasks: a process
 * with 450 MiB alive peaked at 2.6 GiB. At 40% it peaked at 1.1 GiB and ran no slower (its
 * full GCs have less to sweep); see docs/architecture.md, "What a task costs in memory".
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 40;

let holders = 0;
let applied = false;

/** The percent to use: DE2_HEAP_GROWING_PERCENT (0: V8's own policy), else the default. */
function wanted(): number {
  const raw = process.env.DE2_HEAP_GROWING_PERCENT;
  const n = raw === undefined || raw === '' ? DEFAULT_HEAP_GROWING_PERCENT : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : DEFAULT_HEAP_GROWING_PERCENT;
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
  holders++;
  if (holders === 1 && !setByUser()) {
    const percent = wanted();
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
