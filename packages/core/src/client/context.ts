import type { CoreClient } from './client.js';

/**
 * The one client of this thread: the driver's after `init()`, or the worker thread's.
 * The public API always goes through it.
 */
let current: CoreClient | undefined;

export function setClient(client: CoreClient | undefined): void {
  current = client;
}

export function currentClient(): CoreClient | undefined {
  return current;
}
