import { setActorFactory } from '../client/actor-factory.js';
import { TaskKind, type ActorInfo } from '../protocol/messages.js';
import { serializeArgs } from '../serialization/values.js';
import { ACTOR_HANDLE, type ObjectRef } from '../protocol/object-ref.js';
import { resolveActorOptions, type ActorOptions, type ResolvedActorOptions } from './options.js';
import { refId, type ShippedCode } from './remote-function.js';
import { requireClient } from './require-client.js';
import type { ActorHandle, AnyClass, RemoteArgs } from './types.js';

/** Method names of a class, own and inherited (not `constructor`). */
export function methodNamesOf(cls: AnyClass): string[] {
  const names = new Set<string>();
  for (let p: unknown = cls.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, key);
      if (key !== 'constructor' && typeof d?.value === 'function') names.add(key);
    }
  }
  return [...names];
}

/**
 * A class whose instances are actors: `Cls.remote(...ctorArgs)` starts one on its own
 * worker thread and returns its handle. Made by `remote(Class, options)`.
 *
 * @example
 * ```ts
 * const Counter = remote(class { n = 0; inc(k = 1) { return (this.n += k); } });
 * const c = Counter.remote();
 * await get(c.inc.remote(2)); // 2
 * ```
 */
export class ActorClass<C extends AnyClass> {
  private readonly resolved: ResolvedActorOptions;

  /** @internal use `remote(Class)` */
  constructor(
    private readonly code: ShippedCode,
    private readonly methodNames: string[],
    private readonly rawOptions: ActorOptions,
  ) {
    this.resolved = resolveActorOptions(rawOptions);
  }

  /** Starts an actor; calls made on the handle before it is up wait for it. */
  remote(...args: RemoteArgs<ConstructorParameters<C>>): ActorHandle<InstanceType<C>> {
    const client = requireClient();
    const o = this.resolved;
    const functionHash = client.registerFunction(this.code.hash, this.code.source, this.code.name);
    const encoded = serializeArgs(args, refId, `new ${this.code.name}`);
    const actorId = client.newId('a');
    client.submit({
      taskId: `${actorId}.create`,
      kind: TaskKind.actorCreate,
      functionHash,
      name: this.code.name,
      ...encoded,
      returnIds: [],
      ownerId: client.clientId,
      numCpus: o.numCpus,
      memory: o.memory,
      resources: o.resources,
      maxRetries: 0,
      retryExceptions: false,
      actorId,
      method: '',
      actorName: o.name,
      maxRestarts: o.maxRestarts,
      maxTaskRetries: o.maxTaskRetries,
      maxConcurrency: o.maxConcurrency,
      methodNames: this.methodNames,
      scheduling: o.scheduling,
    });
    const info: ActorInfo = {
      actorId,
      name: o.name,
      className: this.code.name,
      methodNames: this.methodNames,
    };
    return createActorHandle(info) as ActorHandle<InstanceType<C>>;
  }

  /** A copy with some options changed (e.g. `{ name }` for a named actor). */
  options(options: ActorOptions): ActorClass<C> {
    return new ActorClass<C>(this.code, this.methodNames, { ...this.rawOptions, ...options });
  }
}

function callMethod(info: ActorInfo, method: string, args: readonly unknown[]): ObjectRef {
  const client = requireClient();
  const name = `${info.className}.${method}`;
  const encoded = serializeArgs(args, refId, name);
  const taskId = client.newId('c');
  const returnId = `${taskId}.0`;
  const ref = client.makeRef(returnId, client.clientId);
  client.submit({
    taskId,
    kind: TaskKind.actorCall,
    functionHash: '',
    name,
    ...encoded,
    returnIds: [returnId],
    ownerId: client.clientId,
    numCpus: 0,
    memory: 0,
    resources: {},
    maxRetries: 0,
    retryExceptions: false,
    actorId: info.actorId,
    method,
    actorName: '',
    maxRestarts: 0,
    maxTaskRetries: 0,
    maxConcurrency: 1,
    methodNames: [],
    scheduling: '',
  });
  return ref;
}

/** Builds the handle object: one `{ remote }` per method, and the actor's info under a symbol. */
export function createActorHandle(info: ActorInfo): unknown {
  const handle: Record<string | symbol, unknown> = { [ACTOR_HANDLE]: info, actorId: info.actorId };
  for (const method of info.methodNames) {
    handle[method] = Object.freeze({ remote: (...args: unknown[]) => callMethod(info, method, args) });
  }
  return Object.freeze(handle);
}

/** The actor info behind a handle, or undefined if it is not one. */
export function actorInfoOf(handle: unknown): ActorInfo | undefined {
  if (handle === null || typeof handle !== 'object' || !(ACTOR_HANDLE in handle)) return undefined;
  return (handle as { [ACTOR_HANDLE]: ActorInfo })[ACTOR_HANDLE];
}

setActorFactory(createActorHandle);
