import { TaskKind } from '../protocol/messages.js';
import { ActorState } from './actor-table.js';
import type { HeadTables, TaskOps } from './head-context.js';
import type { TaskRecord } from './tables.js';

/**
 * A restarted head takes over what its members report (head-recovery.ts keeps the reports):
 * tasks submitted again that ended or run on a node that came back, actors hosted there,
 * and, once the grace period is over, drops what nobody came back for.
 */
export class RestartAdoption {
  constructor(
    private readonly h: HeadTables,
    private readonly lifecycle: TaskOps,
  ) {}

  /**
   * A task a member submits again to a restarted head: if its results exist, it ended while
   * the head was away (done); if a node said it runs it (or hosts the actor it creates), it
   * runs there. Returns whether it was one of those.
   */
  adoptIfKnown(record: TaskRecord): boolean {
    const recovery = this.h.recovery;
    if (!recovery || record.state === 'running') return false;
    const { task } = record;
    if (task.kind === TaskKind.actorCreate) {
      const nodeId = recovery.actors.get(task.actorId);
      const actor = this.h.actors.get(task.actorId);
      if (nodeId === undefined || !this.h.nodes.has(nodeId) || !actor) return false;
      recovery.actors.delete(task.actorId);
      this.h.scheduler.dequeue(task.taskId);
      this.h.scheduler.adopt(task, nodeId);
      actor.state = ActorState.alive;
      actor.nodeId = nodeId;
      if (recovery.tasks.delete(task.taskId)) {
        record.state = 'running';
        record.nodeId = nodeId;
      } else this.lifecycle.forget(record); // created already; its resources stay held while it lives
      for (const call of actor.waiting.splice(0)) {
        const r = this.h.tasks.get(call.task.taskId);
        if (!r || !this.adoptIfKnown(r)) this.lifecycle.dispatch(call.task, nodeId);
      }
      return true;
    }
    if (task.returnIds.length > 0 && task.returnIds.every((id) => this.h.directory.isReady(id))) {
      // It ended while the head was away: the node that has its results reported them.
      recovery.tasks.delete(task.taskId);
      this.h.scheduler.dequeue(task.taskId);
      if (task.kind === TaskKind.actorCall) this.lifecycle.unwait(task);
      else this.h.lineage.record(task, record.fromNode);
      this.lifecycle.forget(record);
      return true;
    }
    const nodeId = recovery.tasks.get(task.taskId);
    if (nodeId === undefined || !this.h.nodes.has(nodeId)) return false;
    recovery.tasks.delete(task.taskId);
    if (task.kind === TaskKind.task) {
      this.h.scheduler.dequeue(task.taskId);
      this.h.scheduler.adopt(task, nodeId);
      // It waits in get (for a child, say): its CPU is lent, or the child could never run.
      if (recovery.blocked.delete(task.taskId)) this.h.scheduler.block(task.taskId);
    } else this.lifecycle.unwait(task);
    record.state = 'running';
    record.nodeId = nodeId;
    return true;
  }

  /** Every worker node that came back has reported: what they run and hold is known. */
  afterNodesBack(): void {
    for (const record of [...this.h.tasks.values()]) this.adoptIfKnown(record);
    this.lifecycle.retryInfeasible(); // held quietly while no node was back (holdInfeasible)
    this.lifecycle.placeQueued();
  }

  /** Every member is back, or the grace period is over: drop what nobody came back for. */
  afterRecovery(): void {
    const recovery = this.h.recovery;
    if (!recovery) return;
    this.h.options.log?.(recovery.summary());
    for (const [actorId, nodeId] of recovery.actors)
      this.h.send(nodeId, { type: 'killActor', actorId, noRestart: true });
    for (const [taskId, nodeId] of recovery.tasks)
      this.h.send(nodeId, { type: 'cancelTask', taskId, force: true });
    recovery.actors.clear();
    recovery.tasks.clear();
    this.h.directory.resumeFrees();
    for (const answer of recovery.deferred.splice(0)) answer();
    this.lifecycle.placeQueued();
  }
}
