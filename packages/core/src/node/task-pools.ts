import { Piscina } from 'piscina';
import type { MessagePort } from 'node:worker_threads';
import { ErrorCode } from '../errors/codes.js';
import { wireError, type WireError } from '../errors/wire.js';
import type { WorkerData, WorkerResult, WorkerTask } from '../protocol/messages.js';
import { EXIT_OUT_OF_MEMORY } from '../worker/memory-budget.js';
import { packTask, unpackResult, type PackedResult, type PackedTask } from '../worker/packing.js';
import { RunningTable } from './running-table.js';

/** The worker-thread entry every pool loads. */
export const WORKER_ENTRY = new URL('../worker/entry.js', import.meta.url).href;

/**
 * How many tasks one thread may hold at once. Only `numCpus` of them run (the head
 * limits that); the rest are tasks waiting in `get` on their children, which must not
 * keep the thread from taking those children.
 */
const SLOTS_PER_THREAD = 64;

type PiscinaLoadBalancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']>;

/** What made a worker thread fail a task, from Piscina's rejection. */
export const Failure = { crashed: 'crashed', outOfMemory: 'outOfMemory', aborted: 'aborted' } as const;
export type Failure = (typeof Failure)[keyof typeof Failure];

/** A worker thread went over its memory budget (heap + ArrayBuffers) and exited. */
export class MemoryBudgetExceeded extends Error {
  readonly code = 'ERR_DE2_MEMORY_BUDGET';
  constructor(readonly usedBytes: number) {
    super(`the thread used ${mib(usedBytes)} MiB`);
  }
}

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);

export function classify(error: unknown): Failure {
  const e = error as { name?: string; code?: string } | null;
  if (e?.name === 'AbortError') return Failure.aborted;
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY' || error instanceof MemoryBudgetExceeded)
    return Failure.outOfMemory;
  return Failure.crashed;
}

export function failureError(failure: Failure, what: string, error: unknown, memory: number): WireError {
  const detail = (error as Error | undefined)?.message ?? String(error);
  switch (failure) {
    case Failure.aborted:
      return wireError(ErrorCode.TASK_CANCELLED, `${what} was cancelled`);
    case Failure.outOfMemory: {
      const used =
        error instanceof MemoryBudgetExceeded
          ? `used ${(error.usedBytes / 2 ** 20).toFixed(1)} MiB (heap + ArrayBuffers)`
          : 'filled its V8 heap';
      return wireError(
        ErrorCode.OUT_OF_MEMORY,
        `${what} ran out of memory: it ${used}` +
          (memory > 0 ? `, over its budget of ${mib(memory)} MiB (options.memory)` : '') +
          `; its worker thread was stopped and replaced, other tasks were not affected` +
          (error instanceof MemoryBudgetExceeded ? '' : ` (${detail})`),
      );
    }
    case Failure.crashed:
      return wireError(ErrorCode.WORKER_CRASHED, `${what}: worker died (${detail})`);
  }
}

export interface PoolOptions {
  threads: number;
  /** Heap budget of each thread in bytes (0: Node's default). */
  memory: number;
  slots: number;
  onWorkerPort: (port: MessagePort) => void;
  /** Keep `threads` threads started (the default pool); others start on demand. */
  eager: boolean;
  /** The node's running table, shared with every thread. */
  runningTable?: SharedArrayBuffer;
  /** Threads that run a one-CPU task now (not one waiting in get): a new task avoids them. */
  busyThreads?: () => Set<number>;
}

/**
 * Piscina's own choice (LeastBusyBalancer) counts every task a thread holds, also one that
 * waits in `get` for its children and has given its CPU up: with each thread holding one,
 * it may hand the next task to the thread whose task runs, while the other sits idle. This
 * one takes an idle thread first, then one whose tasks all wait, then the least busy.
 */
export function idleFirst(slots: number, busyThreads: () => Set<number>): PiscinaLoadBalancer {
  return (task, workers) => {
    let best: (typeof workers)[number] | null = null;
    let bestScore = Infinity;
    let busy: Set<number> | undefined;
    for (const worker of workers) {
      if (worker.currentUsage === 0) return worker;
      if (worker.isRunningAbortableTask || worker.currentUsage >= slots) continue;
      busy ??= busyThreads();
      const score = (busy.has(worker.id) ? slots : 0) + worker.currentUsage;
      if (score < bestScore) {
        best = worker;
        bestScore = score;
      }
    }
    return task.isAbortable && best && best.currentUsage > 0 ? null : best;
  };
}

