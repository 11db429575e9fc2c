import v8 from 'node:v8';
import { ObjectStoreFullError, SerializationError } from '../errors/errors.js';
import type { ActorInfo, SerializedValue } from '../protocol/messages.js';
import { NO_IDS, NO_INDEXES } from '../protocol/task-spec.js';
import { aliasBlock, blockOf, isPoolBlock } from '../object-store/pool-block.js';
import { getProcessStoreLimits, storeMemory } from '../object-store/store-pool.js';
import { ActorMarker, RefMarker, SabMarker, inspectValue, withMarkers } from './walk.js';

/**
 * Values travel as v8 structured-clone bytes. Typed arrays of at least
 * `OUT_OF_BAND_MIN_BYTES` go out of band: their bytes are copied once into a
 * SharedArrayBuffer, and every reader on the node gets a view of that same memory.
 */
export const OUT_OF_BAND_MIN_BYTES = 4096;

const Tag = { inline: 1, outOfBand: 2, ref: 3, actor: 4, sab: 5 } as const;

type ViewCtor = new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;
const viewTypes: ViewCtor[] = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
];
const BUFFER_TYPE = 255;

/** How deserialized refs and actor handles come back to life in this thread. */
export interface Revivers {
  ref(id: string, ownerId: string): unknown;
  actor(info: ActorInfo): unknown;
}

const baseWrite = (v8.DefaultSerializer.prototype as unknown as { _writeHostObject(o: object): void })
  ._writeHostObject;
const baseRead = (v8.DefaultDeserializer.prototype as unknown as { _readHostObject(): unknown })
  ._readHostObject;

class OutOfBandSerializer extends v8.DefaultSerializer {
  readonly buffers: SharedArrayBuffer[] = [];
  readonly refs: string[] = [];
  private readonly bufferIndex = new Map<SharedArrayBuffer, number>();

