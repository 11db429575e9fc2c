import { SerializationError } from '../errors/errors.js';
import { ACTOR_HANDLE, ObjectRef } from '../protocol/object-ref.js';
import type { ActorInfo } from '../protocol/messages.js';

/** Stands in for an ObjectRef inside a value; the serializer writes its id. */
export class RefMarker extends Uint8Array {
  constructor(
    readonly refId: string,
    readonly ownerId: string,
  ) {
    super(0);
  }
}

/** Stands in for an actor handle inside a value. */
export class ActorMarker extends Uint8Array {
  constructor(readonly info: ActorInfo) {
    super(0);
  }
}

/** Wraps a raw SharedArrayBuffer so that it is shared, not rejected by v8. */
export class SabMarker extends Uint8Array {
  constructor(readonly sab: SharedArrayBuffer) {
    super(0);
  }
}

const cloneable = new Set<unknown>([
  Object.prototype,
  Array.prototype,
  Date.prototype,
  RegExp.prototype,
  Map.prototype,
  Set.prototype,
  Boolean.prototype,
  Number.prototype,
  String.prototype,
  null,
]);

interface WalkState {
  seen: Set<object>;
  needsCopy: boolean;
}

/**
 * Checks that `value` survives structured cloning unchanged and says whether it holds refs,
 * actor handles or raw SharedArrayBuffers (then it must be copied with markers). Throws
 * SerializationError naming `where` and the path of the first offending part.
 */
export function inspectValue(value: unknown, where: string, root: string): boolean {
  const state: WalkState = { seen: new Set(), needsCopy: false };
  visit(value, root, where, state);
  return state.needsCopy;
}

function visit(value: unknown, path: string, where: string, state: WalkState): void {
  if (value === null) return;
  const t = typeof value;
  if (t === 'function')
    fail(where, path, 'is a function; functions cannot be sent (pass data, or use remote())');
  if (t === 'symbol') fail(where, path, 'is a symbol, which cannot be cloned');
  if (t !== 'object') return;
  const obj = value as object;
  if (state.seen.has(obj)) return;
  state.seen.add(obj);
  if (obj instanceof ObjectRef || ACTOR_HANDLE in obj || obj instanceof SharedArrayBuffer) {
    state.needsCopy = true;
    return;
  }
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return;
  if (obj instanceof Error) return;
  const proto: unknown = Object.getPrototypeOf(obj);
  if (!cloneable.has(proto)) {
    const name = (obj.constructor as { name?: string } | undefined)?.name ?? 'unknown';
    fail(
      where,
      path,
      `is an instance of class ${name}; class instances lose their prototype, methods and #private fields ` +
        'when cloned (send plain objects, arrays, typed arrays, Map, Set or Date)',
    );
  }
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) visit(obj[i], `${path}[${i}]`, where, state);
  } else if (obj instanceof Map) {
    for (const [k, v] of obj) {
      visit(k, `${path}.keys()`, where, state);
      visit(v, `${path}.get(${String(k)})`, where, state);
    }
  } else if (obj instanceof Set) {
    for (const v of obj) visit(v, `${path}.values()`, where, state);
  } else if (proto === Object.prototype || proto === null) {
    for (const key of Object.keys(obj)) {
      visit((obj as Record<string, unknown>)[key], `${path}.${key}`, where, state);
    }
  }
}

function fail(where: string, path: string, why: string): never {
  throw new SerializationError(`Cannot serialize ${where}: ${path} ${why}`);
}

/** Copies `value`, replacing refs, actor handles and SharedArrayBuffers with markers. */
export function withMarkers(value: unknown, copies = new Map<object, unknown>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  const obj = value as object;
  const done = copies.get(obj);
  if (done !== undefined) return done;
  if (obj instanceof ObjectRef) return new RefMarker(obj.id, obj.ownerId);
  if (ACTOR_HANDLE in obj) return new ActorMarker((obj as { [ACTOR_HANDLE]: ActorInfo })[ACTOR_HANDLE]);
  if (obj instanceof SharedArrayBuffer) return new SabMarker(obj);
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer || obj instanceof Error) return obj;
  if (obj instanceof Date || obj instanceof RegExp) return obj;
  if (Array.isArray(obj)) {
    const out: unknown[] = [];
    copies.set(obj, out);
    for (const v of obj) out.push(withMarkers(v, copies));
    return out;
  }
  if (obj instanceof Map) {
    const out = new Map<unknown, unknown>();
    copies.set(obj, out);
    for (const [k, v] of obj) out.set(withMarkers(k, copies), withMarkers(v, copies));
    return out;
  }
  if (obj instanceof Set) {
    const out = new Set<unknown>();
    copies.set(obj, out);
    for (const v of obj) out.add(withMarkers(v, copies));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) return obj; // boxed primitives
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
  copies.set(obj, out);
  for (const key of Object.keys(obj)) out[key] = withMarkers((obj as Record<string, unknown>)[key], copies);
  return out;
}
