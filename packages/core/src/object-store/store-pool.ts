import { isMainThread } from 'node:worker_threads';
import {
  BLOCK_HEADER_BYTES,
  POOL_MIN_BYTES,
  blockPins,
  blockUnpinned,
  collectGarbage,
  isPoolBlock,
  sweepAliases,
  writeBlockHeader,
} from './pool-block.js';

/**
 * Freed memory of large values, kept faulted in for the next `put` (writing 800 MB into
 * fresh memory costs about 20 times writing it into memory touched before, on a VM).
 *
 * Blocks come in size classes (m x 2^k bytes, m = 8..15: at most 1/8 more than asked).
 * A block the store frees goes to the free list of its class if nothing can read it any
 * more (pins 0, see pool-block.ts), else to quarantine until its last alias is collected.
 * The pool's free bytes count against the store's capacity (the store trims them before
 * it spills anything), and they go back to the OS after `idleMs` without a hit or when
 * the node's memory monitor asks (`trim`).
 */
export interface StorePoolStats {
  hits: number;
  misses: number;
  freeBytes: number;
  quarantinedBytes: number;
  trimmedBytes: number;
}

export class StorePool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private readonly quarantine = new Set<SharedArrayBuffer>();
  private readonly owned = new WeakSet<SharedArrayBuffer>();
  private freeTotal = 0;
  private lastUse = Date.now();
  private timer: NodeJS.Timeout | undefined;
  readonly stats: StorePoolStats = { hits: 0, misses: 0, freeBytes: 0, quarantinedBytes: 0, trimmedBytes: 0 };

  constructor(private readonly options: { idleMs: number }) {}

  get freeBytes(): number {
    return this.freeTotal;
  }

  /**
   * A block with room for `byteLength` bytes after its header, pins 0: the caller writes
   * the value at `BLOCK_HEADER_BYTES` and hands it to the store, which pins it.
   */
  allocate(byteLength: number): SharedArrayBuffer {
    const size = sizeClass(byteLength + BLOCK_HEADER_BYTES);
    this.lastUse = Date.now();
    let block = this.take(size);
    if (!block && this.reclaim(size)) block = this.take(size);
    if (block) {
      this.stats.hits++;
      return block;
    }
    this.stats.misses++;
    block = new SharedArrayBuffer(size);
    writeBlockHeader(block);
    this.owned.add(block);
    return block;
  }

  /**
   * A buffer of exactly `size` bytes (a spilled value read back): a pool block when `size`
   * is one of its classes, else a fresh buffer. The caller overwrites the whole buffer and
   * then calls `resetHeader`.
   */
  allocateExact(size: number): SharedArrayBuffer {
    if (size >= POOL_MIN_BYTES && sizeClass(size) === size) return this.allocate(size - BLOCK_HEADER_BYTES);
    return new SharedArrayBuffer(size);
  }

  /**
   * After a whole block was overwritten (with bytes read from disk, header included): a block
   * of this pool gets a fresh header; any other buffer loses a copied one, so that it is
   * not taken for a block of this process.
   */
  resetHeader(sab: SharedArrayBuffer): void {
    if (this.owned.has(sab)) writeBlockHeader(sab);
    else if (isPoolBlock(sab)) new Int32Array(sab, 0, 4).fill(0);
  }

  /** The store dropped its pin: the block is reusable once nothing else pins it. */
  offer(block: SharedArrayBuffer): void {
    if (!this.owned.has(block)) return;
    if (blockPins(block) > 0) {
      this.quarantine.add(block);
      this.armIdleTimer();
      return;
    }
    this.quarantine.delete(block);
    const list = this.free.get(block.byteLength);
    if (list?.includes(block)) return;
    if (list) list.push(block);
    else this.free.set(block.byteLength, [block]);
    this.freeTotal += block.byteLength;
    this.armIdleTimer();
  }

  /** Gives free blocks back to the OS until at most `keepBytes` stay free; returns bytes given. */
  trim(keepBytes = 0): number {
    let given = 0;
    const sizes = [...this.free.keys()].sort((a, b) => b - a);
    for (const size of sizes) {
      const list = this.free.get(size) as SharedArrayBuffer[];
      while (list.length > 0 && this.freeTotal > keepBytes) {
        list.pop();
        this.freeTotal -= size;
        given += size;
      }
      if (list.length === 0) this.free.delete(size);
    }
    this.stats.trimmedBytes += given;
    return given;
  }

  /**
   * Gives every block nothing can read back to the OS now (the memory monitor asks when the
   * node nears its limit): the free ones, and the quarantined ones whose last reader went
   * since the timer looked. Drops them and collects garbage, which frees their memory.
   */
  release(): number {
    this.reclaimUnpinned();
    const given = this.trim();
    if (given > 0) collectGarbage();
    return given;
  }

  /**
   * Resolves once no freed block waits in quarantine: the last reader of each (an alias in
   * any thread) was collected, and the block is in the free lists, where `release` (or the
   * idle timer) can give it back. It waits for the unpins themselves, not for the timer; a
   * thread unpins when it collects garbage, which the caller may have to bring about.
   * Internal (`@de2/core/internal`): tests use it to know when freed memory can go back.
   */
  async unpinned(): Promise<void> {
    for (;;) {
      this.reclaimUnpinned();
      const [block] = this.quarantine;
      if (!block) return;
      await blockUnpinned(block);
    }
  }

  /** Blocks freed by the store that a program or task can still read. */
  quarantinedBytes(): number {
    let n = 0;
    for (const b of this.quarantine) n += b.byteLength;
    return n;
  }

  snapshot(): StorePoolStats {
    return { ...this.stats, freeBytes: this.freeTotal, quarantinedBytes: this.quarantinedBytes() };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.trim();
    this.quarantine.clear();
  }

  private take(size: number): SharedArrayBuffer | undefined {
    const list = this.free.get(size);
    const block = list?.pop();
    if (!block) return undefined;
    if (list?.length === 0) this.free.delete(size);
    this.freeTotal -= size;
    return block;
  }

  /**
   * Moves quarantined blocks whose last reader is gone to the free lists; true if one of
   * class `size` came free. For large classes it first collects this thread's garbage, so
   * that views the program dropped since the last collection no longer pin their block.
   */
  private reclaim(size: number, swept = false): boolean {
    let found = false;
    let waiting = false;
    for (const block of [...this.quarantine]) {
      if (block.byteLength !== size) continue;
      waiting = true;
      if (blockPins(block) === 0) {
        this.offer(block);
        found = true;
      }
    }
    if (found || swept || !waiting || size < SWEEP_MIN_BYTES || !isMainThread) return found;
    sweepAliases();
    return this.reclaim(size, true);
  }

  /** Moves every quarantined block whose pins are 0 to the free lists. */
  private reclaimUnpinned(): void {
    for (const block of [...this.quarantine]) if (blockPins(block) === 0) this.offer(block);
  }

  private armIdleTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => {
        this.reclaimUnpinned();
        if (this.freeTotal === 0 && this.quarantine.size === 0) {
          clearInterval(this.timer);
          this.timer = undefined;
        } else if (Date.now() - this.lastUse >= this.options.idleMs) this.release();
      },
      Math.max(10, this.options.idleMs / 2),
    );
    this.timer.unref();
  }
}

