import { wireError, type WireError } from '../errors/wire.js';
import { ErrorCode } from '../errors/codes.js';
import type { ObjectResult, SerializedValue } from '../protocol/messages.js';
import { SpillDirectory } from './spill.js';
import { isPoolBlock, pinBlock, unpinBlock } from './pool-block.js';
import { StorePool, setProcessPool } from './store-pool.js';

interface Entry {
  id: string;
  value?: SerializedValue;
  error?: WireError;
  /** Set while the value lives only on disk. */
  spillFile?: string;
  size: number;
  refs: string[];
}

type Waiter = (result: ObjectResult) => void;

export interface ObjectStoreOptions {
  capacityBytes: number;
  sessionDir: string;
  spillLimitBytes: number;
  /** Free pool memory goes back to the OS after this long without a reuse. @default 10000 */
  poolIdleMs?: number;
}

/**
 * One node's objects. Values are SerializedValues whose large buffers are
 * SharedArrayBuffers, so every thread of the node reads the same memory. When the
 * capacity is reached the least recently used values are spilled to disk and read back
 * on the next access; when the disk limit is reached too, the new object becomes an
 * ObjectStoreFullError.
 */
export class ObjectStore {
  /** Insertion/access order doubles as LRU order (Map iteration order). */
  private readonly entries = new Map<string, Entry>();
  private used = 0;
  private readonly spill: SpillDirectory;
  /** One waiter bare, several in a list: a `get` of a million ids shares one waiter among them. */
  private readonly listeners = new Map<string, Waiter | Waiter[]>();

  /** Freed memory of large values, reused by later puts (see store-pool.ts). */
  readonly pool: StorePool;

  constructor(private readonly options: ObjectStoreOptions) {
    this.spill = new SpillDirectory(options.sessionDir, options.spillLimitBytes);
    this.pool = new StorePool({ idleMs: options.poolIdleMs ?? 10_000 });
    setProcessPool(this.pool, {
      capacityBytes: options.capacityBytes,
      spillLimitBytes: options.spillLimitBytes,
    });
  }

  /** Bytes held in memory. */
  get usedBytes(): number {
    return this.used;
  }

  get spilledBytes(): number {
    return this.spill.usedBytes;
  }

