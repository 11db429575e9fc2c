/**
 * A reference to a value in the object store: returned by `put`, by `.remote()` calls,
 * and passed around freely (to tasks, actors, inside other values).
 *
 * @typeParam T - the type of the value it refers to.
 */
declare const valueType: unique symbol;

export class ObjectRef<T = unknown> {
  /** Carries `T` for the type checker only (never set), so that refs of other types do not mix. */
  declare readonly [valueType]?: T;
  /** Unique id of the object in the cluster. */
  readonly id: string;
  /** The client (driver or worker) that created the ref and owns the object. */
  readonly ownerId: string;

  /** @internal refs are made by the runtime, not by users. */
  constructor(id: string, ownerId: string) {
    this.id = id;
    this.ownerId = ownerId;
  }

  toString(): string {
    return `ObjectRef(${this.id})`;
  }
}

/** Marks actor handles so that serialization recognises them without importing the API. */
export const ACTOR_HANDLE = Symbol.for('de2.actorHandle');
