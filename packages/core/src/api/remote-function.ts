import { createHash } from 'node:crypto';
import { TaskKind } from '../protocol/messages.js';
import { specMaker, type SpecMaker } from '../protocol/task-spec.js';
import { serializeArgs } from '../serialization/values.js';
import { ObjectRef } from '../protocol/object-ref.js';
import { resolveRemoteOptions, type RemoteOptions, type ResolvedRemoteOptions } from './options.js';
import { flat } from '../client/client.js';
import { requireClient } from './require-client.js';
import type { AnyFunction, RemoteArgs, RemoteReturn } from './types.js';

/** Source, hash and name of a function or class that travels by source. */
export interface ShippedCode {
  source: string;
  hash: string;
  name: string;
}

export function ship(code: AnyFunction | (abstract new (...args: never[]) => unknown)): ShippedCode {
  const source = Function.prototype.toString.call(code);
  if (source.includes('[native code]'))
    throw new TypeError(`${code.name || 'the function'} is native and cannot be sent`);
  const hash = createHash('sha1').update(source).digest('hex');
  return { source, hash, name: code.name || 'anonymous' };
}

export const refId = (v: unknown): string | undefined => (v instanceof ObjectRef ? v.id : undefined);

/** A task's `methodNames` (only actor creations have some): shared, never changed. */
const NO_METHODS = Object.freeze([]) as readonly string[] as string[];

/**
 * A function that runs as tasks on worker threads: `f.remote(...args)` returns refs at
 * once. Made by `remote(fn, options)`.
 *
 * @example
 * ```ts
 * const add = remote((a: number, b: number) => a + b);
 * await get(add.remote(1, put(2))); // 3
 * ```
 */
export class RemoteFunction<F extends AnyFunction, N extends number = 1> {
  private readonly resolved: ResolvedRemoteOptions;

  /** @internal use `remote(fn)` */
  constructor(
    private readonly code: ShippedCode,
    private readonly rawOptions: RemoteOptions,
  ) {
    this.resolved = resolveRemoteOptions(rawOptions, code.name);
  }

  private maker: { key: string; make: SpecMaker } | undefined;

  /** The driver's specs of this function share one template (protocol/task-spec.ts). */
  private specMakerFor(ownerId: string, functionHash: string): SpecMaker {
    const key = `${ownerId}\0${functionHash}`;
    if (this.maker?.key === key) return this.maker.make;
    const o = this.resolved;
    const make = specMaker({
      kind: TaskKind.task,
      functionHash,
      name: o.name,
      ownerId,
      numCpus: o.numCpus,
      memory: o.memory,
      resources: o.resources,
      maxRetries: o.maxRetries,
      retryExceptions: o.retryExceptions,
      actorId: '',
      method: '',
      actorName: '',
      maxRestarts: 0,
      maxTaskRetries: 0,
      maxConcurrency: 1,
      methodNames: NO_METHODS,
      scheduling: o.scheduling,
    });
    this.maker = { key, make };
    return make;
  }

  /** Submits one task and returns the ref (or refs, with `numReturns` above 1) of its result. */
  remote(...args: RemoteArgs<Parameters<F>>): RemoteReturn<Awaited<ReturnType<F>>, N> {
    const client = requireClient();
    const o = this.resolved;
    const functionHash = client.registerFunction(this.code.hash, this.code.source, this.code.name);
    const encoded = serializeArgs(args, refId, o.name);
    const taskId = client.newId('t');
    // Sized up front: an array grown by push from empty reserves 17 slots (152 bytes), and
    // the spec keeps it for as long as its results live.
    const returnIds = new Array<string>(o.numReturns);
    for (let i = 0; i < o.numReturns; i++) returnIds[i] = flat(taskId, '.', String(i));
    const refs = returnIds.map((id) => client.makeRef(id, client.clientId));
    if (client.inProcessNode) {
      const make = this.specMakerFor(client.clientId, functionHash);
      client.submit(make(taskId, encoded.args, encoded.refArgIndexes, encoded.refArgIds, returnIds));
      return (o.numReturns === 1 ? refs[0] : refs) as RemoteReturn<Awaited<ReturnType<F>>, N>;
    }
    // Fields written out (no spread): the spec then keeps its fields in the object itself.
    client.submit({
      taskId,
      kind: TaskKind.task,
      functionHash,
      name: o.name,
      args: encoded.args,
      refArgIndexes: encoded.refArgIndexes,
      refArgIds: encoded.refArgIds,
      returnIds,
      ownerId: client.clientId,
      numCpus: o.numCpus,
      memory: o.memory,
      resources: o.resources,
      maxRetries: o.maxRetries,
      retryExceptions: o.retryExceptions,
      actorId: '',
      method: '',
      actorName: '',
      maxRestarts: 0,
      maxTaskRetries: 0,
      maxConcurrency: 1,
      methodNames: NO_METHODS,
      scheduling: o.scheduling,
    });
    return (o.numReturns === 1 ? refs[0] : refs) as RemoteReturn<Awaited<ReturnType<F>>, N>;
  }

  /** A copy with some options changed. */
  options<M extends number = N>(options: RemoteOptions & { numReturns?: M }): RemoteFunction<F, M> {
    return new RemoteFunction<F, M>(this.code, { ...this.rawOptions, ...options });
  }
}
