import { ErrorCode } from '../errors/codes.js';
import { wireError, type WireError } from '../errors/wire.js';
import type { ObjectStore } from '../object-store/object-store.js';
import type { HeadToNode, NodeToHead, ObjectResult, SerializedValue } from '../protocol/messages.js';
import type { RejoinBook } from './rejoin-book.js';

/** Failed pulls of one object before it counts as lost. */
const MAX_PULL_ATTEMPTS = 5;
/**
 * Task results up to this size with no out-of-band buffers travel with `objectAdded` and
 * `objectReady`, as Ray inlines small returns in the task reply: whoever waits for them gets
 * the value from the head instead of pulling it from this node (one round trip, not two).
 */
export const INLINE_RESULT_BYTES = 64 * 1024;

/** What the node's objects need of the node. */
export interface ObjectsHost {
  readonly nodeId: string;
  readonly store: ObjectStore;
  readonly book: RejoinBook;
  readonly closed: boolean;
  toHead(message: NodeToHead): void;
  markStats(): void;
}

/**
 * The objects of one node: storing what tasks make, resolving what they need (from the
 * store, or subscribed at the head and pulled from a node that holds it), and watching
 * objects that `wait` needs to exist but not here.
 */
export class NodeObjects {
  constructor(
    private readonly host: ObjectsHost,
    /** Fetches an object from another node (NodeRuntimeOptions.pullRemote). */
    private readonly pullRemote:
      ((address: string, id: string) => Promise<ObjectResult | undefined>) | undefined,
  ) {}

  /** The head says an object exists: store it if it came inline, else pull it if it is needed here. */
  ready(m: Extract<HeadToNode, { type: 'objectReady' }>): void {
    this.notifyWatchers(m.id);
    // Objects made on this node are in the store before the head hears of them; a small
    // one comes with the message; one held only by other nodes is pulled from one of
    // them and kept here, unless it was only watched.
    if (m.inlineValue) {
      // The head counts this node as a holder already (it frees the copy with the rest).
      if (!this.host.store.has(m.id)) this.host.store.putValue(m.id, m.inlineValue);
      this.host.book.resultHere(m.id);
      this.host.markStats();
      return;
    }
    if (!this.host.store.awaited(m.id) || this.host.store.has(m.id)) return;
    return this.pull(m.id, m.addresses);
  }

  /**
   * Objects this node waits for (needed here, or watched). What is needed here is what the
   * store has waiters for: a node subscribes at the head when it adds the first waiter of an
   * id, and the waiters go when the object arrives (a set of its own would hold a million
   * ids while a `get` of a million results waits).
   */
  waitingIds(): string[] {
    return [...this.host.store.awaitedIds(), ...this.watchers.keys()];
  }

  /** Objects `wait(..., { fetchLocal: false })` watches: it needs to know they exist, not their bytes. */
  private readonly watchers = new Map<string, (() => void)[]>();

  /** Bytes of objects pulled from other nodes (status, and the transfer test). */
  bytesPulled = 0;

  /** Failed pulls per object, while the head finds out which copies survive. */
  private readonly pullAttempts = new Map<string, number>();

  private toSubscribe: string[] | undefined;

  /** Stores an object made here (`ownerId` set) or a copy of one made elsewhere (''). */
  storeValue(id: string, value: SerializedValue, ownerId: string): void {
    const full = this.host.store.putValue(id, value);
    const inline = ownerId !== '' && !full && value.buffers.length === 0 && value.size <= INLINE_RESULT_BYTES;
    this.host.toHead({
      type: 'objectAdded',
      nodeId: this.host.nodeId,
      id,
      ownerId,
      size: value.size,
      refs: full ? [] : value.refs,
      inlineValue: inline ? value : undefined,
    });
    this.host.markStats();
  }

  storeError(id: string, error: WireError, ownerId: string): void {
    if (this.host.store.has(id)) return;
    this.host.store.putError(id, { ...error, objectId: id });
    this.host.toHead({ type: 'objectAdded', nodeId: this.host.nodeId, id, ownerId, size: 0, refs: [] });
    this.notifyWatchers(id);
  }

  /**
   * Calls back once the object exists somewhere in the cluster (or has failed), without
   * pulling it here: `wait` with `fetchLocal: false`, as in Ray.
   */
  whenExists(id: string, done: () => void): void {
    if (this.host.store.has(id)) return done();
    const list = this.watchers.get(id);
    if (list) return void list.push(done);
    this.watchers.set(id, [done]);
    this.host.toHead({ type: 'subscribe', nodeId: this.host.nodeId, ids: [id] });
  }

