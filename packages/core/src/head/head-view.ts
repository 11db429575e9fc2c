import type { NodeInfo, NodeToHead, TaskSpec } from '../protocol/messages.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { ActorTable } from './actor-table.js';
import type { ObjectDirectory } from './object-directory.js';
import type { NodeRecord, TaskRecord } from './tables.js';

/** The head's tables, for reading only (the dashboard renders them; it never changes them). */
export interface HeadView {
  readonly nodes: ReadonlyMap<string, NodeRecord>;
  readonly deadNodes: ReadonlyMap<string, NodeInfo>;
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  readonly actors: ActorTable;
  /** How each live actor was created; `task.maxRestarts` counts down at each restart. */
  readonly actorSpecs: ReadonlyMap<string, { task: TaskSpec; fromNode: string }>;
  readonly directory: ObjectDirectory;
  readonly scheduler: Scheduler;
}

/** What the head tells its observer (the dashboard); calls are synchronous and must not throw. */
export interface HeadObserver {
  /** A message from `nodeId` was handled. */
  message(nodeId: string, message: NodeToHead): void;
  nodeLost(nodeId: string): void;
  /** A task (or actor call, or actor creation) ended: its result was stored, or an error. */
  taskEnded(record: TaskRecord, ok: boolean): void;
}