/** Below this, a miss does not collect garbage to find a block (a fresh one is cheap). */
const SWEEP_MIN_BYTES = 64 << 20;

/** The smallest size class holding `bytes`: m x 2^k with m in 8..15. */
export function sizeClass(bytes: number): number {
  if (bytes <= 16) return 16;
  const k = Math.floor(Math.log2(bytes)) - 3;
  const unit = 2 ** k;
  return Math.ceil(bytes / unit) * unit;
}

/**
 * The pool that values serialized in this thread go to: the one of the node living in
 * this process's main thread (set by its object store). Worker threads have none: they
 * cannot take a block from the main thread synchronously, so their values get fresh memory.
 */
let processPool: StorePool | undefined;
let processLimits: StoreLimits | undefined;

/** The store's capacity and spill limit: a put larger than both together fails at the call. */
export interface StoreLimits {
  capacityBytes: number;
  spillLimitBytes: number;
}

/** Sets this process's pool; with `only`, clears it only if it is still that one. */
export function setProcessPool(
  pool: StorePool | undefined,
  limits: StoreLimits | undefined,
  only?: StorePool,
): void {
  if (!isMainThread || (only && processPool !== only)) return;
  processPool = pool;
  processLimits = limits;
}

export function getProcessStoreLimits(): StoreLimits | undefined {
  return processLimits;
}

export function getProcessPool(): StorePool | undefined {
  return processPool;
}

/** Memory for a large value: a pool block (data at `offset`), or a fresh buffer without a pool. */
export function storeMemory(byteLength: number): { sab: SharedArrayBuffer; offset: number } {
  if (processPool && byteLength >= POOL_MIN_BYTES)
    return { sab: processPool.allocate(byteLength), offset: BLOCK_HEADER_BYTES };
  return { sab: new SharedArrayBuffer(byteLength), offset: 0 };
}

export { isPoolBlock };
