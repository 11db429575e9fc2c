import { readFileSync } from 'node:fs';

/** True while process `pid` exists (EPERM: it exists but belongs to someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True if `pid` still runs de2-node (and is not a new process that reused the id). */
export function isOurNode(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('de2-node');
  } catch {
    return true; // no /proc (macOS): trust the pid
  }
}
