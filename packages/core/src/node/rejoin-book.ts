import type { NodeToHead, TaskSpec } from '../protocol/messages.js';
import { TaskKind } from '../protocol/messages.js';

/**
 * What a node must tell a restarted head that the head learnt from it before (see
 * "A head that restarts" in docs/architecture.md): it watches the messages the node sends
 * and keeps the ones the head would otherwise forget.
 *
 * - the refs each client of this node holds (`addRef`/`removeRef`/`holderGone`), so that
 *   the head does not free objects still in use;
 * - the tasks submitted through this node whose results have not come back here yet
 *   (their owners wait for them), in submission order; an actor's creation until the actor
 *   is killed.
 *
 * Other state (objects in the store, functions, subscriptions, tasks running here) the node
 * has anyway; messages that cannot be rebuilt (cancel, kill, log, requests) are queued while
 * the head is away and sent after the report.
 */
export class RejoinBook {
  private readonly holders = new Map<string, Set<string>>();
  private readonly submitted = new Map<string, TaskSpec>();
  /** Return id -> the task that makes it (for pruning). */
  private readonly byReturn = new Map<string, string>();
  /** Extra reports (e.g. tables other modules register with the head). */
  private readonly extra: (() => NodeToHead[])[] = [];

  /**
   * @param enabled false where the head cannot restart (embedded: it lives in this
   *   process), so the book keeps nothing: it would only double the head's tables.
   */
  constructor(private readonly enabled = true) {}

  /** Sees every message the node sends to the head. */
  note(m: NodeToHead): void {
    if (!this.enabled) return;
    switch (m.type) {
      case 'submit': {
        const task = m.task;
        this.submitted.set(task.taskId, task);
        if (task.kind !== TaskKind.actorCreate)
          for (const id of task.returnIds) this.byReturn.set(id, task.taskId);
        return;
      }
      case 'objectAdded':
        return this.resultHere(m.id);
      case 'addRef': {
        let ids = this.holders.get(m.holderId);
        if (!ids) this.holders.set(m.holderId, (ids = new Set()));
        for (const id of m.ids) ids.add(id);
        return;
      }
      case 'removeRef': {
        const ids = this.holders.get(m.holderId);
        for (const id of m.ids) {
          ids?.delete(id);
          // Nobody here reads the result any more (a task's side effects go on, but after a
          // head restart a queued one whose result nobody holds is not submitted again).
          this.resultHere(id);
        }
        return;
      }
      case 'holderGone':
        this.holders.delete(m.holderId);
        return;
      case 'killActor':
        if (m.noRestart)
          for (const [taskId, t] of this.submitted)
            if (t.kind === TaskKind.actorCreate && t.actorId === m.actorId) this.submitted.delete(taskId);
        return;
      default:
        return;
    }
  }

  /** The object `id` is here (or no longer wanted): the task that makes it needs no resubmission. */
  resultHere(id: string): void {
    const taskId = this.byReturn.get(id);
    if (taskId === undefined) return;
    const task = this.submitted.get(taskId);
    this.submitted.delete(taskId);
    if (task) for (const r of task.returnIds) this.byReturn.delete(r);
  }

  /** Adds a report of another module, sent on every rejoin after this book's own. */
  addReport(report: () => NodeToHead[]): void {
    this.extra.push(report);
  }

  /** The refs held and the tasks still owed, as messages, for a restarted head. */
  report(nodeId: string, isHere: (id: string) => boolean): NodeToHead[] {
    const out: NodeToHead[] = [];
    for (const [holderId, ids] of this.holders)
      if (ids.size > 0) out.push({ type: 'addRef', holderId, ids: [...ids] });
    for (const task of this.submitted.values()) {
      if (task.kind !== TaskKind.actorCreate && task.returnIds.every(isHere)) continue;
      out.push({ type: 'submit', nodeId, task });
    }
    for (const report of this.extra) out.push(...report());
    return out;
  }
}
