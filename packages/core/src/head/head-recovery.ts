import type { NodeToHead } from '../protocol/messages.js';

/** A node or driver of the head that a restarted head replaces (from its state file). */
export interface Member {
  nodeId: string;
  isDriver: boolean;
}

/**
 * A restarted head's wait for the nodes and drivers of the head it replaces (see "A head
 * that restarts" in docs/architecture.md): who may rejoin, what they said they run and
 * host, and the requests that wait. Two steps:
 * - until every worker node is back (or the grace period is over) nothing is placed: a
 *   task a driver submits again may be running on a node that has not reported yet;
 * - until every driver is back too (or the grace period is over) nothing is freed and
 *   what nodes run stays claimed for its owner; then tasks and actors nobody came back for
 *   are dropped, as those of an owner that left.
 */
export class HeadRecovery {
  private readonly nodesExpected = new Set<string>();
  private readonly driversExpected = new Set<string>();
  private readonly back: string[] = [];
  /** Task id -> the node that runs (or queues) it, until its owner submits it again. */
  readonly tasks = new Map<string, string>();
  /** Tasks reported waiting in get/wait: their CPUs are lent once they are adopted. */
  readonly blocked = new Set<string>();
  /** Actor id -> the node that hosts it, until its owner creates it again. */
  readonly actors = new Map<string, string>();
  /** Requests (getActor, getFunction) answered once every member is back. */
  readonly deferred: (() => void)[] = [];
  nodesBack = false;
  over = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    members: Member[],
    private readonly graceMs: number,
    private readonly onNodesBack: () => void,
    private readonly onOver: () => void,
  ) {
    for (const m of members) (m.isDriver ? this.driversExpected : this.nodesExpected).add(m.nodeId);
    this.timer = setTimeout(() => this.finish(), graceMs);
    this.timer.unref();
    if (this.nodesExpected.size === 0) setImmediate(() => this.check());
  }

  expects(nodeId: string): boolean {
    return !this.over && (this.nodesExpected.has(nodeId) || this.driversExpected.has(nodeId));
  }

  /** A member rejoined; the steps end after its report (the rest of its batch). */
  rejoined(m: Extract<NodeToHead, { type: 'registerNode' }>): void {
    if (!this.nodesExpected.delete(m.nodeId) && !this.driversExpected.delete(m.nodeId)) return;
    this.back.push(m.nodeId);
    for (const id of m.runningTaskIds ?? []) this.tasks.set(id, m.nodeId);
    for (const id of m.actorIds ?? []) this.actors.set(id, m.nodeId);
    setImmediate(() => this.check());
  }

  private check(): void {
    if (!this.nodesBack && this.nodesExpected.size === 0) {
      this.nodesBack = true;
      this.onNodesBack();
    }
    if (this.driversExpected.size === 0 && this.nodesExpected.size === 0) this.finish();
  }

  private finish(): void {
    if (this.over) return;
    clearTimeout(this.timer);
    if (!this.nodesBack) {
      this.nodesBack = true;
      this.onNodesBack();
    }
    this.over = true;
    this.onOver();
  }

  /** Keeps `answer` for later while members are still expected; false once they are all back. */
  defer(answer: () => void): boolean {
    if (this.over) return false;
    this.deferred.push(answer);
    return true;
  }

  summary(): string {
    const missing = [...this.nodesExpected, ...this.driversExpected];
    return (
      `restart recovery over: ${this.back.length} node(s) and driver(s) came back` +
      (missing.length > 0
        ? `; not back within ${Math.round(this.graceMs / 1000)} s: ${missing.join(', ')}`
        : '')
    );
  }
}
