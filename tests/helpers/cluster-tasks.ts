/** Remote functions that several cluster tests use to see where and when work runs. */
import { remote } from '@de2/core';

/**
 * Leaves a marker `<pid>-<label>-<random>` in `dir` when it starts (see markers.ts), then
 * keeps its CPU busy for `ms`: it is running when the test kills or freezes its node.
 */
export const work = remote(async (dir: string, label: string, ms: number) => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  fs.writeFileSync(path.join(dir, `${process.pid}-${label}-${Math.random().toString(36).slice(2)}`), '');
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy on purpose
  }
  return { label, pid: process.pid };
});

/** Holds a CPU of its node until `file` exists (the test creates it): a busy node, no sleeps. */
export const holdUntil = remote(async (file: string) => {
  const fs = await import('node:fs');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + 60_000;
  while (!fs.existsSync(file) && Date.now() < end) Atomics.wait(pause, 0, 0, 10);
  return process.pid;
});

/** The process a task ran in: which node, on loopback where every node is 127.0.0.1. */
export const pidOf = remote(() => process.pid);

/** An `n`-element Float64Array filled with `value`, made on whichever node runs it. */
export const make = remote((n: number, value: number) => new Float64Array(n).fill(value));
