/**
 * Every message between the roles of the runtime, in one place.
 *
 * - `ClientToNode` / `NodeToClient`: a client (the driver's, or one per worker thread) and
 *   the node it lives on. Embedded drivers use an in-process channel; worker threads use a
 *   MessagePort.
 * - `NodeToHead` / `HeadToNode`: a node and the head (the cluster tables and scheduler).
 * - `WorkerTask` / `WorkerResult`: what a node hands a worker thread through Piscina.
 *
 * Fields are plain data only (strings, numbers, booleans, byte payloads and arrays of
 * those) so that each message maps to a FlatBuffers table with its payload bytes beside
 * it when the same messages cross a socket.
 */
import type { MessagePort } from 'node:worker_threads';
import type { WireError } from '../errors/wire.js';

/** A value as stored and sent: v8 structured-clone bytes plus out-of-band buffers. */
export interface SerializedValue {
  /** v8.serialize output; typed arrays above the inline threshold are only indexes into `buffers`. */
  header: Uint8Array;
  /** Out-of-band typed-array bytes, shared (not copied) between threads of one node. */
  buffers: SharedArrayBuffer[];
  /** Ids of the object refs nested inside the value (they stay alive while it does). */
  refs: string[];
  /** header + buffers, in bytes. */
  size: number;
}

/** The result of one object: its value, or the error that stands in for it. */
export interface ObjectResult {
  id: string;
  value?: SerializedValue;
  error?: WireError;
}

export const TaskKind = { task: 'task', actorCreate: 'actorCreate', actorCall: 'actorCall' } as const;
export type TaskKind = (typeof TaskKind)[keyof typeof TaskKind];

/** Everything needed to run a task, a method call or an actor's constructor. */
export interface TaskSpec {
  taskId: string;
  kind: TaskKind;
  /** Hash of the function or class source (see `registerFunction`). */
  functionHash: string;
  /** Display name: the function name, `Class.method` or the `name` option. */
  name: string;
  /** The argument list; top-level refs are `null` here and listed in `refArgIds`. */
  args: SerializedValue;
  /** Indexes of the arguments that are top-level refs, resolved before the task runs. */
  refArgIndexes: number[];
  refArgIds: string[];
  returnIds: string[];
  /** The client that submitted it (owner of the returns). */
  ownerId: string;
  numCpus: number;
  /** Heap budget in bytes (0: the node's default). */
  memory: number;
  resources: Record<string, number>;
  maxRetries: number;
  retryExceptions: boolean;
  actorId: string;
  /** Method name for `actorCall`. */
  method: string;
  /** Actor options, for `actorCreate`. */
  actorName: string;
  maxRestarts: number;
  maxTaskRetries: number;
  maxConcurrency: number;
  methodNames: string[];
  /** Placement: '' (default: locality, then any node), 'SPREAD', or 'node:<id>' / 'node-soft:<id>' (affinity). */
  scheduling: string;
}

/** What the head knows about an actor, enough to build a handle. */
export interface ActorInfo {
  actorId: string;
  name: string;
  className: string;
  methodNames: string[];
}

export interface NodeInfo {
  nodeId: string;
  alive: boolean;
  address: string;
  resources: Record<string, number>;
  available: Record<string, number>;
  objectStoreUsed: number;
  /** A driver's own node: holds the driver's objects, runs no tasks. */
  isDriver: boolean;
  /** Tasks and actor calls running on it now. */
  runningTasks: number;
  /** Bytes of objects this node has pulled from other nodes since it started. */
  bytesPulled: number;
}

/** Resources that queued tasks ask for, grouped; `infeasible`: no node can ever fit them. */
export interface DemandInfo {
  resources: Record<string, number>;
  count: number;
  infeasible: boolean;
}

export type ClientToNode =
  | { type: 'hello'; clientId: string; isDriver: boolean; threadId: number }
  /** `runtimeEnv`: the job's runtime environment (runtime-env/descriptor.ts, JSON), '' for none. */
  | { type: 'registerFunction'; hash: string; source: string; name: string; runtimeEnv: string }
  | { type: 'getFunction'; reqId: number; hash: string }
  /** A worker thread asks for the working dir of a runtime environment (set up once per node). */
  | { type: 'prepareRuntimeEnv'; reqId: number; runtimeEnv: string }
  | { type: 'submit'; task: TaskSpec }
  | { type: 'put'; id: string; value: SerializedValue }
  | { type: 'get'; reqId: number; ids: string[]; taskId: string }
  | { type: 'cancelRequest'; reqId: number }
  | {
      type: 'wait';
      reqId: number;
      ids: string[];
      numReturns: number;
      timeoutMs: number;
      fetchLocal: boolean;
      taskId: string;
    }
  | { type: 'cancel'; id: string; force: boolean }
  | { type: 'killActor'; actorId: string; noRestart: boolean }
  | { type: 'getActor'; reqId: number; name: string }
  | { type: 'addRef'; ids: string[] }
  | { type: 'removeRef'; ids: string[] }
  | { type: 'clusterInfo'; reqId: number }
  | { type: 'flush'; reqId: number }
  | { type: 'log'; stream: 'stdout' | 'stderr'; prefix: string; text: string }
  /** A Tune experiment's progress for the dashboard (JSON of an ExperimentReport). */
  | { type: 'experimentReport'; json: string };

