import type { ObjectResult, SerializedValue, WorkerResult, WorkerTask } from '../protocol/messages.js';
import { TaskKind } from '../protocol/messages.js';

/**
 * The Piscina payloads, flattened into arrays: cloning one array of strings for every task
 * costs about half of cloning the WorkerTask object with its nested objects, and this is
 * paid once per task on the node's main thread. Empty lists travel as 0.
 */
export type PackedValue = [
  header: Uint8Array,
  buffers: SharedArrayBuffer[] | 0,
  refs: string[] | 0,
  size: number,
];
export type PackedTask = [
  kind: number,
  taskId: string,
  functionHash: string,
  name: string,
  actorId: string,
  method: string,
  args: PackedValue,
  refArgIndexes: number[] | 0,
  refArgs: ObjectResult[] | 0,
  numReturns: number,
  slot: number,
  /** 1: a one-CPU task that runs one at a time per thread (worker/serial-lock.ts). */
  serial: number,
];
export type PackedResult = [values: PackedValue[], runMs: number] | WorkerResult;

const kinds = [TaskKind.task, TaskKind.actorCreate, TaskKind.actorCall] as const;

const list = <T>(a: T[]): T[] | 0 => (a.length === 0 ? 0 : a);
const unlist = <T>(a: T[] | 0): T[] => (a === 0 ? [] : a);

export function packValue(v: SerializedValue): PackedValue {
  return [v.header, list(v.buffers), list(v.refs), v.size];
}

export function unpackValue(p: PackedValue): SerializedValue {
  if (p[1] === 0 && p[2] === 0 && p[0].byteLength <= SMALL_VALUE_BYTES) return smallValue(p[0]);
  return { header: p[0], buffers: unlist(p[1]), refs: unlist(p[2]), size: p[3] };
}

/**
 * Small values without buffers or refs (no-op tasks' `0`, `true`, short strings), one
 * object per distinct bytes: a million stored results of `0` then share one value instead
 * of holding a million copies (about 350 bytes each: the value, its bytes, two arrays).
 * Values are never changed once made, so sharing them is safe.
 */
const SMALL_VALUE_BYTES = 24;
const SMALL_VALUES_MAX = 4096;
const smallValues = new Map<string, SerializedValue>();
function smallValue(header: Uint8Array): SerializedValue {
  const key = Buffer.from(header.buffer, header.byteOffset, header.byteLength).toString('latin1');
  let value = smallValues.get(key);
  if (value) return value;
  if (smallValues.size >= SMALL_VALUES_MAX) smallValues.clear();
  value = { header, buffers: [], refs: [], size: header.byteLength };
  smallValues.set(key, value);
  return value;
}

export function packTask(t: WorkerTask, serial = false): PackedTask {
  return [
    kinds.indexOf(t.kind),
    t.taskId,
    t.functionHash,
    t.name,
    t.actorId,
    t.method,
    packValue(t.args),
    list(t.refArgIndexes),
    list(t.refArgs),
    t.numReturns,
    t.slot,
    serial ? 1 : 0,
  ];
}

export function unpackTask(p: PackedTask): WorkerTask {
  return {
    kind: kinds[p[0]] ?? TaskKind.task,
    taskId: p[1],
    functionHash: p[2],
    name: p[3],
    actorId: p[4],
    method: p[5],
    args: unpackValue(p[6]),
    refArgIndexes: unlist(p[7]),
    refArgs: unlist(p[8]),
    numReturns: p[9],
    slot: p[10],
  };
}

/** Success is the list of packed values and the run time; a failure stays a WorkerResult object. */
export function packResult(r: WorkerResult): PackedResult {
  return r.ok ? [r.values.map(packValue), r.runMs ?? 0] : r;
}

export function unpackResult(p: PackedResult): WorkerResult {
  return Array.isArray(p) ? { ok: true, values: p[0].map(unpackValue), runMs: p[1] } : p;
}
