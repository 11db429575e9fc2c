/**
 * Encodes batches of runtime messages (protocol/messages.ts) as one FlatBuffers `Batch`
 * (schema/cluster.fbs) with object bytes beside it, and decodes them defensively: the
 * FlatBuffers JavaScript runtime has no verifier, so every length and index is checked
 * against the bytes actually received, and anything unexpected is a WireDecodeError.
 */
import * as flatbuffers from 'flatbuffers';
import * as g from '../generated/cluster_generated.js';
import type { SerializedValue } from '../protocol/messages.js';
import type { FieldKind, MessageDesc, TableDesc } from './wire-tables.js';

/** A frame that cannot be decoded; the connection that sent it is closed. */
export class WireDecodeError extends Error {
  override name = 'WireDecodeError';
}

export interface EncodedBatch {
  frame: Uint8Array;
  payloads: Uint8Array[];
}

type Builder = flatbuffers.Builder;
const UTF8_BYTES = flatbuffers.Encoding.UTF8_BYTES;
type Fn = (...args: unknown[]) => unknown;
type Obj = Record<string, unknown>;
const cap = (s: string): string => s[0]!.toUpperCase() + s.slice(1);
const boundMethods = new Map<unknown, Map<string, Fn>>();
/** The generated static method `name` of `cls`, bound once and cached (it runs per field per message). */
const method = (cls: unknown, name: string): Fn => {
  let methods = boundMethods.get(cls);
  if (!methods) boundMethods.set(cls, (methods = new Map()));
  let f = methods.get(name);
  if (!f) {
    const raw = (cls as Record<string, Fn>)[name];
    if (typeof raw !== 'function') throw new Error(`generated code has no ${name}`);
    f = raw.bind(cls);
    methods.set(name, f);
  }
  return f;
};

interface FieldOps {
  field: string;
  kind: FieldKind;
  add: Fn;
  /** The generated createXVector, for vector fields. */
  create: Fn | undefined;
}

interface TableOps {
  fields: FieldOps[];
  start: Fn;
  end: Fn;
}

const tableOps = new Map<TableDesc, TableOps>();

// Strings are nearly all short ASCII ids and names: these paths skip TextEncoder's and
// TextDecoder's per-call allocation and overhead, a large share of a small message's cost.
const asciiScratch = new Uint8Array(256);
const textDecoder = new TextDecoder();

function createString(b: Builder, s: string): number {
  const n = s.length;
  if (n <= asciiScratch.length) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      asciiScratch[i] = c;
    }
    if (i === n) return b.createString(asciiScratch.subarray(0, n));
  }
  return b.createString(s);
}

