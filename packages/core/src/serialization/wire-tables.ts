/**
 * How each wire message maps onto its FlatBuffers table (schema/cluster.fbs): one
 * descriptor per table lists its fields in TypeScript names (which are also the generated
 * accessor names) and how each is stored. wire-codec.ts walks these descriptors.
 */
import * as g from '../generated/cluster_generated.js';

export type FieldKind =
  | 'string'
  | 'number'
  | 'bool'
  | 'strings'
  | 'numbers'
  | 'bytes'
  | 'resources'
  | 'value'
  | { table: TableDesc }
  | { tables: TableDesc }
  | { enum: Record<string, number> };

export interface TableDesc {
  /** Table name in the schema, e.g. 'TaskSpec'. */
  name: string;
  /** The generated class. */
  cls: unknown;
  fields: [field: string, kind: FieldKind][];
}

const t = (name: string, cls: unknown, fields: [string, FieldKind][]): TableDesc => ({ name, cls, fields });

export const ErrorInfoTable = t('ErrorInfo', g.ErrorInfo, [
  ['code', 'string'],
  ['message', 'string'],
  ['name', 'string'],
  ['stack', 'string'],
  ['functionName', 'string'],
  ['taskId', 'string'],
  ['nodeId', 'string'],
  ['actorId', 'string'],
  ['objectId', 'string'],
]);

export const TaskKindValues = {
  task: g.TaskKind.Task,
  actorCreate: g.TaskKind.ActorCreate,
  actorCall: g.TaskKind.ActorCall,
};
export const LogStreamValues = { stdout: g.LogStream.Stdout, stderr: g.LogStream.Stderr };

export const TaskSpecTable = t('TaskSpec', g.TaskSpec, [
  ['taskId', 'string'],
  ['kind', { enum: TaskKindValues }],
  ['functionHash', 'string'],
  ['name', 'string'],
  ['args', 'value'],
  ['refArgIndexes', 'numbers'],
  ['refArgIds', 'strings'],
  ['returnIds', 'strings'],
  ['ownerId', 'string'],
  ['numCpus', 'number'],
  ['memory', 'number'],
  ['resources', 'resources'],
  ['maxRetries', 'number'],
  ['retryExceptions', 'bool'],
  ['actorId', 'string'],
  ['method', 'string'],
  ['actorName', 'string'],
  ['maxRestarts', 'number'],
  ['maxTaskRetries', 'number'],
  ['maxConcurrency', 'number'],
  ['methodNames', 'strings'],
]);

const ActorInfoTable = t('ActorInfo', g.ActorInfo, [
  ['actorId', 'string'],
  ['name', 'string'],
  ['className', 'string'],
  ['methodNames', 'strings'],
]);

const NodeInfoTable = t('NodeInfo', g.NodeInfo, [
  ['nodeId', 'string'],
  ['alive', 'bool'],
  ['address', 'string'],
  ['resources', 'resources'],
  ['available', 'resources'],
  ['objectStoreUsed', 'number'],
]);

/** Message tables by union member; `type` is the message's `type` field in messages.ts. */
export interface MessageDesc extends TableDesc {
  type: string;
  union: g.Message;
}

const m = (
  type: string,
  name: keyof typeof g.Message,
  cls: unknown,
  fields: [string, FieldKind][],
): MessageDesc => ({
  type,
  union: g.Message[name],
  name,
  cls,
  fields,
});