  get capacityBytes(): number {
    return this.options.capacityBytes;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Stores a value; returns the error that replaced it when there is no room anywhere. */
  putValue(id: string, value: SerializedValue): WireError | undefined {
    if (this.entries.has(id)) {
      this.offerBlocks(value.buffers);
      return undefined;
    }
    if (!this.makeRoom(value.size)) {
      const error = wireError(
        ErrorCode.OBJECT_STORE_FULL,
        `object ${id} (${value.size} bytes) does not fit: object store ${this.used}/${this.options.capacityBytes} ` +
          `bytes in memory, ${this.spill.usedBytes}/${this.spill.limitBytes} bytes spilled`,
        { objectId: id },
      );
      this.putError(id, error);
      this.offerBlocks(value.buffers);
      return error;
    }
    this.used += value.size;
    pinBlocks(value);
    this.insert({ id, value, size: value.size, refs: value.refs });
    return undefined;
  }

  putError(id: string, error: WireError): void {
    if (this.entries.has(id)) return;
    this.insert({ id, error, size: 0, refs: [] });
  }

  private insert(entry: Entry): void {
    this.entries.set(entry.id, entry);
    const waiting = this.listeners.get(entry.id);
    if (waiting) {
      this.listeners.delete(entry.id);
      // Just inserted, so last in LRU order already (`read` would move it there again).
      const { id, error, value } = entry;
      const result = error ? { id, error } : value ? { id, value } : this.read(id);
      if (!result) return;
      if (typeof waiting === 'function') waiting(result);
      else for (const l of waiting) l(result);
    }
  }

  /** The object's value (restored from disk if it was spilled), or undefined if absent. */
  read(id: string): ObjectResult | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.error) return { id, error: entry.error };
    if (!entry.value && entry.spillFile) this.restore(entry);
    // Refresh LRU position.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.value ? { id, value: entry.value } : { id, error: lostError(id) };
  }

  /** Whether anything here waits for the object (`onceAdded`). */
  awaited(id: string): boolean {
    return this.listeners.has(id);
  }

  /** The objects something here waits for. */
  awaitedIds(): IterableIterator<string> {
    return this.listeners.keys();
  }

  /** Calls back once the object is in this store (one function may wait for many ids). */
  onceAdded(id: string, listener: Waiter): void {
    const result = this.entries.has(id) ? this.read(id) : undefined;
    if (result) return listener(result);
    const waiting = this.listeners.get(id);
    if (waiting === undefined) this.listeners.set(id, listener);
    else if (typeof waiting === 'function') this.listeners.set(id, [waiting, listener]);
    else waiting.push(listener);
  }

  refsOf(id: string): string[] {
    return this.entries.get(id)?.refs ?? [];
  }

  free(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    if (entry.value) {
      this.used -= entry.size;
      this.releaseBlocks(entry.value);
    }
    if (entry.spillFile) this.spill.remove(entry.spillFile, entry.size);
  }

  /** Drops this store's pins of a value's pool blocks and offers them to the pool. */
  private releaseBlocks(value: SerializedValue): void {
    for (const sab of value.buffers) if (isPoolBlock(sab)) unpinBlock(sab);
    this.offerBlocks(value.buffers);
  }

  private offerBlocks(buffers: SharedArrayBuffer[]): void {
    for (const sab of buffers) if (isPoolBlock(sab)) this.pool.offer(sab);
  }

  private restore(entry: Entry): void {
    const file = entry.spillFile as string;
    if (!this.makeRoom(entry.size)) return; // stays on disk; read gives ObjectLost below
    entry.value = this.spill.read(
      file,
      entry.refs,
      (n) => this.pool.allocateExact(n),
      (sab) => this.pool.resetHeader(sab),
    );
    pinBlocks(entry.value);
    this.spill.remove(file, entry.size);
    delete entry.spillFile;
    this.used += entry.size;
  }

  /** Spills least recently used values until `bytes` fit in memory; false if they cannot. */
  private makeRoom(bytes: number): boolean {
    if (bytes > this.options.capacityBytes) return false;
    // The pool's free blocks count against the capacity; they go before anything spills.
    const over = this.used + this.pool.freeBytes + bytes - this.options.capacityBytes;
    if (over > 0) this.pool.trim(Math.max(0, this.pool.freeBytes - over));
    if (this.used + bytes <= this.options.capacityBytes) return true;
    for (const entry of this.entries.values()) {
      if (this.used + bytes <= this.options.capacityBytes) break;
      if (!entry.value || entry.size === 0) continue;
      if (!this.spill.canTake(entry.size)) continue;
      entry.spillFile = this.spill.write(entry.id, entry.value);
      this.releaseBlocks(entry.value);
      delete entry.value;
      this.used -= entry.size;
    }
    return this.used + bytes <= this.options.capacityBytes;
  }

  /**
   * What the store holds, without reading spilled values back: what a node reports to a
   * restarted head. `value` only for values in memory; `error` for stored errors.
   */
  *summaries(): IterableIterator<{
    id: string;
    size: number;
    refs: string[];
    value?: SerializedValue;
    error?: WireError;
  }> {
    for (const e of this.entries.values()) {
      yield {
        id: e.id,
        size: e.size,
        refs: e.refs,
        ...(e.value ? { value: e.value } : {}),
        ...(e.error ? { error: e.error } : {}),
      };
    }
  }

  clear(): void {
    for (const id of [...this.entries.keys()]) this.free(id);
    this.listeners.clear();
    this.pool.close();
    setProcessPool(undefined, undefined, this.pool);
  }
}

function pinBlocks(value: SerializedValue): void {
  for (const sab of value.buffers) if (isPoolBlock(sab)) pinBlock(sab);
}

function lostError(id: string): WireError {
  return wireError(ErrorCode.OBJECT_LOST, `object ${id} is spilled and there is no room to restore it`, {
    objectId: id,
  });
}