/** A Piscina pool that speaks WorkerTask/WorkerResult (packed flat on the way). */
export class WorkerPool {
  constructor(
    private readonly piscina: Piscina<PackedTask, PackedResult>,
    /** Where a thread of this pool writes what it used when it went over its budget. */
    private readonly memoryReport?: Float64Array,
  ) {}

  run(task: WorkerTask, serial = false): Promise<WorkerResult> {
    return this.piscina.run(packTask(task, serial)).then(unpackResult, (error: unknown) => {
      throw this.overBudget(error) ?? error;
    });
  }

  private overBudget(error: unknown): MemoryBudgetExceeded | undefined {
    const report = this.memoryReport;
    const exited = (error as Error | null)?.message?.endsWith(`exited with code: ${EXIT_OUT_OF_MEMORY}`);
    if (!report || !exited) return undefined;
    return new MemoryBudgetExceeded(report[0] ?? 0);
  }

  get threads(): Piscina['threads'] {
    return this.piscina.threads;
  }

  destroy(): Promise<void> {
    return this.piscina.destroy();
  }
}

export function createPool(options: PoolOptions): WorkerPool {
  const mb = Math.max(8, Math.ceil(options.memory / 2 ** 20));
  const memoryReport = options.memory > 0 ? new SharedArrayBuffer(8) : undefined;
  const workerData: WorkerData = {
    runningTable: options.runningTable,
    memoryBudget: options.memory,
    memoryReport,
  };
  const pool = new Piscina<PackedTask, PackedResult>({
    filename: WORKER_ENTRY,
    maxThreads: options.threads,
    minThreads: options.eager ? options.threads : 0,
    concurrentTasksPerWorker: options.slots,
    ...(options.busyThreads ? { loadBalancer: idleFirst(options.slots, options.busyThreads) } : {}),
    idleTimeout: options.eager ? Number.MAX_SAFE_INTEGER : 10_000,
    workerData,
    ...(options.memory > 0
      ? { resourceLimits: { maxOldGenerationSizeMb: mb, maxYoungGenerationSizeMb: Math.min(16, mb) } }
      : {}),
  });
  pool.on('message', (message: unknown) => {
    const port = (message as { de2ClientPort?: MessagePort } | null)?.de2ClientPort;
    if (port) options.onWorkerPort(port);
  });
  // A crashed worker also surfaces as a rejected task; this keeps it from being unhandled.
  pool.on('error', () => {});
  return new WorkerPool(pool, memoryReport && new Float64Array(memoryReport));
}

/** The node's task pools: one shared pool, plus one per distinct `memory` budget. */
export class TaskPools {
  private readonly pools = new Map<number, WorkerPool>();
  readonly running = new RunningTable();

  constructor(
    private readonly threads: number,
    private readonly onWorkerPort: (port: MessagePort) => void,
    private readonly busyThreads?: () => Set<number>,
  ) {
    this.pool(0);
  }

  pool(memory: number): WorkerPool {
    let pool = this.pools.get(memory);
    if (!pool) {
      pool = createPool({
        threads: this.threads,
        memory,
        slots: SLOTS_PER_THREAD,
        onWorkerPort: this.onWorkerPort,
        eager: memory === 0,
        runningTable: this.running.buffer,
        busyThreads: this.busyThreads,
      });
      this.pools.set(memory, pool);
    }
    return pool;
  }

  /**
   * Runs a task. No AbortSignal: Piscina gives a task with a signal a thread of its own,
   * which would stop waiting parents from sharing threads with their children. Force-cancel
   * goes through the node instead (`NodeRuntime.cancelTask`).
   */
  run(task: WorkerTask, memory: number, serial = false): Promise<WorkerResult> {
    return this.pool(memory).run(task, serial);
  }

  async terminateThread(threadId: number): Promise<void> {
    for (const pool of this.pools.values()) {
      for (const worker of pool.threads) if (worker.threadId === threadId) await worker.terminate();
    }
  }

  async destroy(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }
}