export type NodeToClient =
  | { type: 'functionReply'; reqId: number; source: string; name: string; runtimeEnv: string }
  | { type: 'runtimeEnvReply'; reqId: number; dir: string; codeDir: string }
  | { type: 'getReply'; reqId: number; results: ObjectResult[] }
  | { type: 'waitReply'; reqId: number; readyIds: string[] }
  | { type: 'actorReply'; reqId: number; found: boolean; actor: ActorInfo }
  | {
      type: 'clusterInfoReply';
      reqId: number;
      nodes: NodeInfo[];
      pendingTasks: number;
      demands: DemandInfo[];
    }
  | { type: 'flushReply'; reqId: number }
  | { type: 'requestFailed'; reqId: number; error: WireError }
  | { type: 'log'; stream: 'stdout' | 'stderr'; prefix: string; text: string };

export type NodeToHead =
  | {
      type: 'registerNode';
      nodeId: string;
      address: string;
      resources: Record<string, number>;
      /** Back under its old id after the head restarted, with what it still runs and hosts. */
      rejoin?: boolean;
      runningTaskIds?: string[];
      actorIds?: string[];
    }
  | { type: 'registerFunction'; hash: string; source: string; name: string; runtimeEnv: string }
  | { type: 'getFunction'; reqId: number; nodeId: string; hash: string }
  | { type: 'submit'; nodeId: string; task: TaskSpec }
  | {
      type: 'objectAdded';
      nodeId: string;
      id: string;
      ownerId: string;
      size: number;
      refs: string[];
      /** A small task result itself, so that the head can pass it on (see INLINE_RESULT_BYTES). */
      inlineValue?: SerializedValue;
    }
  | { type: 'subscribe'; nodeId: string; ids: string[] }
  | { type: 'addRef'; holderId: string; ids: string[] }
  | { type: 'removeRef'; holderId: string; ids: string[] }
  | { type: 'holderGone'; holderId: string }
  /** `failedIds`: those of `taskIds` that ended in an error (stored as their result). */
  | { type: 'taskFinished'; nodeId: string; taskIds: string[]; runMs: number[]; failedIds: string[] }
  | { type: 'taskBlocked'; nodeId: string; taskId: string }
  | { type: 'taskUnblocked'; nodeId: string; taskId: string }
  /** Tasks the head placed here that never started (every CPU stayed busy): place them again. */
  | { type: 'tasksReturned'; nodeId: string; taskIds: string[] }
  | { type: 'cancel'; nodeId: string; id: string; force: boolean }
  | { type: 'killActor'; nodeId: string; actorId: string; noRestart: boolean }
  | { type: 'actorDied'; nodeId: string; actorId: string; error: WireError }
  | { type: 'getActor'; reqId: number; nodeId: string; name: string }
  | { type: 'clusterInfo'; reqId: number; nodeId: string }
  | { type: 'nodeStats'; nodeId: string; objectStoreUsed: number; bytesPulled: number }
  | { type: 'log'; stream: 'stdout' | 'stderr'; prefix: string; text: string }
  | { type: 'experimentReport'; json: string };

export type HeadToNode =
  | { type: 'functionReply'; reqId: number; found: boolean; source: string; name: string; runtimeEnv: string }
  | { type: 'executeTask'; task: TaskSpec }
  | {
      type: 'objectReady';
      id: string;
      locations: string[];
      addresses: string[];
      /** The value itself when it is small: the node stores it instead of pulling it. */
      inlineValue?: SerializedValue;
    }
  | { type: 'storeError'; ids: string[]; error: WireError }
  | { type: 'freeObject'; ids: string[] }
  | { type: 'cancelTask'; taskId: string; force: boolean }
  | { type: 'killActor'; actorId: string; noRestart: boolean }
  | { type: 'actorReply'; reqId: number; found: boolean; actor: ActorInfo }
  | {
      type: 'clusterInfoReply';
      reqId: number;
      nodes: NodeInfo[];
      pendingTasks: number;
      demands: DemandInfo[];
    }
  | { type: 'log'; stream: 'stdout' | 'stderr'; prefix: string; text: string };

/** What a node asks a worker thread to run (the Piscina task). */
export interface WorkerTask {
  kind: TaskKind;
  taskId: string;
  functionHash: string;
  name: string;
  actorId: string;
  method: string;
  args: SerializedValue;
  refArgIndexes: number[];
  /** The resolved values (or errors) of the top-level ref arguments, same order. */
  refArgs: ObjectResult[];
  numReturns: number;
  /** Slot in the node's running table (see node/running-table.ts), -1 for none. */
  slot: number;
}

/** What a worker thread answers: the return values, or the user's error. */
/** `runMs`: how long the task ran on its thread, once it had the thread (see TaskFinished). */
export type WorkerResult =
  { ok: true; values: SerializedValue[]; runMs?: number } | { ok: false; error: WireError; runMs?: number };

/** A worker thread's first message on its parent port: its client port for the node. */
export interface WorkerHello {
  de2ClientPort: MessagePort;
}

/** What a worker thread starts with (Piscina's workerData). */
export interface WorkerData {
  /** The node's running table (see RunningTable). */
  runningTable?: SharedArrayBuffer | undefined;
  /** Memory budget of the thread in bytes, heap and ArrayBuffers (0: none). */
  memoryBudget?: number;
  /** One Float64 cell: what the thread used when it went over its budget. */
  memoryReport?: SharedArrayBuffer | undefined;
}

/** Node-to-node object transfer messages (schema/cluster.fbs). */
export type PeerMessage =
  | { type: 'pullObject'; reqId: number; id: string }
  | {
      type: 'objectHeader';
      reqId: number;
      found: boolean;
      header: Uint8Array;
      bufferSizes: number[];
      refs: string[];
      size: number;
      error: WireError;
    }
  | { type: 'objectChunk'; reqId: number; buffer: number; offset: number; payload: number };
