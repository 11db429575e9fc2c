import type { HeadToNode, NodeInfo, TaskSpec } from '../protocol/messages.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { WireError } from '../errors/wire.js';
import type { ActorTable } from './actor-table.js';
import type { Lineage, Made } from './lineage.js';
import type { HeadRecovery, Member } from './head-recovery.js';
import type { HeadObserver } from './head-view.js';
import type { ObjectDirectory } from './object-directory.js';
import type { NodeRecord, TaskRecord } from './tables.js';

export interface HeadOptions {
  /**
   * How long a task that no node can fit waits for one that can to join before it fails
   * (0: fail at once, as in embedded mode where no node can join).
   */
  infeasibleTimeoutMs: number;
  /** Where the head reports connections it closes for misbehaving. */
  log?: (line: string) => void;
  /**
   * This head restarts one that died: the nodes and drivers it had (from its state file)
   * may rejoin under their ids within `graceMs`. Until they all have (or the time is up) the
   * head places nothing and frees nothing; then it reconciles what they reported.
   */
  recovery?: { members: Member[]; graceMs: number };
  /** Called when a node or driver joins or leaves (the head's state file is rewritten). */
  onMembersChanged?: () => void;
  /**
   * Most bytes of finished tasks' specs kept to rebuild lost results (Ray's
   * `max_lineage_bytes`; default 1 GiB); 0 keeps none (see lineage.ts).
   */
  maxLineageBytes?: number;
}

/**
 * The head's tables, shared by its pieces (head.ts: connections and messages;
 * task-lifecycle.ts; node-loss.ts; restart-adoption.ts). Each piece gets this and the
 * narrow interfaces below, never the Head class.
 */
export interface HeadTables {
  readonly options: HeadOptions;
  readonly nodes: Map<string, NodeRecord>;
  readonly functions: Map<string, { source: string; name: string; runtimeEnv: string }>;
  readonly tasks: Map<string, TaskRecord>;
  readonly scheduler: Scheduler;
  readonly actors: ActorTable;
  /** Creation task of each actor: its resources are held until the actor dies. */
  readonly actorTasks: Map<string, string>;
  /** The task that made each live object, to rebuild it if every copy is lost (lineage.ts). */
  readonly lineage: Lineage;
  /** How each actor was created, to create it again if its node dies. */
  readonly actorSpecs: Map<string, Made>;
  /** Nodes that died, as they were last seen (for `status`). */
  readonly deadNodes: Map<string, NodeInfo>;
  readonly directory: ObjectDirectory;
  /** Recovery after a restart (see HeadOptions.recovery and head-recovery.ts). */
  readonly recovery: HeadRecovery | undefined;
  readonly observer: HeadObserver | undefined;
  /** Sends to a live node (nothing if it is gone). */
  send(nodeId: string, message: HeadToNode): void;
}

/** What the other pieces ask of the task lifecycle (task-lifecycle.ts). */
export interface TaskOps {
  submit(fromNode: string, task: TaskSpec): void;
  admit(record: TaskRecord): void;
  dispatch(task: TaskSpec, nodeId: string): void;
  placeQueued(): void;
  retryInfeasible(): void;
  unwait(task: TaskSpec): void;
  forget(record: TaskRecord): void;
  fail(taskId: string, error: WireError): void;
}
