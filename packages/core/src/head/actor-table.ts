import type { WireError } from '../errors/wire.js';
import type { ActorInfo, TaskSpec } from '../protocol/messages.js';

export const ActorState = { pending: 'pending', alive: 'alive', dead: 'dead' } as const;
export type ActorState = (typeof ActorState)[keyof typeof ActorState];

export interface ActorRecord {
  info: ActorInfo;
  state: ActorState;
  nodeId?: string;
  /** Calls that arrived before the actor was placed, in order. */
  waiting: { task: TaskSpec; fromNode: string }[];
  deathError?: WireError;
}

/** The head's actors, by id and by name. */
export class ActorTable {
  private readonly byId = new Map<string, ActorRecord>();
  private readonly byName = new Map<string, string>();

  /** Registers a new actor; returns false if its name is taken by a live actor. */
  add(info: ActorInfo): boolean {
    if (info.name) {
      const other = this.byName.get(info.name);
      if (other && this.byId.get(other)?.state !== ActorState.dead) return false;
      this.byName.set(info.name, info.actorId);
    }
    this.byId.set(info.actorId, { info, state: ActorState.pending, waiting: [] });
    return true;
  }

  get(actorId: string): ActorRecord | undefined {
    return this.byId.get(actorId);
  }

  /** Every actor the head knows, dead ones too. */
  all(): IterableIterator<ActorRecord> {
    return this.byId.values();
  }

  named(name: string): ActorRecord | undefined {
    const id = this.byName.get(name);
    const record = id === undefined ? undefined : this.byId.get(id);
    return record && record.state !== ActorState.dead ? record : undefined;
  }

  /** Ids of the live actors placed on `nodeId`. */
  onNode(nodeId: string): string[] {
    const out: string[] = [];
    for (const [id, r] of this.byId) if (r.nodeId === nodeId && r.state !== ActorState.dead) out.push(id);
    return out;
  }

  died(actorId: string, error: WireError): void {
    const record = this.byId.get(actorId);
    if (!record) return;
    record.state = ActorState.dead;
    record.deathError = error;
    if (record.info.name && this.byName.get(record.info.name) === actorId)
      this.byName.delete(record.info.name);
  }
}