/** Reads a string the generated accessor returned as UTF-8 bytes. */
function readString(bytes: Uint8Array | null): string {
  if (!bytes) return '';
  const n = bytes.length;
  if (n > 64) return textDecoder.decode(bytes);
  for (let i = 0; i < n; i++) if (bytes[i]! > 0x7f) return textDecoder.decode(bytes);
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/**
 * Strings that repeat in every task spec (function hash, name, owner): one copy each, not
 * one per decoded task (the head keeps specs for lineage: a million tasks would keep a
 * million copies of the same hash). Bounded; cleared when full.
 */
const shared = new Map<string, string>();
const SHARED_MAX = 4096;
function sharedString(bytes: Uint8Array | null): string {
  const s = readString(bytes);
  const known = shared.get(s);
  if (known !== undefined) return known;
  if (shared.size >= SHARED_MAX) shared.clear();
  shared.set(s, s);
  return s;
}

/**
 * One builder for every batch, so that its buffer is not regrown from a few bytes each
 * time; frames are copied out. One that grew past BUILDER_KEEP_BYTES for a big message is
 * replaced rather than kept.
 */
let builder = new flatbuffers.Builder(16 * 1024);
const BUILDER_KEEP_BYTES = 1024 * 1024;

/** The generated functions a table's fields are written with, looked up once per table. */
function opsOf(desc: TableDesc): TableOps {
  let ops = tableOps.get(desc);
  if (!ops) {
    const isVector = (kind: FieldKind) =>
      kind === 'strings' ||
      kind === 'numbers' ||
      kind === 'bytes' ||
      kind === 'resources' ||
      (typeof kind === 'object' && 'tables' in kind);
    ops = {
      fields: desc.fields.map(([field, kind]) => ({
        field,
        kind,
        add: method(desc.cls, `add${cap(field)}`),
        create: isVector(kind) ? method(desc.cls, `create${cap(field)}Vector`) : undefined,
      })),
      start: method(desc.cls, `start${desc.name}`),
      end: method(desc.cls, `end${desc.name}`),
    };
    tableOps.set(desc, ops);
  }
  return ops;
}

function encodeTable(b: Builder, desc: TableDesc, obj: Obj, payloads: Uint8Array[]): number {
  const ops = opsOf(desc);
  // Strings, vectors and nested tables are written before the table itself starts.
  const fields = ops.fields;
  const offsets = new Array<number | undefined>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const { field, kind, create } = fields[i]!;
    const value = obj[field];
    if (kind === 'string' || kind === 'sharedString') {
      // An absent string reads back as '' (see Reader.field): empty ones cost nothing.
      const s = String(value ?? '');
      if (s !== '') offsets[i] = createString(b, s);
    } else if (kind === 'strings')
      offsets[i] = create!(
        b,
        ((value as string[]) ?? []).map((s) => createString(b, s)),
      ) as number;
    else if (kind === 'numbers' || kind === 'bytes') offsets[i] = create!(b, value ?? []) as number;
    else if (kind === 'resources') {
      const entries = Object.entries((value as Record<string, number>) ?? {});
      offsets[i] = create!(
        b,
        entries.map(([name, amount]) => encodeResource(b, name, amount)),
      ) as number;
    } else if (kind === 'value' || (kind === 'optionalValue' && value !== undefined))
      offsets[i] = encodeValue(b, value as SerializedValue, payloads);
    else if (typeof kind === 'object' && 'table' in kind) {
      offsets[i] = encodeTable(b, kind.table, (value as Obj) ?? {}, payloads);
    } else if (typeof kind === 'object' && 'tables' in kind) {
      offsets[i] = create!(
        b,
        ((value as Obj[]) ?? []).map((item) => encodeTable(b, kind.tables, item, payloads)),
      ) as number;
    }
  }
  ops.start(b);
  for (let i = 0; i < fields.length; i++) {
    const { field, kind, add } = fields[i]!;
    const offset = offsets[i];
    if (offset !== undefined) add(b, offset);
    else if (kind === 'number') add(b, Number(obj[field] ?? 0));
    else if (kind === 'bool') add(b, Boolean(obj[field]));
    else if (typeof kind === 'object' && 'enum' in kind) add(b, kind.enum[String(obj[field])] ?? 0);
  }
  return ops.end(b) as number;
}

function encodeResource(b: Builder, name: string, amount: number): number {
  const nameOffset = createString(b, name);
  g.ResourceAmount.startResourceAmount(b);
  g.ResourceAmount.addName(b, nameOffset);
  g.ResourceAmount.addAmount(b, amount);
  return g.ResourceAmount.endResourceAmount(b);
}

function encodeValue(b: Builder, value: SerializedValue, payloads: Uint8Array[]): number {
  const header = g.Value.createHeaderVector(b, value.header);
  const indexes = value.buffers.map((buffer) => payloads.push(new Uint8Array(buffer)) - 1);
  const bufferPayloads = g.Value.createBufferPayloadsVector(b, indexes);
  const refs = g.Value.createRefsVector(
    b,
    value.refs.map((r) => createString(b, r)),
  );
  g.Value.startValue(b);
  g.Value.addHeader(b, header);
  g.Value.addBufferPayloads(b, bufferPayloads);
  g.Value.addRefs(b, refs);
  g.Value.addSize(b, value.size);
  return g.Value.endValue(b);
}

/** Encodes messages of one direction into a single frame plus payloads. */
export function encodeBatch<M extends { type: string }>(
  descs: ReadonlyMap<string, MessageDesc>,
  messages: readonly M[],
): EncodedBatch {
  const b = builder;
  b.clear();
  const payloads: Uint8Array[] = [];
  const types: number[] = [];
  const tables: number[] = [];
  for (const message of messages) {
    const desc = descs.get(message.type);
    if (!desc) throw new Error(`message type '${message.type}' cannot be sent in this direction`);
    tables.push(encodeTable(b, desc, message as unknown as Obj, payloads));
    types.push(desc.union);
  }
  const typesOffset = g.Batch.createMessagesTypeVector(b, types);
  const messagesOffset = g.Batch.createMessagesVector(b, tables);
  b.finish(g.Batch.createBatch(b, typesOffset, messagesOffset));
  const frame = b.asUint8Array().slice();
  if (b.dataBuffer().capacity() > BUILDER_KEEP_BYTES) builder = new flatbuffers.Builder(16 * 1024);
  return { frame, payloads };
}