  notifyWatchers(id: string): void {
    const list = this.watchers.get(id);
    if (!list) return;
    this.watchers.delete(id);
    for (const done of list) done();
  }

  isLocal(id: string): boolean {
    return this.host.store.has(id);
  }

  /** All the objects, if every one is here already. */
  readLocal(ids: string[]): ObjectResult[] | undefined {
    const out: ObjectResult[] = [];
    for (const id of ids) {
      const r = this.host.store.read(id);
      if (!r) return undefined;
      out.push(r);
    }
    return out;
  }

  /** Calls back once every object is here, with their results in order (no promise per id). */
  whenAll(ids: string[], done: (results: ObjectResult[]) => void): void {
    const { store } = this.host;
    let missing = 0;
    // Read once all are here (the caller holds refs to them, so none goes meanwhile); one
    // waiter for every id, not a closure each: a get of a million ids waits for all.
    const finish = () =>
      done(
        ids.map(
          (id) =>
            store.read(id) ?? {
              id,
              error: wireError(ErrorCode.OBJECT_LOST, `object ${id} was freed while a get waited for it`, {
                objectId: id,
              }),
            },
        ),
      );
    const arrived = () => {
      if (--missing === 0) finish();
    };
    for (const id of ids) {
      if (store.has(id)) continue;
      missing++;
      this.await(id, arrived);
    }
    if (missing === 0) finish();
  }

  resolveObjects(ids: string[]): Promise<ObjectResult[]> {
    return Promise.all(ids.map(async (id) => this.resolveOne(id)));
  }

  private resolveOne(id: string): Promise<ObjectResult> | ObjectResult {
    const here = this.host.store.read(id);
    if (here) return here;
    return new Promise((resolve) => this.await(id, resolve));
  }

  /** Waits for an object not here; the first waiter of an id subscribes at the head. */
  private await(id: string, waiter: (result: ObjectResult) => void): void {
    const first = !this.host.store.awaited(id);
    this.host.store.onceAdded(id, waiter);
    if (first) this.subscribeLater(id);
  }

  pull(id: string, addresses: string[]): void {
    if (this.host.store.has(id)) return;
    if (addresses.length === 0) return this.resubscribe(id);
    const lost = (why: string): WireError =>
      wireError(ErrorCode.OBJECT_LOST, `object ${id} is on another node and could not be fetched: ${why}`, {
        objectId: id,
      });
    const pullRemote = this.pullRemote;
    if (!pullRemote) return this.host.store.putError(id, lost('this node cannot pull objects'));
    const tryFrom = async (): Promise<ObjectResult | undefined> => {
      for (const address of addresses) {
        const r = await pullRemote(address, id).catch(() => undefined);
        if (r) return r;
      }
      return undefined;
    };
    void tryFrom().then((r) => {
      if (this.host.store.has(id)) return;
      if (!r) {
        // The holder may have just died: ask the head again, which by then either knows a
        // new copy (rebuilt through lineage) or that the object is lost.
        const attempts = (this.pullAttempts.get(id) ?? 0) + 1;
        this.pullAttempts.set(id, attempts);
        if (attempts <= MAX_PULL_ATTEMPTS) return this.resubscribe(id, attempts);
        this.pullAttempts.delete(id);
        return this.host.store.putError(id, lost(`no copy at ${addresses.join(', ')}`));
      }
      this.pullAttempts.delete(id);
      if (r.error) return this.host.store.putError(id, r.error);
      if (r.value) {
        this.bytesPulled += r.value.size;
        this.storeValue(id, r.value, '');
      }
    });
  }

  /** Subscriptions go to the head as one message per turn. */
  private subscribeLater(id: string): void {
    if (this.toSubscribe) return void this.toSubscribe.push(id);
    this.toSubscribe = [id];
    queueMicrotask(() => {
      const ids = this.toSubscribe ?? [];
      this.toSubscribe = undefined;
      this.host.toHead({ type: 'subscribe', nodeId: this.host.nodeId, ids });
    });
  }

  /** Subscribes to `id` again after a failed pull, backing off a little more each time. */
  private resubscribe(id: string, attempts = 1): void {
    const timer = setTimeout(() => {
      if (this.host.closed || this.host.store.has(id)) return;
      this.host.toHead({ type: 'subscribe', nodeId: this.host.nodeId, ids: [id] });
    }, 100 * attempts);
    timer.unref();
  }
}
