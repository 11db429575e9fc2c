/**
 * How each wire message maps onto its FlatBuffers table (schema/cluster.fbs): one
 * descriptor per table lists its fields in TypeScript names (which are also the generated
 * accessor names) and how each is stored. wire-codec.ts walks these descriptors.
 */
import * as g from '../generated/cluster_generated.js';
import type { WireError } from '../errors/wire.js';
import { sharedSpec } from './spec-templates.js';
import type {
  ActorInfo,
  DemandInfo,
  HeadToNode,
  NodeInfo,
  NodeToHead,
  PeerMessage,
  TaskSpec,
} from '../protocol/messages.js';

export type FieldKind =
  | 'string'
  /** A string that repeats across messages (a function hash, a name): decoded once, shared. */
  | 'sharedString'
  | 'number'
  | 'bool'
  | 'strings'
  | 'numbers'
  | 'bytes'
  | 'resources'
  | 'value'
  /** A value that may be absent (undefined). */
  | 'optionalValue'
  | { table: TableDesc }
  | { tables: TableDesc }
  | { enum: Record<string, number> };

export interface TableDesc {
  /** Table name in the schema, e.g. 'TaskSpec'. */
  name: string;
  /** The generated class. */
  cls: unknown;
  fields: [field: string, kind: FieldKind][];
  /**
   * What to keep of a decoded table, given the plain object with every field (a task spec
   * keeps its shared fields in a template: see TaskSpecTable below).
   */
  build?: (decoded: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * Every field of T but `type`, each with its kind: TypeScript rejects a descriptor that
 * misses a field or names one the message does not have, so the wire cannot drift from
 * messages.ts unnoticed.
 */
type Fields<T> = { [K in Exclude<keyof T, 'type'>]-?: FieldKind };

function t<T>(name: string, cls: unknown, fields: Fields<T>): TableDesc {
  return { name, cls, fields: Object.entries(fields) as [string, FieldKind][] };
}

export const ErrorInfoTable = t<WireError>('ErrorInfo', g.ErrorInfo, {
  code: 'string',
  message: 'string',
  name: 'string',
  stack: 'string',
  functionName: 'string',
  taskId: 'string',
  nodeId: 'string',
  actorId: 'string',
  objectId: 'string',
});

export const TaskKindValues = {
  task: g.TaskKind.Task,
  actorCreate: g.TaskKind.ActorCreate,
  actorCall: g.TaskKind.ActorCall,
};
export const LogStreamValues = { stdout: g.LogStream.Stdout, stderr: g.LogStream.Stderr };

export const TaskSpecTable = t<TaskSpec>('TaskSpec', g.TaskSpec, {
  taskId: 'string',
  kind: { enum: TaskKindValues },
  functionHash: 'sharedString',
  name: 'sharedString',
  args: 'value',
  refArgIndexes: 'numbers',
  refArgIds: 'strings',
  returnIds: 'strings',
  ownerId: 'sharedString',
  numCpus: 'number',
  memory: 'number',
  resources: 'resources',
  maxRetries: 'number',
  retryExceptions: 'bool',
  actorId: 'sharedString',
  method: 'sharedString',
  actorName: 'sharedString',
  maxRestarts: 'number',
  maxTaskRetries: 'number',
  maxConcurrency: 'number',
  methodNames: 'strings',
  scheduling: 'sharedString',
});
/**
 * A decoded spec keeps the 17 fields every call of its function has in common in one
 * template (spec-templates.ts), as a driver's specs do: a head or a node holds its own copy
 * of every queued spec, a million of them in the envelope benchmark.
 */
TaskSpecTable.build = (decoded) =>
  sharedSpec(decoded as unknown as TaskSpec) as unknown as Record<string, unknown>;

const ActorInfoTable = t<ActorInfo>('ActorInfo', g.ActorInfo, {
  actorId: 'string',
  name: 'string',
  className: 'string',
  methodNames: 'strings',
});

const NodeInfoTable = t<NodeInfo>('NodeInfo', g.NodeInfo, {
  nodeId: 'string',
  alive: 'bool',
  address: 'string',
  resources: 'resources',
  available: 'resources',
  objectStoreUsed: 'number',
  isDriver: 'bool',
  runningTasks: 'number',
  bytesPulled: 'number',
});

const DemandTable = t<DemandInfo>('Demand', g.Demand, {
  resources: 'resources',
  count: 'number',
  infeasible: 'bool',
});

/** Message tables by union member; `type` is the message's `type` field in messages.ts. */
export interface MessageDesc extends TableDesc {
  type: string;
  union: g.Message;
}

/** A message descriptor for union U (one direction's message type). */
function messages<U extends { type: string }>() {
  return <T extends U['type']>(
    type: T,
    name: keyof typeof g.Message,
    cls: unknown,
    fields: Fields<Extract<U, { type: T }>>,
  ): MessageDesc => ({ ...t(name, cls, fields), type, union: g.Message[name] });
}

const toHead = messages<NodeToHead>();
export const toHeadMessages: MessageDesc[] = [
  toHead('registerNode', 'RegisterNode', g.RegisterNode, {
    nodeId: 'string',
    address: 'string',
    resources: 'resources',
    rejoin: 'bool',
    runningTaskIds: 'strings',
    actorIds: 'strings',
  }),
  toHead('registerFunction', 'RegisterFunction', g.RegisterFunction, {
    hash: 'string',
    source: 'string',
    name: 'string',
    runtimeEnv: 'string',
  }),
  toHead('getFunction', 'GetFunction', g.GetFunction, { reqId: 'number', nodeId: 'string', hash: 'string' }),
  toHead('submit', 'Submit', g.Submit, { nodeId: 'string', task: { table: TaskSpecTable } }),
  toHead('objectAdded', 'ObjectAdded', g.ObjectAdded, {
    nodeId: 'string',
    id: 'string',
    ownerId: 'string',
    size: 'number',
    refs: 'strings',
    inlineValue: 'optionalValue',
  }),
  toHead('subscribe', 'Subscribe', g.Subscribe, { nodeId: 'string', ids: 'strings' }),
  toHead('addRef', 'AddRef', g.AddRef, { holderId: 'string', ids: 'strings' }),
  toHead('removeRef', 'RemoveRef', g.RemoveRef, { holderId: 'string', ids: 'strings' }),
  toHead('holderGone', 'HolderGone', g.HolderGone, { holderId: 'string' }),
  toHead('taskFinished', 'TaskFinished', g.TaskFinished, {
    nodeId: 'string',
    taskIds: 'strings',
    runMs: 'numbers',
    failedIds: 'strings',
  }),
  toHead('taskBlocked', 'TaskBlocked', g.TaskBlocked, { nodeId: 'string', taskId: 'string' }),
  toHead('taskUnblocked', 'TaskUnblocked', g.TaskUnblocked, { nodeId: 'string', taskId: 'string' }),
  toHead('tasksReturned', 'TasksReturned', g.TasksReturned, { nodeId: 'string', taskIds: 'strings' }),
  toHead('cancel', 'Cancel', g.Cancel, { nodeId: 'string', id: 'string', force: 'bool' }),
  toHead('killActor', 'KillActorRequest', g.KillActorRequest, {
    nodeId: 'string',
    actorId: 'string',
    noRestart: 'bool',
  }),
  toHead('actorDied', 'ActorDied', g.ActorDied, {
    nodeId: 'string',
    actorId: 'string',
    error: { table: ErrorInfoTable },
  }),
  toHead('getActor', 'GetActor', g.GetActor, { reqId: 'number', nodeId: 'string', name: 'string' }),
  toHead('clusterInfo', 'ClusterInfo', g.ClusterInfo, { reqId: 'number', nodeId: 'string' }),
  toHead('nodeStats', 'NodeStats', g.NodeStats, {
    nodeId: 'string',
    objectStoreUsed: 'number',
    bytesPulled: 'number',
  }),
  toHead('log', 'Log', g.Log, { stream: { enum: LogStreamValues }, prefix: 'string', text: 'string' }),
  toHead('experimentReport', 'ExperimentReport', g.ExperimentReport, { json: 'string' }),
];

/** Messages the head sends to a node. */
const toNode = messages<HeadToNode>();
export const toNodeMessages: MessageDesc[] = [
  toNode('functionReply', 'FunctionReply', g.FunctionReply, {
    reqId: 'number',
    found: 'bool',
    source: 'string',
    name: 'string',
    runtimeEnv: 'string',
  }),
  toNode('executeTask', 'ExecuteTask', g.ExecuteTask, { task: { table: TaskSpecTable } }),
  toNode('objectReady', 'ObjectReady', g.ObjectReady, {
    id: 'string',
    locations: 'strings',
    addresses: 'strings',
    inlineValue: 'optionalValue',
  }),
  toNode('storeError', 'StoreError', g.StoreError, { ids: 'strings', error: { table: ErrorInfoTable } }),
  toNode('freeObject', 'FreeObject', g.FreeObject, { ids: 'strings' }),
  toNode('cancelTask', 'CancelTask', g.CancelTask, { taskId: 'string', force: 'bool' }),
  toNode('killActor', 'KillActor', g.KillActor, { actorId: 'string', noRestart: 'bool' }),
  toNode('actorReply', 'ActorReply', g.ActorReply, {
    reqId: 'number',
    found: 'bool',
    actor: { table: ActorInfoTable },
  }),
  toNode('clusterInfoReply', 'ClusterInfoReply', g.ClusterInfoReply, {
    reqId: 'number',
    nodes: { tables: NodeInfoTable },
    pendingTasks: 'number',
    demands: { tables: DemandTable },
  }),
  toNode('log', 'Log', g.Log, { stream: { enum: LogStreamValues }, prefix: 'string', text: 'string' }),
];

/** Object transfer between nodes (both directions use the same set). */
const peer = messages<PeerMessage>();
export const peerMessages: MessageDesc[] = [
  peer('pullObject', 'PullObject', g.PullObject, { reqId: 'number', id: 'string' }),
  peer('objectHeader', 'ObjectHeader', g.ObjectHeader, {
    reqId: 'number',
    found: 'bool',
    header: 'bytes',
    bufferSizes: 'numbers',
    refs: 'strings',
    size: 'number',
    error: { table: ErrorInfoTable },
  }),
  peer('objectChunk', 'ObjectChunk', g.ObjectChunk, {
    reqId: 'number',
    buffer: 'number',
    offset: 'number',
    payload: 'number',
  }),
];