  /**
   * Serializes one value. A serializer serves once: V8 keeps the objects it wrote (for
   * back-references) until it is collected, so reusing one would corrupt later values.
   */
  encode(value: unknown, where: string): SerializedValue {
    this.writeHeader();
    try {
      this.writeValue(value);
    } catch (error) {
      if (error instanceof ObjectStoreFullError) throw error;
      throw new SerializationError(`Cannot serialize ${where}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const header = this.releaseBuffer();
    let size = header.byteLength;
    for (const b of this.buffers) size += b.byteLength;
    return { header, buffers: this.buffers, refs: this.refs, size };
  }

  // Node calls these hooks for every ArrayBufferView; @types/node does not declare them.
  _writeHostObject(object: object): void {
    if (object instanceof RefMarker) {
      this.writeUint32(Tag.ref);
      this.writeString(object.refId);
      this.writeString(object.ownerId);
      this.refs.push(object.refId);
    } else if (object instanceof ActorMarker) {
      this.writeUint32(Tag.actor);
      this.writeString(JSON.stringify(object.info));
    } else if (object instanceof SabMarker) {
      this.writeUint32(Tag.sab);
      this.writeUint32(this.share(blockOf(object.sab)));
    } else if (
      ArrayBuffer.isView(object) &&
      (object.byteLength >= OUT_OF_BAND_MIN_BYTES || object.buffer instanceof SharedArrayBuffer)
    ) {
      this.writeOutOfBand(object);
    } else {
      this.writeUint32(Tag.inline);
      baseWrite.call(this, object);
    }
  }

  private writeOutOfBand(view: ArrayBufferView): void {
    const typeIndex = Buffer.isBuffer(view) ? BUFFER_TYPE : viewTypes.findIndex((c) => view instanceof c);
    let sab: SharedArrayBuffer;
    let offset = 0;
    if (view.buffer instanceof SharedArrayBuffer) {
      // Already shared memory: shared, as structured clone does (an alias as its block, so
      // that the store holds the pool's own buffer and gives it back when freed).
      sab = blockOf(view.buffer);
      offset = view.byteOffset;
    } else {
      checkFits(view.byteLength);
      // Large values go into a block of the node's pool when this thread has one (memory
      // that a freed value already faulted in), else into a fresh SharedArrayBuffer.
      ({ sab, offset } = storeMemory(view.byteLength));
      new Uint8Array(sab, offset, view.byteLength).set(
        new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
      );
    }
    this.writeUint32(Tag.outOfBand);
    this.writeUint32(typeIndex);
    this.writeUint32(this.share(sab));
    this.writeDouble(offset);
    this.writeDouble(view.byteLength);
  }

  private share(sab: SharedArrayBuffer): number {
    let index = this.bufferIndex.get(sab);
    if (index === undefined) {
      index = this.buffers.push(sab) - 1;
      this.bufferIndex.set(sab, index);
    }
    return index;
  }

  private writeString(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.writeUint32(bytes.length);
    this.writeRawBytes(bytes);
  }
}

/** A copy larger than the store's memory and its spill limit together can never be stored. */
function checkFits(bytes: number): void {
  const limits = getProcessStoreLimits();
  if (!limits || bytes <= limits.capacityBytes + limits.spillLimitBytes) return;
  throw new ObjectStoreFullError(
    `a typed array of ${bytes} bytes does not fit in the object store: objectStoreMemory is ` +
      `${limits.capacityBytes} bytes and the spill limit ${limits.spillLimitBytes} bytes ` +
      `(${limits.capacityBytes + limits.spillLimitBytes} together); raise objectStoreMemory or ` +
      `spillLimitBytes in init(), or split the array`,
  );
}

function serializerFor(): OutOfBandSerializer {
  return new OutOfBandSerializer();
}

class OutOfBandDeserializer extends v8.DefaultDeserializer {
  constructor(
    header: Uint8Array,
    private readonly buffers: SharedArrayBuffer[],
    private readonly revivers: Revivers,
  ) {
    super(Buffer.from(header.buffer, header.byteOffset, header.byteLength));
    this.readHeader();
  }

  _readHostObject(): unknown {
    const tag = this.readUint32();
    switch (tag) {
      case Tag.inline:
        return baseRead.call(this);
      case Tag.ref: {
        const id = this.readString();
        return this.revivers.ref(id, this.readString());
      }
      case Tag.actor:
        return this.revivers.actor(JSON.parse(this.readString()) as ActorInfo);
      case Tag.sab:
        return this.sharedBuffer(this.readUint32());
      case Tag.outOfBand: {
        const typeIndex = this.readUint32();
        const sab = this.sharedBuffer(this.readUint32());
        const offset = this.readDouble();
        const byteLength = this.readDouble();
        if (typeIndex === BUFFER_TYPE) return Buffer.from(sab, offset, byteLength);
        const Ctor = viewTypes[typeIndex] ?? Uint8Array;
        const bytesPer = (Ctor as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
        return new Ctor(sab, offset, Ctor === DataView ? byteLength : byteLength / bytesPer);
      }
      default:
        throw new SerializationError(`corrupt value: unknown host object tag ${tag}`);
    }
  }

  private aliases: SharedArrayBuffer[] | undefined;

  /**
   * The buffer a decoded view reads. A pool block is handed out as a pinned alias (one per
   * decoded value), so the pool does not reuse it while the program can still read it.
   */
  private sharedBuffer(index: number): SharedArrayBuffer {
    const sab = this.buffers[index];
    if (!sab) throw new SerializationError(`corrupt value: missing buffer ${index}`);
    if (!isPoolBlock(sab)) return sab;
    this.aliases ??= [];
    return (this.aliases[index] ??= aliasBlock(sab));
  }

  private readString(): string {
    const length = this.readUint32();
    return (this.readRawBytes(length) as Buffer).toString('utf8');
  }
}

/**
 * Serializes `value`. `where` names it in errors ("argument 1 of f"), `root` starts the
 * path ("args[1]"). Throws SerializationError, at the call, for what cannot be cloned.
 */
export function serialize(value: unknown, where = 'the value', root = 'value'): SerializedValue {
  const cacheable =
    value === null ||
    value === undefined ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 1024 && !Object.is(value, -0));
  if (cacheable) {
    // Small results like `0`, `true` or `undefined` are encoded once per thread.
    let hit = encodedPrimitives.get(value);
    if (!hit) encodedPrimitives.set(value, (hit = serializerFor().encode(value, where)));
    return hit;
  }
  const needsMarkers = inspectValue(value, where, root);
  return serializerFor().encode(needsMarkers ? withMarkers(value) : value, where);
}

const encodedPrimitives = new Map<unknown, SerializedValue>();

/**
 * Small primitive values (numbers, short strings, booleans...) decoded before, by their
 * bytes: making a deserializer costs microseconds, and no-op-sized tasks return such values
 * by the thousand. Only primitives are kept, so sharing them is safe.
 */
const primitives = new Map<string, unknown>();
const PRIMITIVE_CACHE_MAX_BYTES = 24;
const PRIMITIVE_CACHE_SIZE = 4096;

export function deserialize(value: SerializedValue, revivers: Revivers): unknown {
  const small = value.buffers.length === 0 && value.header.byteLength <= PRIMITIVE_CACHE_MAX_BYTES;
  const key = small
    ? Buffer.from(value.header.buffer, value.header.byteOffset, value.header.byteLength).toString('latin1')
    : '';
  if (small && primitives.has(key)) return primitives.get(key);
  if (small && key === emptyListKey()) return [];
  const out = new OutOfBandDeserializer(value.header, value.buffers, revivers).readValue();
  if (small && (out === null || typeof out !== 'object') && typeof out !== 'function') {
    if (primitives.size >= PRIMITIVE_CACHE_SIZE) primitives.clear();
    primitives.set(key, out);
  }
  return out;
}

/** The argument list of a call without arguments, encoded once. */
let noArgs: SerializedValue | undefined;
let emptyList: string | undefined;

/** The bytes of `[]`, which every call without arguments decodes (to a fresh array). */
function emptyListKey(): string {
  emptyList ??= Buffer.from(serializerFor().encode([], 'no arguments').header).toString('latin1');
  return emptyList;
}

/** The encoded argument list of a call: top-level refs are taken out and listed apart. */
export interface EncodedArgs {
  args: SerializedValue;
  refArgIndexes: number[];
  refArgIds: string[];
}

/**
 * Encodes call arguments. Top-level ObjectRefs are resolved by the node before the call
 * (their slots hold `null`); refs nested deeper travel as refs. Errors name the argument.
 */
export function serializeArgs(
  args: readonly unknown[],
  isRef: (v: unknown) => string | undefined,
  name: string,
): EncodedArgs {
  const refArgIndexes: number[] = [];
  const refArgIds: string[] = [];
  if (args.length === 0) {
    noArgs ??= serializerFor().encode([], 'no arguments');
    return { args: noArgs, refArgIndexes: NO_INDEXES, refArgIds: NO_IDS };
  }
  const list: unknown[] = new Array(args.length);
  let needsMarkers = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const refId = isRef(arg);
    if (refId !== undefined) {
      refArgIndexes.push(i);
      refArgIds.push(refId);
      list[i] = null;
      continue;
    }
    list[i] = arg;
    if (arg !== null && typeof arg === 'object' && !ArrayBuffer.isView(arg)) {
      needsMarkers = inspectValue(arg, `argument ${i} of "${name}"`, `args[${i}]`) || needsMarkers;
    } else if (typeof arg === 'function' || typeof arg === 'symbol') {
      inspectValue(arg, `argument ${i} of "${name}"`, `args[${i}]`);
    }
  }
  const encoded = serializerFor().encode(
    needsMarkers ? withMarkers(list) : list,
    `the arguments of "${name}"`,
  );
  if (refArgIds.length === 0) return { args: encoded, refArgIndexes: NO_INDEXES, refArgIds: NO_IDS };
  return { args: encoded, refArgIndexes, refArgIds };
}
