import type { MessagePort } from 'node:worker_threads';
import type { WireError } from '../errors/wire.js';
import type {
  ClientToNode,
  HeadToNode,
  NodeToHead,
  ObjectResult,
  SerializedValue,
} from '../protocol/messages.js';
import type { CpuQueue } from './cpu-queue.js';
import type { MemoryVictim } from './memory-monitor.js';
import type { TaskPools } from './task-pools.js';

/**
 * What the node's runners (task-runner, actor-runner, client-session) may ask of the node.
 * They get this narrow view rather than the whole NodeRuntime, so node-runtime.ts imports
 * them and they import only this file (no circle).
 */

/** Where a runner puts what a task produced, and says the task is over. */
export interface ResultSink {
  /** Stores an object made here (`ownerId` set) or a copy of one made elsewhere (''). */
  storeValue(id: string, value: SerializedValue, ownerId: string): void;
  storeError(id: string, error: WireError, ownerId: string): void;
  /** The task ended here (`runMs`: how long it ran on its thread, 0 if not measured). */
  taskFinished(taskId: string, runMs?: number, failed?: boolean): void;
  /** Resolves once every object is in this node's store (pulled from others if needed). */
  resolveObjects(ids: string[]): Promise<ObjectResult[]>;
}

/** Lets the node cancel a task it runs, or end it for the node's memory (MemoryMonitor). */
export interface TaskControl extends MemoryVictim {
  cancel(force: boolean): void;
  /** The task waits in get/wait (true) or runs again (false): it lends its CPU meanwhile. */
  blocked(waits: boolean): void;
  /** The thread that runs it while it holds a CPU of the node's queue (not waiting in get), else 0. */
  readonly busyThread: number;
  /** When the node first saw it running on `busyThread` (see NodeRuntime.longCall). */
  busySince?: number;
}

/** What runTask needs: the pools, the CPU queue, the tasks it runs, force-stop of a thread. */
export interface TaskHost extends ResultSink {
  readonly pools: TaskPools;
  readonly cpuQueue: CpuQueue;
  readonly running: Map<string, TaskControl>;
  stopTaskThread(slot: number): Promise<void>;
}

/** What an ActorRunner needs. */
export interface ActorHost extends ResultSink {
  readonly nodeId: string;
  toHead(message: NodeToHead): void;
  attachWorkerPort(port: MessagePort): void;
  actorGone(actorId: string): void;
}

/** What a ClientSession needs to answer its client. */
export interface SessionHost {
  readonly nodeId: string;
  toHead(message: NodeToHead): void;
  ask(message: Extract<NodeToHead, { reqId: number }>): Promise<HeadToNode>;
  storeValue(id: string, value: SerializedValue, ownerId: string): void;
  registerFunction(hash: string, source: string, name: string, runtimeEnv: string): void;
  getFunction(hash: string): Promise<{ source: string; name: string; runtimeEnv: string }>;
  /** Sets up (once per node) the working dir of a job's runtime environment. */
  prepareRuntimeEnv(runtimeEnv: string): Promise<{ dir: string; codeDir: string }>;
  readLocal(ids: string[]): ObjectResult[] | undefined;
  whenAll(ids: string[], done: (results: ObjectResult[]) => void): void;
  whenExists(id: string, done: () => void): void;
  isLocal(id: string): boolean;
  resolveObjects(ids: string[]): Promise<ObjectResult[]>;
  /** A task of this node waits in get/wait (it gives its CPU and its thread up), or runs again. */
  taskBlocked(taskId: string): void;
  taskUnblocked(taskId: string): void;
  flushStats(): void;
  log(m: Extract<ClientToNode, { type: 'log' }>): void;
  wireOf(error: unknown): WireError;
  sessionClosed(session: { clientId: string }): void;
}
