import { setTimeout as sleep } from 'node:timers/promises';
import { ProvisionError } from './errors.js';

/** The reason of an `up`/`add-workers` stopped through `options.signal` (Ctrl-C in the CLI). */
export const INTERRUPTED = 'interrupted';

/** Throws if the operation was asked to stop: the caller then deletes what it created. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ProvisionError(INTERRUPTED);
}

/** Waits between polls, returning early (by throwing) when the operation is asked to stop. */
export async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal === undefined ? {} : { signal });
  } catch (e) {
    if (signal?.aborted) throw new ProvisionError(INTERRUPTED);
    throw e;
  }
}
