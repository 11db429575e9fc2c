import { init, isInitialized, shutdown } from '@de2/core';

/**
 * Starts an embedded de2 runtime when the program has not called `init()` (as Ray Tune
 * starts Ray); the returned function shuts it down again only in that case.
 */
export async function ensureRuntime(): Promise<() => Promise<void>> {
  if (isInitialized()) return async () => {};
  await init();
  return async () => {
    await shutdown();
  };
}
