import { ErrorCode } from '../errors/codes.js';
import { wireError, type WireError } from '../errors/wire.js';
import { TaskKind, type TaskSpec } from '../protocol/messages.js';
import { preferredNode, type PlacementView } from '../scheduler/locality.js';
import { demandOf } from '../scheduler/scheduler.js';
import { ActorState } from './actor-table.js';
import type { HeadTables, TaskOps } from './head-context.js';
import { nodeInfos, type TaskRecord } from './tables.js';

/**
 * The life of a task in the head: submit, wait for its arguments (admit), hold it if no
 * node can fit it (infeasible), place it (with the locality policy of scheduler/locality.ts),
 * then finish, give back, fail or cancel it. Actor calls are routed to their actor's node.
 */
export class TaskLifecycle implements TaskOps {
  /** A placeQueued() is due at the end of this batch (see placeSoon). */
  private placePending = false;
  private readonly placement: PlacementView;

  constructor(
    private readonly h: HeadTables,
    /** A restarted head's adoption of a task submitted again (restart-adoption.ts). */
    private readonly adopt: { adoptIfKnown(record: TaskRecord): boolean },
  ) {
    this.placement = {
      get nodeCount() {
        return h.nodes.size;
      },
      placement: (id) => h.directory.placement(id),
      runsTasks: (nodeId) => h.nodes.get(nodeId)?.isDriver === false,
    };
  }

  submit(fromNode: string, task: TaskSpec): void {
    if (this.h.tasks.has(task.taskId)) return; // a restarted head may hear of a task twice
    this.h.directory.pin(task.refArgIds);
    this.h.directory.pin(task.args.refs);
    const record: TaskRecord = { task, fromNode, state: 'waiting' };
    this.h.tasks.set(task.taskId, record);
    if (task.kind === TaskKind.actorCreate && !this.registerActor(task, fromNode)) return;
    // A restarted head whose nodes have reported: a task submitted again may be done or running.
    if (this.h.recovery?.nodesBack && !this.h.recovery.over && this.adopt.adoptIfKnown(record)) return;
    if (task.kind === TaskKind.actorCall) return this.routeCall(task, fromNode);
    this.admit(record);
  }

  /** Records a new actor; false (and the creation failed) when its name is taken. */
  private registerActor(task: TaskSpec, fromNode: string): boolean {
    this.h.actorTasks.set(task.actorId, task.taskId);
    this.h.actorSpecs.set(task.actorId, { task, fromNode });
    const info = {
      actorId: task.actorId,
      name: task.actorName,
      className: task.name,
      methodNames: task.methodNames,
    };
    if (this.h.actors.add(info)) return true;
    const error = wireError(ErrorCode.ACTOR_DIED, `an actor named "${task.actorName}" already exists`);
    this.h.actors.add({ ...info, name: '' });
    this.h.actors.died(task.actorId, error);
    this.fail(task.taskId, error);
    return false;
  }

  /** Queues a task once its ref arguments are ready, or holds it if no node can fit it. */
  admit(record: TaskRecord): void {
    const { task } = record;
    if (!this.h.scheduler.feasible(task)) return this.holdInfeasible(record);
    // Wait for the top-level ref arguments before taking any resources.
    this.h.directory.whenReady(task.refArgIds, () => {
      // Cancelled meanwhile, or found running on a node that rejoined a restarted head.
      if (this.h.tasks.get(task.taskId) !== record || record.state !== 'waiting') return;
      record.state = 'queued';
      this.h.scheduler.enqueue(task);
      this.placeSoon();
    });
  }

  /**
   * Places queued tasks once the rest of this batch is handled. A task result arrives as
   * `objectAdded` followed by `taskFinished` in the same batch: a task waiting for that
   * result becomes ready between the two, while its maker still holds its CPU, and placing
   * it at once would send it away from the node that holds its argument (locality).
   */
  private placeSoon(): void {
    if (this.placePending) return;
    this.placePending = true;
    queueMicrotask(() => {
      this.placePending = false;
      this.placeQueued();
    });
  }

  /**
   * No node offers what the task needs. In a cluster a node that does may still join, so
   * the driver is warned at once, the task shows in `status` as an infeasible demand, and it
   * fails with InfeasibleTaskError only if no such node joins within `infeasibleTimeoutMs`.
   */
  private holdInfeasible(record: TaskRecord): void {
    const { task } = record;
    const needs = `${task.name} needs ${JSON.stringify(demandOf(task))} but no node offers that much`;
    const nodes = `(nodes: ${JSON.stringify(nodeInfos(this.h.nodes, this.h.tasks.values(), this.h.scheduler).map((n) => n.resources))})`;
    const error = wireError(ErrorCode.INFEASIBLE_TASK, `${needs} ${nodes}`);
    if (this.h.options.infeasibleTimeoutMs <= 0) {
      if (task.kind === TaskKind.actorCreate) this.h.actors.died(task.actorId, error);
      return this.fail(task.taskId, error);
    }
    record.state = 'infeasible';
    // A restarted head before its nodes are back: they bring the resources (retryInfeasible).
    if (this.h.recovery && !this.h.recovery.nodesBack) return;
    this.h.send(record.fromNode, {
      type: 'log',
      stream: 'stderr',
      prefix: '(de2)',
      text:
        `warning: ${needs}; it waits ${Math.round(this.h.options.infeasibleTimeoutMs / 1000)} s for a node that does ` +
        'to join, then fails (see `npx de2-node status`)\n',
    });
    const timer = setTimeout(() => {
      if (this.h.tasks.get(task.taskId) !== record || record.state !== 'infeasible') return;
      if (task.kind === TaskKind.actorCreate) this.h.actors.died(task.actorId, error);
      this.fail(task.taskId, error);
    }, this.h.options.infeasibleTimeoutMs);
    timer.unref();
  }

