import { ErrorCode } from '../errors/codes.js';
import { respec } from '../protocol/task-spec.js';
import { wireError, type WireError } from '../errors/wire.js';
import { TaskKind } from '../protocol/messages.js';
import { ActorState } from './actor-table.js';
import type { HeadTables, TaskOps } from './head-context.js';
import { nodeInfos, type TaskRecord } from './tables.js';

/** What the head does when a node is gone: retries, actor restarts, orphans, lineage rebuilds. */
export class NodeLoss {
  constructor(
    private readonly h: HeadTables,
    private readonly lifecycle: TaskOps,
  ) {}

  /**
   * A node is gone (its connection closed or stopped answering). Ray's rules:
   * - tasks running there are retried elsewhere while `maxRetries` allows, else fail with
   *   NodeDiedError; actor calls running there fail with ActorDiedError unless
   *   `maxTaskRetries` allows a retry on the restarted actor;
   * - its actors restart on another node while `maxRestarts` allows, else die;
   * - what it owned shares its fate: tasks it submitted are dropped, actors it created killed
   *   (this is how a driver that disconnects is cleaned up);
   * - objects whose only copy was there are rebuilt by re-running the task that made them
   *   (lineage); an object made by `put` there is lost (ObjectLostError).
   */
  nodeLost(nodeId: string): void {
    const node = this.h.nodes.get(nodeId);
    if (!node) return;
    const info = nodeInfos(this.h.nodes, this.h.tasks.values(), this.h.scheduler).find(
      (n) => n.nodeId === nodeId,
    );
    // A driver leaving is normal; a node leaving is worth showing in `status`.
    if (info && !info.isDriver) this.h.deadNodes.set(nodeId, { ...info, alive: false, runningTasks: 0 });
    this.h.nodes.delete(nodeId);
    this.h.scheduler.removeNode(nodeId);
    this.h.options.onMembersChanged?.();
    const died = wireError(ErrorCode.NODE_DIED, `node ${nodeId} (${node.address}) died`);
    const actorDied = (actorId: string): WireError =>
      wireError(ErrorCode.ACTOR_DIED, `actor ${actorId} died with its node ${nodeId} (${node.address})`, {
        ...died,
        nodeId,
        actorId,
      });
    for (const record of [...this.h.tasks.values()]) {
      if (record.nodeId === nodeId && record.state === 'running') this.rescue(record, died, actorDied);
    }
    for (const actorId of this.h.actors.onNode(nodeId)) this.restartOrBury(actorId, actorDied(actorId));
    for (const [actorId, spec] of [...this.h.actorSpecs])
      if (spec.fromNode === nodeId) this.killOrphanActor(actorId);
    // A lost owner's queued tasks leave the scheduler's queue in one pass (one dequeue each
    // was quadratic: a driver that left a million queued tasks held the head for a minute).
    const orphanTasks = [...this.h.tasks.values()].filter(
      (record) => record.fromNode === nodeId && this.h.tasks.get(record.task.taskId) === record,
    );
    this.h.scheduler.dequeueAll(
      new Set(
        orphanTasks
          .filter((r) => !(r.state === 'running' && r.nodeId !== undefined))
          .filter((r) => r.task.kind !== TaskKind.actorCreate)
          .map((r) => r.task.taskId),
      ),
    );
    for (const record of orphanTasks)
      if (this.h.tasks.get(record.task.taskId) === record) this.dropOrphan(record);
    this.h.directory.holdersLost(nodeId);
    const orphans = this.h.directory.nodeLost(nodeId);
    for (const id of orphans) this.rebuildOrLose(id, nodeId);
    const rebuilding = new Set(orphans.filter((id) => !this.h.directory.isReady(id)));
    if (rebuilding.size > 0) this.waitForRebuilt(rebuilding);
    this.lifecycle.placeQueued();
    this.h.observer?.nodeLost(nodeId);
  }

  /**
   * Objects being rebuilt are not ready again until their task reruns. Tasks that take them
   * must not hold a CPU meanwhile, or with few CPUs left the rebuild never gets one (Ray,
   * too, resolves arguments before a task gets a worker): queued ones go back to waiting
   * for their arguments, and running ones, which are still fetching them on their node,
   * lend their CPUs as a task blocked in `get` does.
   */
  private waitForRebuilt(ids: Set<string>): void {
    for (const record of [...this.h.tasks.values()]) {
      if (!record.task.refArgIds.some((id) => ids.has(id))) continue;
      if (record.state === 'queued' && this.h.scheduler.dequeue(record.task.taskId)) {
        record.state = 'waiting';
        this.lifecycle.admit(record);
      } else if (record.state === 'running') this.h.scheduler.block(record.task.taskId);
    }
  }

