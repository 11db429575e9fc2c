import { idSetAdd, idSetDelete, idSetHas, idSetSize, idSetValues, type IdSet } from './id-set.js';
import type { WireError } from '../errors/wire.js';
import type { SerializedValue } from '../protocol/messages.js';

/**
 * One object. A million queued tasks' results have one each, so it keeps 8 fields (88
 * bytes): its id is its key, two flags and the pin count share a number, and what few
 * objects have (refs inside it, a lost error) sits in `rare`.
 */
interface DirectoryEntry {
  ownerId: string;
  locations: IdSet;
  /** Bytes of the value (0 until it is added): what locality weighs. */
  size: number;
  /**
   * Bits READY (added and not lost) and USED (anything has held or pinned it: only then may it
   * be freed), and above them its pins: pending tasks that take it as an argument, and stored
   * objects that contain it (`pinsOf`).
   */
  state: number;
  /** Clients holding at least one live ObjectRef to it. */
  holders: IdSet;
  subscribers: IdSet;
  /** A small value kept here while the object lives, handed to later subscribers. */
  inlineValue: SerializedValue | undefined;
  rare: Rare | undefined;
}

interface Rare {
  /** Refs inside the value (pinned while it lives). */
  refs: string[];
  /** Set when every copy is gone and it cannot be rebuilt: what `get` of it gives. */
  lostError?: WireError;
}

const READY = 1;
const USED = 2;
/** One pin, counted above the two flag bits. */
const PIN = 4;
const isReady = (e: DirectoryEntry): boolean => (e.state & READY) !== 0;
const pinsOf = (e: DirectoryEntry): number => e.state >> 2;
const refsOf = (e: DirectoryEntry): string[] => e.rare?.refs ?? [];

/** One object as the dashboard shows it. */
export interface ObjectEntryView {
  id: string;
  ownerId: string;
  size: number;
  ready: boolean;
  locations: string[];
  /** Clients holding a ref. */
  holders: number;
  /** Pending tasks and stored objects that need it. */
  pins: number;
  lost: boolean;
}

const isDriver = (clientId: string): boolean => clientId.startsWith('d');

/** Most bytes of small values the head keeps for later subscribers; beyond it they pull. */
const INLINE_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * The head's table of objects: who owns each, which nodes hold it, and who still needs
 * it. An object is freed once no client holds a ref (clients report their last ref
 * dropping, through FinalizationRegistry) and no pending task or stored object needs it.
 */
export class ObjectDirectory {
  private readonly entries = new Map<string, DirectoryEntry>();
  /**
   * What each worker thread's client holds, for when it goes. Not kept for drivers: a driver
   * may hold a million refs (a set entry each) and leaves once, so its refs are found by one
   * pass over the objects then (`holderGone`). Client ids start with 'd' for a driver
   * (client/client.ts).
   */
  private readonly holderIndex = new Map<string, Set<string>>();
  /** The node each holder's refs came through: a lost node takes its clients' refs with it. */
  private readonly holderNodes = new Map<string, string>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private inlineBytes = 0;
  /** While a restarted head waits for its nodes' reports, nothing is freed (see `resumeFrees`). */
  private freesPaused = false;

  constructor(
    /** Called when an object must be dropped from the nodes that hold it. */
    private readonly onFree: (id: string, locations: string[]) => void,
    /** Called when an object becomes ready, with the nodes that asked to hear of it. */
    private readonly onReady: (
      id: string,
      subscribers: string[],
      locations: string[],
      inlineValue: SerializedValue | undefined,
    ) => void,
  ) {}

  private entry(id: string): DirectoryEntry {
    let e = this.entries.get(id);
    if (!e) {
      // Every field from the start: one added later moves the fields out of the object.
      e = {
        ownerId: '',
        locations: undefined,
        size: 0,
        state: 0,
        holders: undefined,
        subscribers: undefined,
        inlineValue: undefined,
        rare: undefined,
      };
      this.entries.set(id, e);
    }
    return e;
  }

  isReady(id: string): boolean {
    const e = this.entries.get(id);
    return e !== undefined && isReady(e);
  }

  locations(id: string): string[] {
    return idSetValues(this.entries.get(id)?.locations);
  }

  /** The nodes holding `id` and its size in bytes, without copying the set (placement asks per task). */
  placement(id: string): { locations: Iterable<string>; size: number } | undefined {
    const e = this.entries.get(id);
    return (
      e && {
        locations: typeof e.locations === 'object' ? e.locations : idSetValues(e.locations),
        size: e.size,
      }
    );
  }

  /** The object's value if it is small and kept here (see `added`). */
  inlineValue(id: string): SerializedValue | undefined {
    return this.entries.get(id)?.inlineValue;
  }

  /** A node was sent the object's value inline and keeps it: one more copy. */
  copiedTo(id: string, nodeId: string): void {
    const e = this.entries.get(id);
    if (e) e.locations = idSetAdd(e.locations, nodeId);
  }

  private dropInline(e: DirectoryEntry): void {
    if (!e.inlineValue) return;
    this.inlineBytes -= e.inlineValue.size;
    e.inlineValue = undefined;
  }

  /** Each object as `status` and the dashboard show it. */
  *list(): IterableIterator<ObjectEntryView> {
    for (const [id, e] of this.entries) {
      yield {
        id,
        ownerId: e.ownerId,
        size: e.size,
        ready: isReady(e),
        locations: idSetValues(e.locations),
        holders: idSetSize(e.holders),
        pins: pinsOf(e),
        lost: e.rare?.lostError !== undefined,
      };
    }
  }

  size(): number {
    return this.entries.size;
  }

