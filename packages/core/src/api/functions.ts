import { ActorDiedError } from '../errors/errors.js';
import type { NodeInfo } from '../protocol/messages.js';
import { ActorClass, actorInfoOf, createActorHandle, methodNamesOf } from './actor.js';
import { ObjectRef } from '../protocol/object-ref.js';
import type { ActorOptions, RemoteOptions } from './options.js';
import { RemoteFunction, ship } from './remote-function.js';
import { requireClient } from './require-client.js';
import type { ActorHandle, AnyClass, AnyFunction, ValuesOf } from './types.js';

/**
 * Makes a class an actor class, or a function a remote function. Both travel to worker
 * threads by source: they may not use variables of the enclosing scope, and load modules
 * with `await import(...)`.
 *
 * @example
 * ```ts
 * const square = remote((x: number) => x * x);
 * const Counter = remote(class { n = 0; inc() { return ++this.n; } });
 * ```
 */
export function remote<C extends AnyClass>(cls: C, options?: ActorOptions): ActorClass<C>;
export function remote<F extends AnyFunction, N extends number = 1>(
  fn: F,
  options?: RemoteOptions & { numReturns?: N },
): RemoteFunction<F, N>;
export function remote(target: AnyFunction | AnyClass, options: object = {}): unknown {
  if (typeof target !== 'function') throw new TypeError('remote() takes a function or a class');
  const code = ship(target as AnyFunction);
  if (/^class\b/.test(code.source)) {
    return new ActorClass(code, methodNamesOf(target as AnyClass), options as ActorOptions);
  }
  return new RemoteFunction(code, options as RemoteOptions);
}

/** Stores `value` in the object store of this node; returns its ref at once. */
export function put<T>(value: T): ObjectRef<T> {
  return requireClient().put(value);
}

/** Options of `get`. */
export interface GetOptions {
  /** Give up after this many milliseconds with `GetTimeoutError`. @default no limit */
  timeoutMs?: number;
}

/**
 * The value of a ref, or the values of a list of refs in the same order. A failed task's
 * error is thrown here (`TaskError` and the others), with the caller's stack appended.
 */
export function get<T>(ref: ObjectRef<T>, options?: GetOptions): Promise<T>;
export function get<const R extends readonly ObjectRef<unknown>[]>(
  refs: R,
  options?: GetOptions,
): Promise<ValuesOf<R>>;
export async function get(
  refs: ObjectRef | readonly ObjectRef[],
  options: GetOptions = {},
): Promise<unknown> {
  const site = new Error('get');
  const list = Array.isArray(refs) ? (refs as readonly ObjectRef[]) : [refs as ObjectRef];
  for (const r of list)
    if (!(r instanceof ObjectRef)) throw new TypeError('get() takes an ObjectRef or an array of them');
  const timeoutMs = checkTimeout(options.timeoutMs);
  const values = await requireClient().get(list, timeoutMs, site);
  return Array.isArray(refs) ? values : values[0];
}

function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return -1;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
    throw new RangeError('options.timeoutMs must be a number >= 0');
  return timeoutMs;
}

/** Options of `wait`. */
export interface WaitOptions {
  /** Return once this many are ready. @default 1 */
  numReturns?: number;
  /** Return after this many milliseconds with whatever is ready. @default no limit */
  timeoutMs?: number;
  /** Count an object as ready only once it is on this node. @default true */
  fetchLocal?: boolean;
}

/** Waits until `numReturns` of `refs` are ready (or the timeout); both lists keep input order. */
export async function wait<T>(
  refs: readonly ObjectRef<T>[],
  options: WaitOptions = {},
): Promise<{ ready: ObjectRef<T>[]; pending: ObjectRef<T>[] }> {
  const numReturns = options.numReturns ?? 1;
  if (!Number.isInteger(numReturns) || numReturns < 0 || numReturns > refs.length) {
    throw new RangeError(`options.numReturns must be an integer from 0 to refs.length (${refs.length})`);
  }
  const timeoutMs = checkTimeout(options.timeoutMs);
  const readyIds = await requireClient().wait(
    refs.map((r) => r.id),
    numReturns,
    timeoutMs,
    options.fetchLocal ?? true,
  );
  const ready: ObjectRef<T>[] = [];
  const pending: ObjectRef<T>[] = [];
  for (const r of refs) (readyIds.has(r.id) && ready.length < numReturns ? ready : pending).push(r);
  return { ready, pending };
}

/**
 * Cancels the task that makes `ref`: a pending one is removed; a running one is stopped
 * when `force` is set (its worker thread is terminated). `get` then throws
 * `TaskCancelledError`; cancelled tasks are never retried.
 */
export function cancel(ref: ObjectRef, options: { force?: boolean } = {}): void {
  if (!(ref instanceof ObjectRef)) throw new TypeError('cancel() takes an ObjectRef');
  requireClient().send({ type: 'cancel', id: ref.id, force: options.force ?? false });
}

/** Kills an actor: later calls fail with `ActorDiedError`. With `noRestart: false` it may restart. */
export function kill(actor: ActorHandle<unknown>, options: { noRestart?: boolean } = {}): void {
  const info = actorInfoOf(actor);
  if (!info) throw new TypeError('kill() takes an actor handle');
  requireClient().send({ type: 'killActor', actorId: info.actorId, noRestart: options.noRestart ?? true });
}

/** The handle of the live actor named `name` (see `ActorOptions.name`). */
export async function getActor<T = unknown>(name: string): Promise<ActorHandle<T>> {
  const reply = await requireClient().request({ type: 'getActor', reqId: 0, name });
  if (reply.type !== 'actorReply' || !reply.found)
    throw new ActorDiedError(`there is no live actor named "${name}"`);
  return createActorHandle(reply.actor) as ActorHandle<T>;
}

/** The nodes of the cluster with their resources. */
export async function nodes(): Promise<NodeInfo[]> {
  const reply = await requireClient().request({ type: 'clusterInfo', reqId: 0 });
  return reply.type === 'clusterInfoReply' ? reply.nodes : [];
}

function sum(list: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of list) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Total logical resources of the cluster: `CPU`, `memory`, `objectStoreMemory`, custom ones. */
export async function clusterResources(): Promise<Record<string, number>> {
  return sum((await nodes()).map((n) => n.resources));
}

/** Resources not in use right now (object store: bytes free). */
export async function availableResources(): Promise<Record<string, number>> {
  return sum((await nodes()).map((n) => n.available));
}
