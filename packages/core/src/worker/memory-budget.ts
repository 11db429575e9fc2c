/**
 * A worker thread's memory budget (`options.memory`): its V8 heap plus its ArrayBuffer and
 * typed-array memory, checked inside the thread, so that synchronous code (a forest fit
 * that runs for seconds) is stopped too. V8's heap limit (resourceLimits) bounds the heap
 * alone; typed arrays live outside the heap, so allocations of them are the checkpoints:
 * the global ArrayBuffer and typed-array constructors, the typed-array methods that make
 * new arrays, and Buffer's allocators, plus a timer while the event loop turns.
 *
 * The measure is the isolate's own counters (used heap + external memory), which cost
 * about a microsecond to read. Shared objects from the object store are SharedArrayBuffers
 * of the node's main thread and do not count here. Over budget after a full GC, the thread
 * writes what it used into the pool's report cell and exits with EXIT_OUT_OF_MEMORY; the
 * node turns that into OutOfMemoryError and Piscina starts a fresh thread.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** Exit code of a worker thread that went over its budget. */
export const EXIT_OUT_OF_MEMORY = 90;

/** Allocations from this size on are checked at once; smaller ones add up first. */
const CHECK_BYTES = 64 * 1024;
/** How often an idle or awaiting thread is checked. */
const CHECK_INTERVAL_MS = 50;

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

/** Methods of %TypedArray%.prototype that allocate a new buffer (not `subarray`, a view). */
const ALLOCATING_METHODS = ['slice', 'map', 'filter'] as const;

type Constructor = new (...args: unknown[]) => object;

/** The thread's heap in use plus its external (ArrayBuffer) memory, in bytes. */
export function threadMemoryUsed(): number {
  const s = v8.getHeapStatistics();
  return s.used_heap_size + s.external_memory;
}

export function installMemoryBudget(budget: number, report: Float64Array): void {
  let pending = 0;
  // Garbage counts in both counters until a GC; only a collection tells what is held.
  // V8's flags are process-wide and threads start budgets at the same time: switching the
  // flag back off raced with another thread reading `gc`, which then died ("gc is not
  // defined"). So it stays on: contexts made later in the process also see a `gc` function.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;

  const check = (): void => {
    pending = 0;
    if (threadMemoryUsed() <= budget) return;
    gc();
    const used = threadMemoryUsed();
    if (used <= budget) return;
    report[0] = used;
    process.exit(EXIT_OUT_OF_MEMORY);
  };
  const allocated = (bytes: number): void => {
    pending += bytes;
    if (pending >= CHECK_BYTES) check();
  };
  const byteLength = (value: unknown): number => (value as { byteLength?: number }).byteLength ?? 0;

  const g = globalThis as unknown as Record<string, Constructor>;
  const hook = (name: string, fresh: (args: unknown[]) => boolean): void => {
    const target = g[name];
    if (!target) return;
    const wrapped: Constructor = new Proxy(target, {
      construct(t, args, newTarget) {
        // `new Float64Array(n)` must make an array of the builtin's own map: one made with the
        // proxy as new.target gets another map, and hot loops over a mix of both slow down
        // (a forest fit ran 2-6x slower). Subclasses keep their own new.target.
        const made = Reflect.construct(t, args, newTarget === wrapped ? t : newTarget) as object;
        if (fresh(args)) allocated(byteLength(made));
        return made;
      },
    });
    g[name] = wrapped;
    // So that `array.constructor === Float64Array` holds for arrays the runtime makes too.
    Object.defineProperty(target.prototype, 'constructor', {
      value: wrapped,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  };
  // A typed array over an existing buffer is a view: no new memory.
  const notView = (args: unknown[]) =>
    !(args[0] instanceof ArrayBuffer || args[0] instanceof SharedArrayBuffer);
  for (const name of TYPED_ARRAYS) hook(name, notView);
  hook('ArrayBuffer', () => true);
  hook('SharedArrayBuffer', () => true);

  const typedArrayProto = Object.getPrototypeOf(Int8Array.prototype) as Record<string, unknown>;
  for (const method of ALLOCATING_METHODS) {
    const original = typedArrayProto[method] as (...a: unknown[]) => unknown;
    typedArrayProto[method] = function (this: unknown, ...args: unknown[]) {
      const made = original.apply(this, args);
      allocated(byteLength(made));
      return made;
    };
  }
  const buffer = Buffer as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const method of ['alloc', 'allocUnsafe', 'allocUnsafeSlow']) {
    const original = buffer[method] as (...a: unknown[]) => unknown;
    buffer[method] = (...args: unknown[]) => {
      const made = original.apply(Buffer, args);
      allocated(byteLength(made));
      return made;
    };
  }
  setInterval(check, CHECK_INTERVAL_MS).unref();
}