  /** Drops a lost node from every object's locations; returns the objects left with no copy. */
  nodeLost(nodeId: string): string[] {
    const orphans: string[] = [];
    for (const [id, e] of this.entries) {
      if (!idSetHas(e.locations, nodeId)) continue;
      e.locations = idSetDelete(e.locations, nodeId);
      if (e.locations === undefined && isReady(e)) orphans.push(id);
    }
    return orphans;
  }

  /** The object is being rebuilt: subscribers wait for it to be added again. */
  unready(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.state &= ~READY;
    // The rebuilt object brings its own value; until then subscribers wait for it.
    this.dropInline(e);
  }

  /** No copy is left and none can be made: anyone who asks gets `error`. */
  lost(id: string, error: WireError): void {
    const e = this.entries.get(id);
    if (e) e.rare = { refs: refsOf(e), lostError: error };
  }

  /** The error standing in for a lost object, if it is lost. */
  lostError(id: string): WireError | undefined {
    return this.entries.get(id)?.rare?.lostError;
  }

  added(
    nodeId: string,
    id: string,
    ownerId: string,
    refs: string[],
    inlineValue?: SerializedValue,
    size = inlineValue?.size ?? 0,
  ): void {
    const e = this.entry(id);
    const first = !isReady(e);
    e.locations = idSetAdd(e.locations, nodeId);
    if (!first) return;
    e.state |= READY;
    e.size = size;
    e.ownerId = ownerId;
    if (refs.length > 0 || e.rare) e.rare = { ...e.rare, refs };
    this.pin(refs);
    if (inlineValue && this.inlineBytes + inlineValue.size <= INLINE_CACHE_BYTES) {
      e.inlineValue = inlineValue;
      this.inlineBytes += inlineValue.size;
    }
    const subscribers = idSetValues(e.subscribers);
    e.subscribers = undefined;
    this.onReady(id, subscribers, idSetValues(e.locations), inlineValue);
    const waiting = this.waiters.get(id);
    if (waiting) {
      this.waiters.delete(id);
      for (const w of waiting) w();
    }
    this.maybeFree(id, e);
  }

  /** The node wants an `objectReady` for each id; returns the ones ready already. */
  subscribe(nodeId: string, ids: string[]): string[] {
    const ready: string[] = [];
    for (const id of ids) {
      const e = this.entry(id);
      if (isReady(e)) ready.push(id);
      else e.subscribers = idSetAdd(e.subscribers, nodeId);
    }
    return ready;
  }

  /** Runs `callback` once every id is ready (the head's own dependency wait). */
  whenReady(ids: string[], callback: () => void): void {
    let missing = 0;
    const one = () => {
      if (--missing === 0) callback();
    };
    for (const id of ids) {
      if (this.isReady(id)) continue;
      missing++;
      const list = this.waiters.get(id);
      if (list) list.push(one);
      else this.waiters.set(id, [one]);
    }
    if (missing === 0) callback();
  }

  addRef(holderId: string, ids: string[], nodeId?: string): void {
    if (nodeId !== undefined) this.holderNodes.set(holderId, nodeId);
    let index = this.holderIndex.get(holderId);
    if (!index && !isDriver(holderId)) this.holderIndex.set(holderId, (index = new Set()));
    for (const id of ids) {
      const e = this.entry(id);
      e.holders = idSetAdd(e.holders, holderId);
      e.state |= USED;
      index?.add(id);
    }
  }

  removeRef(holderId: string, ids: string[]): void {
    const index = this.holderIndex.get(holderId);
    for (const id of ids) {
      index?.delete(id);
      const e = this.entries.get(id);
      if (!e) continue;
      e.holders = idSetDelete(e.holders, holderId);
      this.maybeFree(id, e);
    }
  }

  /** A client went away (its worker thread exited): drop everything it held. */
  holderGone(holderId: string): void {
    this.holderNodes.delete(holderId);
    if (isDriver(holderId)) {
      const held: string[] = [];
      for (const [id, e] of this.entries) if (idSetHas(e.holders, holderId)) held.push(id);
      return this.removeRef(holderId, held);
    }
    const index = this.holderIndex.get(holderId);
    if (!index) return;
    this.holderIndex.delete(holderId);
    this.removeRef(holderId, [...index]);
  }

  /**
   * A node is gone for good: the clients on it (a killed driver, a dead node's threads) will
   * never report their refs dropping, so what they held is released now, as Ray's objects
   * share their owner's fate. What other nodes' clients hold stays.
   */
  holdersLost(nodeId: string): void {
    for (const [holderId, on] of [...this.holderNodes]) if (on === nodeId) this.holderGone(holderId);
  }

  pin(ids: string[]): void {
    for (const id of ids) {
      const e = this.entry(id);
      e.state = (e.state + PIN) | USED;
    }
  }

  unpin(ids: string[]): void {
    for (const id of ids) {
      const e = this.entries.get(id);
      if (!e) continue;
      e.state -= PIN;
      this.maybeFree(id, e);
    }
  }

  /** Frees nothing until `resumeFrees`: holders of objects may not have reported yet. */
  pauseFrees(): void {
    this.freesPaused = true;
  }

  /** Every report is in: free what nobody holds or needs (objects of owners that did not come back too). */
  resumeFrees(): void {
    this.freesPaused = false;
    for (const [id, e] of [...this.entries]) {
      e.state |= USED;
      this.maybeFree(id, e);
    }
  }

  private maybeFree(id: string, e: DirectoryEntry): void {
    if (this.freesPaused) return;
    if ((e.state & USED) === 0 || e.holders !== undefined || pinsOf(e) > 0 || !isReady(e)) return;
    this.entries.delete(id);
    this.dropInline(e);
    this.onFree(id, idSetValues(e.locations));
    this.unpin(refsOf(e));
  }
}