interface FieldReader {
  field: string;
  kind: FieldKind;
  /** `Table.field` for error messages. */
  where: string;
  /** The generated accessors, looked up once (property lookups per message are slow). */
  get: Fn;
  getLength: Fn | undefined;
  getArray: Fn | undefined;
}

const readers = new Map<TableDesc, FieldReader[]>();

function readersOf(desc: TableDesc): FieldReader[] {
  let list = readers.get(desc);
  if (!list) {
    const proto = (desc.cls as { prototype: Record<string, Fn | undefined> }).prototype;
    list = desc.fields.map(([field, kind]) => {
      const get = proto[field];
      if (typeof get !== 'function') throw new Error(`generated ${desc.name} has no ${field}()`);
      return {
        field,
        kind,
        where: `${desc.name}.${field}`,
        get,
        getLength: proto[`${field}Length`],
        getArray: proto[`${field}Array`],
      };
    });
    readers.set(desc, list);
  }
  return list;
}

class Reader {
  /** Payload buffers handed to a value already: a second reference gets its own copy. */
  readonly adopted = new Set<ArrayBufferLike>();

  constructor(
    readonly frameBytes: number,
    readonly payloads: readonly Uint8Array[],
  ) {}

  length(n: number, what: string): number {
    if (!Number.isInteger(n) || n < 0 || n > this.frameBytes)
      throw new WireDecodeError(`${what}: bad length ${n}`);
    return n;
  }

  table(desc: TableDesc, inst: Obj): Obj {
    // The runtime reads past the end of a buffer as zeros; a table must at least start inside it.
    const pos = (inst as { bb_pos?: number }).bb_pos ?? 0;
    if (pos < 0 || pos + 4 > this.frameBytes)
      throw new WireDecodeError(`${desc.name}: table outside the frame`);
    const out: Obj = {};
    const fields = readersOf(desc);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      out[f.field] = this.field(f, inst);
    }
    return desc.build ? desc.build(out) : out;
  }

  private field(f: FieldReader, inst: Obj): unknown {
    // Hot path (every field of every message): no closures or strings unless needed.
    const { kind, where } = f;
    const accessor = f.get;
    if (kind === 'string') return readString(accessor.call(inst, UTF8_BYTES) as Uint8Array | null);
    if (kind === 'sharedString') return sharedString(accessor.call(inst, UTF8_BYTES) as Uint8Array | null);
    if (kind === 'number') return accessor.call(inst) as number;
    if (kind === 'bool') return accessor.call(inst) as boolean;
    if (kind === 'strings') {
      const n = this.vectorLength(f, inst);
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++)
        out[i] = readString(accessor.call(inst, i, UTF8_BYTES) as Uint8Array | null);
      return out;
    }
    if (kind === 'numbers') {
      const n = this.vectorLength(f, inst);
      const out = new Array<number>(n);
      for (let i = 0; i < n; i++) out[i] = accessor.call(inst, i) as number;
      return out;
    }
    if (kind === 'bytes') {
      return ((f.getArray!.call(inst) as Uint8Array | null) ?? new Uint8Array(0)).slice();
    }
    if (kind === 'resources') {
      const out: Record<string, number> = {};
      for (let i = 0, n = this.vectorLength(f, inst); i < n; i++) {
        const r = accessor.call(inst, i, new g.ResourceAmount()) as g.ResourceAmount | null;
        if (r) out[readString(r.name(UTF8_BYTES) as Uint8Array | null)] = r.amount();
      }
      return out;
    }
    if (kind === 'value' || kind === 'optionalValue') {
      const v = accessor.call(inst, new g.Value()) as g.Value | null;
      if (v) return this.value(v, where);
      if (kind === 'optionalValue') return undefined;
      throw new WireDecodeError(`${where}: missing value`);
    }
    if ('enum' in kind) {
      const raw = accessor.call(inst) as number;
      for (const name in kind.enum) if (kind.enum[name] === raw) return name;
      throw new WireDecodeError(`${where}: unknown enum value ${raw}`);
    }
    if ('table' in kind) {
      const nested = accessor.call(inst, new (kind.table.cls as new () => Obj)()) as Obj | null;
      return this.table(kind.table, nested ?? emptyTable(kind.table));
    }
    const n = this.vectorLength(f, inst);
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const nested = accessor.call(inst, i, new (kind.tables.cls as new () => Obj)()) as Obj | null;
      if (!nested) throw new WireDecodeError(`${where}[${i}]: missing`);
      out[i] = this.table(kind.tables, nested);
    }
    return out;
  }

  private vectorLength(f: FieldReader, inst: Obj): number {
    return this.length(f.getLength!.call(inst) as number, f.where);
  }

  private value(v: g.Value, where: string): SerializedValue {
    const adopted = this.adopted;
    const headerArray = v.headerArray();
    const header = headerArray ? headerArray.slice() : new Uint8Array(0);
    const buffers: SharedArrayBuffer[] = [];
    for (let i = 0, n = this.length(v.bufferPayloadsLength(), where); i < n; i++) {
      const payload = this.payloads[v.bufferPayloads(i)!];
      if (!payload) throw new WireDecodeError(`${where}: buffer ${i} refers to a missing payload`);
      // The store keeps values in SharedArrayBuffers so that worker threads read them in place;
      // a payload that already fills one of its own is adopted without a copy.
      const whole =
        payload.buffer instanceof SharedArrayBuffer &&
        payload.byteOffset === 0 &&
        payload.byteLength === payload.buffer.byteLength;
      if (whole && !adopted.has(payload.buffer)) {
        adopted.add(payload.buffer);
        buffers.push(payload.buffer);
        continue;
      }
      const shared = new SharedArrayBuffer(payload.byteLength);
      new Uint8Array(shared).set(payload);
      buffers.push(shared);
    }
    const refs = Array.from({ length: this.length(v.refsLength(), where) }, (_, i) =>
      readString(v.refs(i, UTF8_BYTES) as Uint8Array | null),
    );
    return { header, buffers, refs, size: v.size() };
  }
}

