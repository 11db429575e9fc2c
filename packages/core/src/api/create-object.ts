import { aliasBlock } from '../object-store/pool-block.js';
import { getProcessPool, storeMemory } from '../object-store/store-pool.js';
import { ObjectRef } from '../protocol/object-ref.js';
import { requireClient } from './require-client.js';

/** The typed-array classes `createObject` makes (not `DataView`). */
export type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** A typed array in store memory, to be filled and then sealed into an `ObjectRef`. */
export interface ObjectBuilder<A> {
  /** The array to fill. Its initial contents are unspecified (memory of a freed object is reused). */
  readonly array: A;
  /**
   * Stores the array as an object, without copying it, and returns its ref. Call it once,
   * after the last write: readers share this memory, so later writes would change what
   * they read.
   */
  seal(): ObjectRef<A>;
}

/**
 * Most elements a typed array may have on this platform (V8 in Node.js 20: 2^32, so a
 * `Uint8Array` of at most 4 GiB and a `Float64Array` of at most 32 GiB).
 */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32;

/**
 * Makes a large object without a copy: hands out a typed array of `length` elements living
 * in the object store's memory (a block of its pool when this process holds the node, such
 * as the driver of `init()`), which the program fills and then seals into an `ObjectRef`.
 * `put(array)` would copy the array into the store; this writes it there in the first place,
 * and reuses memory that freed objects already faulted in. (Plasma, Ray's store, calls the
 * two steps create and seal; Ray's Python API does not offer them.)
 *
 * @example
 * ```ts
 * const rows = 581_012, cols = 54;
 * const features = createObject(Float32Array, rows * cols);
 * for (let r = 0; r < rows; r++) readRowInto(features.array, r * cols); // fill in place
 * const ref = features.seal();               // ObjectRef<Float32Array>, no copy made
 * await get(train.remote(ref));              // tasks on this node read the same memory
 * ```
 * @throws RangeError when `length` is over the platform's typed-array limit
 *   (`MAX_TYPED_ARRAY_LENGTH` elements): split the data into several arrays.
 */
export function createObject<C extends TypedArrayConstructor>(
  type: C,
  length: number,
): ObjectBuilder<InstanceType<C>> {
  const client = requireClient();
  const bytesPer = (type as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT;
  if (
    typeof type !== 'function' ||
    typeof bytesPer !== 'number' ||
    !(type.prototype instanceof Object.getPrototypeOf(Uint8Array))
  )
    throw new TypeError('createObject(type, length): type must be a typed-array class such as Float64Array');
  if (!Number.isSafeInteger(length) || length < 0)
    throw new RangeError(`createObject(${type.name}, length): length must be an integer >= 0, got ${length}`);
  if (length > MAX_TYPED_ARRAY_LENGTH) {
    throw new RangeError(
      `createObject(${type.name}, ${length}): over the platform's typed-array limit of ` +
        `${MAX_TYPED_ARRAY_LENGTH} elements (${formatBytes(MAX_TYPED_ARRAY_LENGTH * bytesPer)} of ${type.name}); ` +
        'split the data into several arrays (for example chunks of rows) and create or put each',
    );
  }
  const { sab, offset } = storeMemory(length * bytesPer);
  // A pool block reaches the program as a pinned alias, as `get` hands it out.
  const memory = offset > 0 && getProcessPool() ? aliasBlock(sab) : sab;
  const Ctor = type as unknown as new (
    b: SharedArrayBuffer,
    offset: number,
    length: number,
  ) => InstanceType<C>;
  const array = new Ctor(memory, offset, length);
  let sealed = false;
  return {
    array,
    seal(): ObjectRef<InstanceType<C>> {
      if (sealed) throw new TypeError(`createObject(${type.name}): seal() was called already`);
      sealed = true;
      return client.put(array) as ObjectRef<InstanceType<C>>;
    },
  };
}

function formatBytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(0)} GiB`;
}

/**
 * Drops this program's hold on objects now instead of when their refs are garbage
 * collected (JavaScript has no `del`): once no other ref, task or object needs them, they
 * leave the store and their memory goes back to its pool for the next `put`. Resolves once
 * the cluster has handled it. A `get` of a freed ref afterwards fails with `ObjectLostError`.
 *
 * @example
 * ```ts
 * for (let i = 0; i < 10; i++) {
 *   const ref = put(bigArray);           // reuses the memory freed in the previous round
 *   await get(sum.remote(ref));
 *   await free(ref);
 * }
 * ```
 */
export async function free(refs: ObjectRef | readonly ObjectRef[]): Promise<void> {
  const list = Array.isArray(refs) ? (refs as readonly ObjectRef[]) : [refs as ObjectRef];
  for (const r of list)
    if (!(r instanceof ObjectRef)) throw new TypeError('free() takes an ObjectRef or an array of them');
  await requireClient().free(list);
}
