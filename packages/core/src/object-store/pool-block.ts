import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A pool block: a SharedArrayBuffer that the node's store pool hands out for large values
 * and reuses after they are freed. Its first `BLOCK_HEADER_BYTES` are a header that every
 * thread of the process can find from the buffer alone:
 *
 *   [magic 0, magic 1, process id, pins]   (Int32, the rest reserved)
 *
 * `pins` counts who can still read the block: each store entry that holds it, and each
 * live alias (below) in any thread. The pool reuses a block only when its pins are 0.
 * The process id tells a block of this process from bytes copied from another one (a
 * transfer copies whole buffers, header included).
 */
export const BLOCK_HEADER_BYTES = 64;
const MAGIC0 = 0x64653270; // 'de2p'
const MAGIC1 = 0x6f6f6c21; // 'ool!'
const PINS = 3;

/** Smallest block the pool serves: below it a fresh buffer is cheap and not worth a header. */
export const POOL_MIN_BYTES = 1 << 20;

export function writeBlockHeader(sab: SharedArrayBuffer): void {
  const h = new Int32Array(sab, 0, 4);
  h[0] = MAGIC0;
  h[1] = MAGIC1;
  h[2] = process.pid;
  Atomics.store(h, PINS, 0);
}

/** True for a block of this process's pool (any thread). */
export function isPoolBlock(sab: SharedArrayBuffer): boolean {
  if (sab.byteLength < POOL_MIN_BYTES) return false;
  const h = new Int32Array(sab, 0, 4);
  return h[0] === MAGIC0 && h[1] === MAGIC1 && h[2] === process.pid;
}

export function blockPins(sab: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(sab, 0, 4), PINS);
}

export function pinBlock(sab: SharedArrayBuffer): void {
  Atomics.add(new Int32Array(sab, 0, 4), PINS, 1);
}

export function unpinBlock(sab: SharedArrayBuffer): number {
  const h = new Int32Array(sab, 0, 4);
  const left = Atomics.sub(h, PINS, 1) - 1;
  // Wakes whoever waits for the block's last reader to go (`blockUnpinned`, any thread).
  if (left === 0) Atomics.notify(h, PINS);
  return left;
}

/** `Atomics.waitAsync` (Node 16+), which the ES2023 lib this package compiles with does not declare. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      index: number,
      value: number,
    ):
      | { async: false; value: 'not-equal' | 'timed-out' }
      | { async: true; value: Promise<'ok' | 'timed-out'> };
  }
).waitAsync;

/**
 * Resolves once the block's pins are 0 (at once if they are): an event, not a poll. The
 * unpin that takes them to 0 notifies, in whichever thread its alias was collected.
 */
export async function blockUnpinned(sab: SharedArrayBuffer): Promise<void> {
  const h = new Int32Array(sab, 0, 4);
  for (let pins = Atomics.load(h, PINS); pins > 0; pins = Atomics.load(h, PINS)) {
    const wait = waitAsync(h, PINS, pins); // 'not-equal' at once if they changed meanwhile
    if (wait.async) await wait.value;
  }
}

/**
 * Aliases: what a thread's program gets is never the store's own buffer object but a
 * second `SharedArrayBuffer` object over the same memory (`structuredClone` of a shared
 * buffer shares it), pinned once and unpinned when that object is garbage collected.
 * Every view the program can make (`subarray`, `new Float64Array(view.buffer)`) keeps the
 * alias alive, so the pin lasts exactly as long as the program can read the block.
 */
interface AliasRecord {
  alias: WeakRef<SharedArrayBuffer>;
  block: SharedArrayBuffer;
  bytes: number;
}
const live = new Set<AliasRecord>();
/** Each alias's block, so that a value made of an alias shares the block itself. */
const blockOfAlias = new WeakMap<SharedArrayBuffer, SharedArrayBuffer>();
const finalizer = new FinalizationRegistry<AliasRecord>((record) => release(record));
let pinnedSinceSweep = 0;

function release(record: AliasRecord): void {
  if (!live.delete(record)) return;
  unpinBlock(record.block);
}

/** A pinned alias of `block` for the program to read (one per decoded value). */
export function aliasBlock(block: SharedArrayBuffer): SharedArrayBuffer {
  const alias = structuredClone(block);
  pinBlock(block);
  const record: AliasRecord = { alias: new WeakRef(alias), block, bytes: block.byteLength };
  live.add(record);
  blockOfAlias.set(alias, block);
  finalizer.register(alias, record, record);
  pinnedSinceSweep += block.byteLength;
  return alias;
}

/** The block an alias of this thread reads (itself for any other buffer). */
export function blockOf(sab: SharedArrayBuffer): SharedArrayBuffer {
  return blockOfAlias.get(sab) ?? sab;
}

/** Bytes of blocks this thread pinned through aliases since the last sweep. */
export function aliasBytesSinceSweep(): number {
  return pinnedSinceSweep;
}

let gcFunction: (() => void) | undefined;
/** A full garbage collection of this thread (what frees dropped buffers' memory now). */
export function collectGarbage(): void {
  if (!gcFunction) {
    // Process-wide and left on (see worker/memory-budget.ts for why it is never switched off).
    v8.setFlagsFromString('--expose-gc');
    gcFunction = vm.runInNewContext('gc') as () => void;
  }
  gcFunction();
}

/**
 * Collects garbage and unpins, now, the aliases it freed (a finalizer would run only in a
 * later turn, and an idle thread may not collect for a long time). Call it in a turn after
 * the one that made the aliases: a WeakRef made in this turn stays alive until it ends.
 */
export function sweepAliases(): void {
  pinnedSinceSweep = 0;
  if (live.size === 0) return;
  // Twice: a v8.Deserializer keeps what it read (for back-references) in handles that go
  // only when the collector finalizes the deserializer, so its values die one GC later.
  collectGarbage();
  collectGarbage();
  for (const record of [...live]) {
    if (record.alias.deref() !== undefined) continue;
    finalizer.unregister(record);
    release(record);
  }
}

/** Pins held by aliases of this thread (for tests and stats). */
export function liveAliasCount(): number {
  return live.size;
}