  /** A task was running on a node that died: retry it if it may be, else fail it. */
  private rescue(record: TaskRecord, died: WireError, actorDied: (actorId: string) => WireError): void {
    const { task } = record;
    if (task.kind === TaskKind.task) {
      this.h.scheduler.finish(task.taskId);
      if (task.maxRetries !== 0) {
        record.task = respec(task, { maxRetries: task.maxRetries - 1 });
        record.state = 'queued';
        delete record.nodeId;
        this.h.scheduler.enqueue(record.task);
      } else this.lifecycle.fail(task.taskId, { ...died, nodeId: record.nodeId ?? '' });
    } else if (task.kind === TaskKind.actorCall) {
      const actor = this.h.actors.get(task.actorId);
      if (task.maxTaskRetries !== 0 && actor && actor.info && this.restartsLeft(task.actorId)) {
        record.task = respec(task, { maxTaskRetries: task.maxTaskRetries - 1 });
        record.state = 'waiting';
        delete record.nodeId;
        actor.waiting.push({ task: record.task, fromNode: record.fromNode });
      } else this.lifecycle.fail(task.taskId, actorDied(task.actorId));
    }
  }

  private restartsLeft(actorId: string): boolean {
    return (this.h.actorSpecs.get(actorId)?.task.maxRestarts ?? 0) !== 0;
  }

  /** An actor's node died: create it again elsewhere (constructor re-run) or mark it dead. */
  private restartOrBury(actorId: string, error: WireError): void {
    const actor = this.h.actors.get(actorId);
    const spec = this.h.actorSpecs.get(actorId);
    if (!actor || !spec) return;
    const createId = this.h.actorTasks.get(actorId);
    if (createId !== undefined) this.h.scheduler.finish(createId);
    if (spec.task.maxRestarts === 0) {
      this.h.actors.died(actorId, error);
      this.h.actorTasks.delete(actorId);
      this.h.actorSpecs.delete(actorId);
      for (const call of actor.waiting.splice(0)) this.lifecycle.fail(call.task.taskId, error);
      return;
    }
    const task = respec(spec.task, { maxRestarts: spec.task.maxRestarts - 1 });
    this.h.actorSpecs.set(actorId, { task, fromNode: spec.fromNode });
    actor.state = ActorState.pending;
    delete actor.nodeId;
    const record: TaskRecord = { task, fromNode: spec.fromNode, state: 'queued' };
    this.h.tasks.set(task.taskId, record);
    this.h.actorTasks.set(actorId, task.taskId);
    this.h.scheduler.enqueue(task);
  }

  /**
   * The node that submitted a task (its owner) is gone: nobody will read the result. Queued
   * orphans are already out of the scheduler's queue (`dequeueAll`, in one pass).
   */
  private dropOrphan(record: TaskRecord): void {
    const { task } = record;
    if (task.kind === TaskKind.actorCreate) return; // handled with the actor, killOrphanActor
    if (record.state === 'running' && record.nodeId !== undefined) {
      this.h.send(record.nodeId, { type: 'cancelTask', taskId: task.taskId, force: true });
      if (task.kind === TaskKind.task) this.h.scheduler.finish(task.taskId);
    }
    this.lifecycle.forget(record);
  }

  /** The node that created an actor is gone (a driver that left, say): the actor goes too. */
  private killOrphanActor(actorId: string): void {
    const actor = this.h.actors.get(actorId);
    if (actor?.nodeId !== undefined)
      this.h.send(actor.nodeId, { type: 'killActor', actorId, noRestart: true });
    const error = wireError(ErrorCode.ACTOR_DIED, `the owner of actor ${actorId} is gone`);
    this.h.actors.died(actorId, error);
    const createId = this.h.actorTasks.get(actorId);
    if (createId !== undefined) {
      this.h.scheduler.finish(createId);
      this.h.scheduler.dequeue(createId);
      const record = this.h.tasks.get(createId);
      if (record) this.lifecycle.forget(record);
    }
    this.h.actorTasks.delete(actorId);
    this.h.actorSpecs.delete(actorId);
  }

  /** Every copy of `id` is gone: re-run the task that made it, or record it as lost. */
  private rebuildOrLose(id: string, deadNode: string): void {
    const made = this.h.lineage.get(id);
    if (!made) {
      // Task results are named `<client>.t<n>.<i>` (api/remote-function.ts), puts `<client>.p<n>`.
      const why = /^[^.]+\.t[^.]+\.\d+$/.test(id)
        ? `the head no longer keeps the task that made it (lineage beyond maxLineageBytes, ${this.h.lineage.maxBytes} bytes: raise it with --max-lineage-bytes or DE2_MAX_LINEAGE_BYTES)`
        : 'it was made by put, not by a task';
      this.h.directory.lost(
        id,
        wireError(
          ErrorCode.OBJECT_LOST,
          `object ${id} was stored only on node ${deadNode}, which died, and cannot be rebuilt (${why})`,
          { objectId: id },
        ),
      );
      return;
    }
    if (this.h.tasks.has(made.task.taskId)) return; // being rebuilt already (another of its returns)
    for (const returnId of made.task.returnIds) this.h.directory.unready(returnId);
    const fromNode = this.h.nodes.has(made.fromNode)
      ? made.fromNode
      : (this.h.nodes.keys().next().value ?? made.fromNode);
    this.lifecycle.submit(fromNode, made.task);
  }
}