/** A table that was absent on the wire reads as all defaults. */
function emptyTable(desc: TableDesc): Obj {
  const b = new flatbuffers.Builder(16);
  method(desc.cls, `start${desc.name}`)(b);
  b.finish(method(desc.cls, `end${desc.name}`)(b) as number);
  const inst = new (desc.cls as new () => Obj)() as Obj & {
    __init(i: number, bb: flatbuffers.ByteBuffer): Obj;
  };
  const bb = new flatbuffers.ByteBuffer(b.asUint8Array());
  return inst.__init(bb.readInt32(bb.position()) + bb.position(), bb);
}

/**
 * Decodes a frame sent in one direction. Throws WireDecodeError for anything malformed:
 * truncated or random bytes, lengths beyond the frame, unknown or wrong-direction types.
 */
export function decodeBatch(
  descs: ReadonlyMap<number, MessageDesc>,
  frame: Uint8Array,
  payloads: readonly Uint8Array[],
): { type: string }[] {
  if (frame.byteLength < 8) throw new WireDecodeError(`frame too short (${frame.byteLength} bytes)`);
  try {
    const bb = new flatbuffers.ByteBuffer(frame);
    const root = bb.readInt32(0);
    if (root < 4 || root > frame.byteLength - 4) throw new WireDecodeError(`bad root offset ${root}`);
    const batch = g.Batch.getRootAsBatch(bb);
    const reader = new Reader(frame.byteLength, payloads);
    const n = reader.length(batch.messagesLength(), 'Batch.messages');
    if (n === 0) throw new WireDecodeError('empty batch'); // a real sender never sends one
    if (reader.length(batch.messagesTypeLength(), 'Batch.messagesType') !== n) {
      throw new WireDecodeError('Batch: message and type counts differ');
    }
    const out: { type: string }[] = [];
    for (let i = 0; i < n; i++) {
      const union = batch.messagesType(i)!;
      const desc = descs.get(union);
      if (!desc)
        throw new WireDecodeError(`unexpected message type ${union} (${g.Message[union] ?? 'unknown'})`);
      const inst = batch.messages(i, new (desc.cls as new () => Obj)()) as Obj | null;
      if (!inst) throw new WireDecodeError(`message ${i} is missing`);
      out.push({ type: desc.type, ...reader.table(desc, inst) });
    }
    return out;
  } catch (error) {
    if (error instanceof WireDecodeError) throw error;
    throw new WireDecodeError(`malformed frame: ${(error as Error).message}`);
  }
}

/** Lookup tables for one direction of traffic. */
export function directionTables(descs: readonly MessageDesc[]) {
  return {
    byType: new Map(descs.map((d) => [d.type, d])),
    byUnion: new Map(descs.map((d) => [d.union as number, d])),
  };
}
