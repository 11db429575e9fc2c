import type { TaskSpec } from '../protocol/messages.js';

/**
 * Ray's default `max_lineage_bytes`: how much of the specs of finished tasks the head keeps
 * to rebuild their results if every copy is lost with a node.
 */
export const DEFAULT_MAX_LINEAGE_BYTES = 1024 ** 3;

/** A spec's estimated footprint: the object and its ids, plus the argument bytes it holds. */
const SPEC_BYTES = 400;

/** A task and the node it was submitted on: how an object or an actor was made. */
export interface Made {
  task: TaskSpec;
  fromNode: string;
}

interface Entry extends Made {
  /** This return's share of the spec's bytes (a task with n returns keeps one spec for all n). */
  bytes: number;
}

/**
 * The task that made each live result, so that a result lost with every copy can be made
 * again (see node-loss.ts). Within `maxBytes`, as Ray's `max_lineage_bytes`: beyond it the
 * oldest entries go first, and a result whose entry went is lost for good if its node dies
 * (ObjectLostError says so). 0 keeps none: an embedded cluster has one node, whose loss
 * is the driver's own end, so nothing could ever be rebuilt there.
 */
export class Lineage {
  /** In insertion order: the oldest first (Map iteration order). */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** Results whose entry was dropped for the budget: how many (for the lost error and `status`). */
  evicted = 0;

  constructor(readonly maxBytes: number) {}

  /** The task ended and its results are stored: remember how they were made. */
  record(task: TaskSpec, fromNode: string): void {
    if (this.maxBytes <= 0) return;
    const share = (SPEC_BYTES + task.args.size) / Math.max(1, task.returnIds.length);
    for (const id of task.returnIds) {
      this.delete(id);
      this.entries.set(id, { task, fromNode, bytes: share });
      this.bytes += share;
    }
    for (const [id] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(id);
      this.evicted++;
    }
  }

  get(id: string): Made | undefined {
    return this.entries.get(id);
  }

  /** The result was freed: nothing will ask to rebuild it. */
  delete(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.bytes -= e.bytes;
  }

  get size(): number {
    return this.entries.size;
  }
}