  /** A node joined: tasks held as infeasible may fit now. */
  retryInfeasible(): void {
    for (const record of [...this.h.tasks.values()]) {
      if (record.state === 'infeasible' && this.h.scheduler.feasible(record.task)) {
        record.state = 'waiting';
        this.admit(record);
      }
    }
  }

  private routeCall(task: TaskSpec, fromNode: string): void {
    const actor = this.h.actors.get(task.actorId);
    if (!actor || actor.state === ActorState.dead) {
      const error = actor?.deathError ?? wireError(ErrorCode.ACTOR_DIED, `actor ${task.actorId} is unknown`);
      return this.fail(
        task.taskId,
        wireError(ErrorCode.ACTOR_DIED, error.message, { ...error, actorId: task.actorId }),
      );
    }
    if (actor.state === ActorState.pending) {
      actor.waiting.push({ task, fromNode });
      return;
    }
    this.dispatch(task, actor.nodeId as string);
  }

  dispatch(task: TaskSpec, nodeId: string): void {
    const record = this.h.tasks.get(task.taskId);
    if (record) {
      record.state = 'running';
      record.nodeId = nodeId;
    }
    this.h.send(nodeId, { type: 'executeTask', task });
  }

  placeQueued(): void {
    if (this.h.recovery && !this.h.recovery.nodesBack) return; // nodes may still report these tasks running
    for (const { task, nodeId } of this.h.scheduler.schedule((t) => preferredNode(t, this.placement))) {
      this.dispatch(task, nodeId);
      if (task.kind === TaskKind.actorCreate) {
        const actor = this.h.actors.get(task.actorId);
        if (!actor) continue;
        actor.state = ActorState.alive;
        actor.nodeId = nodeId;
        for (const call of actor.waiting.splice(0)) this.dispatch(call.task, nodeId);
      }
    }
  }

  finished(taskId: string, runMs: number, ok: boolean): void {
    this.h.recovery?.tasks.delete(taskId); // ended before its owner came back: its results tell
    const record = this.h.tasks.get(taskId);
    if (!record) return;
    const { task } = record;
    // An actor's creation task keeps its resources while the actor lives.
    if (task.kind !== TaskKind.actorCreate) this.h.scheduler.finish(taskId, runMs);
    if (task.kind === TaskKind.task) this.h.lineage.record(task, record.fromNode);
    this.h.observer?.taskEnded(record, ok);
    this.forget(record);
    // Once per batch, not once per finished task: a node's results arrive together.
    this.placeSoon();
  }

  /** The node did not start these (every CPU stayed busy): place them again, on a free CPU. */
  tasksReturned(nodeId: string, taskIds: string[]): void {
    const back: TaskRecord[] = [];
    for (const taskId of taskIds) {
      const record = this.h.tasks.get(taskId);
      if (record?.state !== 'running' || record.nodeId !== nodeId) continue;
      record.state = 'queued';
      delete record.nodeId;
      back.push(record);
    }
    this.h.scheduler.takeBack(
      nodeId,
      back.map((r) => r.task),
    );
    // A cancel sent to the node meanwhile found nothing there: it applies here.
    for (const record of back) if (record.cancelled) this.cancel(record.task.returnIds[0]!, false);
    this.placeQueued();
  }

  forget(record: TaskRecord): void {
    const { task } = record;
    this.h.tasks.delete(task.taskId);
    this.h.directory.unpin(task.refArgIds);
    this.h.directory.unpin(task.args.refs);
  }

  /** Stores `error` in place of the task's returns (on the node it came from) and forgets it. */
  fail(taskId: string, error: WireError): void {
    const record = this.h.tasks.get(taskId);
    if (!record) return;
    this.h.send(record.fromNode, {
      type: 'storeError',
      ids: record.task.returnIds,
      error: { ...error, taskId },
    });
    this.h.observer?.taskEnded(record, false);
    this.forget(record);
  }

  cancel(objectId: string, force: boolean): void {
    // A task's returns are named `<taskId>.<i>` (api/remote-function.ts, api/actor.ts): no
    // table from return to task (a million queued tasks would pay for one).
    const record = this.h.tasks.get(objectId.slice(0, objectId.lastIndexOf('.')));
    if (!record?.task.returnIds.includes(objectId)) return; // finished already: cancel does nothing, as in Ray
    const error = wireError(ErrorCode.TASK_CANCELLED, `task ${record.task.name} was cancelled`);
    if (record.state === 'running' && record.nodeId !== undefined) {
      record.cancelled = true;
      this.h.send(record.nodeId, { type: 'cancelTask', taskId: record.task.taskId, force });
      return;
    }
    if (record.task.kind === TaskKind.actorCall) {
      const actor = this.h.actors.get(record.task.actorId);
      if (actor) actor.waiting = actor.waiting.filter((w) => w.task.taskId !== record.task.taskId);
    }
    this.h.scheduler.dequeue(record.task.taskId);
    this.fail(record.task.taskId, error);
  }

  /** Takes an actor call out of its actor's waiting list. */
  unwait(task: TaskSpec): void {
    const actor = this.h.actors.get(task.actorId);
    if (actor) actor.waiting = actor.waiting.filter((w) => w.task.taskId !== task.taskId);
  }
}