/** Messages a node sends to the head. */
export const toHeadMessages: MessageDesc[] = [
  m('registerNode', 'RegisterNode', g.RegisterNode, [
    ['nodeId', 'string'],
    ['address', 'string'],
    ['resources', 'resources'],
  ]),
  m('registerFunction', 'RegisterFunction', g.RegisterFunction, [
    ['hash', 'string'],
    ['source', 'string'],
    ['name', 'string'],
  ]),
  m('getFunction', 'GetFunction', g.GetFunction, [
    ['reqId', 'number'],
    ['nodeId', 'string'],
    ['hash', 'string'],
  ]),
  m('submit', 'Submit', g.Submit, [
    ['nodeId', 'string'],
    ['task', { table: TaskSpecTable }],
  ]),
  m('objectAdded', 'ObjectAdded', g.ObjectAdded, [
    ['nodeId', 'string'],
    ['id', 'string'],
    ['ownerId', 'string'],
    ['size', 'number'],
    ['refs', 'strings'],
  ]),
  m('subscribe', 'Subscribe', g.Subscribe, [
    ['nodeId', 'string'],
    ['ids', 'strings'],
  ]),
  m('addRef', 'AddRef', g.AddRef, [
    ['holderId', 'string'],
    ['ids', 'strings'],
  ]),
  m('removeRef', 'RemoveRef', g.RemoveRef, [
    ['holderId', 'string'],
    ['ids', 'strings'],
  ]),
  m('holderGone', 'HolderGone', g.HolderGone, [['holderId', 'string']]),
  m('taskFinished', 'TaskFinished', g.TaskFinished, [
    ['nodeId', 'string'],
    ['taskId', 'string'],
  ]),
  m('taskBlocked', 'TaskBlocked', g.TaskBlocked, [
    ['nodeId', 'string'],
    ['taskId', 'string'],
  ]),
  m('taskUnblocked', 'TaskUnblocked', g.TaskUnblocked, [
    ['nodeId', 'string'],
    ['taskId', 'string'],
  ]),
  m('cancel', 'Cancel', g.Cancel, [
    ['nodeId', 'string'],
    ['id', 'string'],
    ['force', 'bool'],
  ]),
  m('killActor', 'KillActorRequest', g.KillActorRequest, [
    ['nodeId', 'string'],
    ['actorId', 'string'],
    ['noRestart', 'bool'],
  ]),
  m('actorDied', 'ActorDied', g.ActorDied, [
    ['nodeId', 'string'],
    ['actorId', 'string'],
    ['error', { table: ErrorInfoTable }],
  ]),
  m('getActor', 'GetActor', g.GetActor, [
    ['reqId', 'number'],
    ['nodeId', 'string'],
    ['name', 'string'],
  ]),
  m('clusterInfo', 'ClusterInfo', g.ClusterInfo, [
    ['reqId', 'number'],
    ['nodeId', 'string'],
  ]),
  m('nodeStats', 'NodeStats', g.NodeStats, [
    ['nodeId', 'string'],
    ['objectStoreUsed', 'number'],
  ]),
  m('log', 'Log', g.Log, [
    ['stream', { enum: LogStreamValues }],
    ['prefix', 'string'],
    ['text', 'string'],
  ]),
];

/** Messages the head sends to a node. */
export const toNodeMessages: MessageDesc[] = [
  m('functionReply', 'FunctionReply', g.FunctionReply, [
    ['reqId', 'number'],
    ['found', 'bool'],
    ['source', 'string'],
    ['name', 'string'],
  ]),
  m('executeTask', 'ExecuteTask', g.ExecuteTask, [['task', { table: TaskSpecTable }]]),
  m('objectReady', 'ObjectReady', g.ObjectReady, [
    ['id', 'string'],
    ['locations', 'strings'],
  ]),
  m('storeError', 'StoreError', g.StoreError, [
    ['ids', 'strings'],
    ['error', { table: ErrorInfoTable }],
  ]),
  m('freeObject', 'FreeObject', g.FreeObject, [['id', 'string']]),
  m('cancelTask', 'CancelTask', g.CancelTask, [
    ['taskId', 'string'],
    ['force', 'bool'],
  ]),
  m('killActor', 'KillActor', g.KillActor, [
    ['actorId', 'string'],
    ['noRestart', 'bool'],
  ]),
  m('actorReply', 'ActorReply', g.ActorReply, [
    ['reqId', 'number'],
    ['found', 'bool'],
    ['actor', { table: ActorInfoTable }],
  ]),
  m('clusterInfoReply', 'ClusterInfoReply', g.ClusterInfoReply, [
    ['reqId', 'number'],
    ['nodes', { tables: NodeInfoTable }],
  ]),
  m('log', 'Log', g.Log, [
    ['stream', { enum: LogStreamValues }],
    ['prefix', 'string'],
    ['text', 'string'],
  ]),
];

/** Object transfer between nodes (both directions use the same set). */
export const peerMessages: MessageDesc[] = [
  m('pullObject', 'PullObject', g.PullObject, [
    ['reqId', 'number'],
    ['id', 'string'],
  ]),
  m('objectHeader', 'ObjectHeader', g.ObjectHeader, [
    ['reqId', 'number'],
    ['found', 'bool'],
    ['header', 'bytes'],
    ['bufferSizes', 'numbers'],
    ['refs', 'strings'],
    ['size', 'number'],
    ['error', { table: ErrorInfoTable }],
  ]),
  m('objectChunk', 'ObjectChunk', g.ObjectChunk, [
    ['reqId', 'number'],
    ['buffer', 'number'],
    ['offset', 'number'],
    ['payload', 'number'],
  ]),
];
