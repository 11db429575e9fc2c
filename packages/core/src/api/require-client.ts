import type { CoreClient } from '../client/client.js';
import { currentClient } from '../client/context.js';
import { NotInitializedError } from '../errors/errors.js';

/** The client of this thread; throws if `init()` has not run (on a worker it always has). */
export function requireClient(): CoreClient {
  const client = currentClient();
  if (!client) throw new NotInitializedError('de2 is not initialized: call `await init()` first');
  return client;
}
