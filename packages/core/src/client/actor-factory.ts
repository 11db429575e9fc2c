import type { ActorInfo } from '../protocol/messages.js';

/**
 * How actor handles are built: the API module registers it, the client calls it when a
 * reply carries an actor. Keeps client/ free of api/ imports (and apart from context.ts,
 * which imports the client).
 */
let actorFactory: ((info: ActorInfo) => unknown) | undefined;

export function setActorFactory(factory: (info: ActorInfo) => unknown): void {
  actorFactory = factory;
}

export function makeActorHandle(info: ActorInfo): unknown {
  if (!actorFactory) throw new Error('de2: actor handles are not available before the API is loaded');
  return actorFactory(info);
}
