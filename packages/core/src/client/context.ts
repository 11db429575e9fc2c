import type { ActorInfo } from '../protocol/messages.js';
import type { CoreClient } from './client.js';

/**
 * The one client of this thread: the driver's after `init()`, or the worker thread's.
 * The public API always goes through it.
 */
let current: CoreClient | undefined;
let actorFactory: ((info: ActorInfo) => unknown) | undefined;

export function setClient(client: CoreClient | undefined): void {
  current = client;
}

export function currentClient(): CoreClient | undefined {
  return current;
}

/** The API module registers how actor handles are built (keeps client/ free of api/ imports). */
export function setActorFactory(factory: (info: ActorInfo) => unknown): void {
  actorFactory = factory;
}

export function makeActorHandle(info: ActorInfo): unknown {
  if (!actorFactory) throw new Error('de2: actor handles are not available before the API is loaded');
  return actorFactory(info);
}
