/**
 * Entry of every worker thread (task pools and actor threads). It opens the thread's own
 * client port to the node, then runs what the node sends through Piscina.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { MessageChannel, parentPort, threadId, workerData } from 'node:worker_threads';
import '../api/actor.js'; // registers how actor handles are rebuilt in this thread
import { CoreClient } from '../client/client.js';
import { setClient } from '../client/context.js';
import { ErrorCode } from '../errors/codes.js';
import { toWire, wireError } from '../errors/wire.js';
import { claimSlot } from '../node/running-table.js';
import { aliasBytesSinceSweep, sweepAliases } from '../object-store/pool-block.js';
import { PortChannel } from '../protocol/channel.js';
import type {
  ClientToNode,
  NodeToClient,
  SerializedValue,
  WorkerData,
  WorkerHello,
  WorkerResult,
  WorkerTask,
} from '../protocol/messages.js';
import { TaskKind } from '../protocol/messages.js';
import { serialize } from '../serialization/values.js';
import { redirectConsole } from './console.js';
import { explainScopeError, loadCode, type LoadedEnv } from './load-code.js';
import { setWorkingDirSource } from '../api/runtime-context.js';
import { packResult, unpackTask, type PackedResult, type PackedTask } from './packing.js';
import { SerialLock } from './serial-lock.js';
import { installMemoryBudget } from './memory-budget.js';

// Piscina first tries require() on the entry; under tsx that succeeds and would load a
// second (CommonJS) copy of the client modules, apart from the one user code gets from
// `await import('@de2/core')`. Top-level await makes require() fail, so Piscina import()s it.
await Promise.resolve();

/** The task this async context runs, and how it gives up its serial slot while it waits. */
interface Running {
  taskId: string;
  release?: (() => void) | undefined;
  /** The job's runtime environment, once the task's code is loaded. */
  env?: LoadedEnv | undefined;
}
const currentTask = new AsyncLocalStorage<Running>();
const serialLock = new SerialLock();
const { port1, port2 } = new MessageChannel();
const hello: WorkerHello = { de2ClientPort: port2 };
parentPort?.postMessage(hello, [port2]);
const channel = new PortChannel<ClientToNode, NodeToClient>(port1);
channel.unref();
const client = new CoreClient(channel, {
  isDriver: false,
  threadId,
  currentTaskId: () => currentTask.getStore()?.taskId ?? '',
  onWait: () => {
    const running = currentTask.getStore();
    const release = running?.release;
    if (running && release) {
      running.release = undefined;
      release();
    }
  },
  currentRuntimeEnv: () => currentTask.getStore()?.env?.runtimeEnv ?? '',
});
setWorkingDirSource(() => currentTask.getStore()?.env?.dir);
setClient(client);

let prefix = `(worker ${threadId})`;
redirectConsole(client, () => prefix);

const data = workerData as WorkerData | undefined;
const table = data?.runningTable;
const runningCells = table ? new Int32Array(table) : undefined;
if (data?.memoryBudget && data.memoryReport) {
  installMemoryBudget(data.memoryBudget, new Float64Array(data.memoryReport));
}

const actors = new Map<string, Record<string, unknown>>();
const actorEnvs = new Map<string, LoadedEnv>();

/**
 * Runs a task of a job with its runtime environment: `workingDir()` and nested `remote()`
 * see it, and its `env` variables are set in this thread's `process.env` while it runs
 * (then put back, as the thread also runs other jobs' tasks).
 */
async function withEnv<T>(env: LoadedEnv | undefined, run: () => T): Promise<Awaited<T>> {
  const running = currentTask.getStore();
  if (!env) return await run();
  if (running) running.env = env;
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(env.vars)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  try {
    return await run();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

class DependencyFailed {
  constructor(readonly result: WorkerResult) {}
}

function decodeArgs(task: WorkerTask): unknown[] {
  const args = client.decode(task.args) as unknown[];
  task.refArgIndexes.forEach((index, i) => {
    const r = task.refArgs[i];
    if (r?.error) throw new DependencyFailed({ ok: false, error: r.error });
    args[index] = r?.value ? client.decode(r.value) : undefined;
  });
  return args;
}

function encodeReturns(result: unknown, task: WorkerTask): SerializedValue[] {
  if (task.numReturns === 1) return [serialize(result, `the return value of ${task.name}`, 'result')];
  if (!Array.isArray(result) || result.length !== task.numReturns) {
    throw new TypeError(
      `${task.name} has numReturns ${task.numReturns}: it must return an array of ${task.numReturns} values`,
    );
  }
  return result.map((v, i) => serialize(v, `return value ${i} of ${task.name}`, `result[${i}]`));
}

async function execute(task: WorkerTask): Promise<WorkerResult> {
  const what = task.kind === TaskKind.task ? `remote function ${task.name}` : `actor ${task.name}`;
  try {
    const args = decodeArgs(task);
    let values: SerializedValue[] = [];
    if (task.kind === TaskKind.task) {
      const loaded = await loadCode(client, task.functionHash);
      const fn = loaded.code as (...a: unknown[]) => unknown;
      values = encodeReturns(await withEnv(loaded.env, () => fn(...args)), task);
    } else if (task.kind === TaskKind.actorCreate) {
      const loaded = await loadCode(client, task.functionHash);
      const Cls = loaded.code as new (...a: unknown[]) => Record<string, unknown>;
      actors.set(task.actorId, await withEnv(loaded.env, () => new Cls(...args)));
      if (loaded.env) actorEnvs.set(task.actorId, loaded.env);
      prefix = `(${task.name} worker ${threadId})`;
    } else {
      const actor = actors.get(task.actorId);
      if (!actor) throw new Error(`actor ${task.actorId} is not on this thread`);
      const method = actor[task.method] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof method !== 'function') throw new TypeError(`${task.name} is not a method`);
      values = encodeReturns(
        await withEnv(actorEnvs.get(task.actorId), () => method.apply(actor, args)),
        task,
      );
    }
    // Refs this task took or made must reach the node before the task's end unpins them.
    if (client.dirty) await client.flush();
    return { ok: true, values };
  } catch (error) {
    if (error instanceof DependencyFailed) return error.result;
    return { ok: false, error: toWire(explainScopeError(error, what), task.name) };
  }
}

export default async function run(packed: PackedTask): Promise<PackedResult> {
  const task = unpackTask(packed);
  if (packed[11] !== 1) return packResult(await releasePins(await runTask(task, { taskId: task.taskId })));
  const wait = serialLock.acquire();
  if (wait) await wait;
  const running: Running = { taskId: task.taskId, release: () => serialLock.release() };
  try {
    return packResult(await releasePins(await runTask(task, running)));
  } finally {
    running.release?.();
  }
}

/** A task that read this much of the store's pool blocks collects its garbage at its end. */
const SWEEP_AFTER_BYTES = 64 << 20;
/** ...unless the thread swept recently: collections take at most 1/20 of its time... */
const SWEEP_TIME_SHARE = 20;
/** ...but a task that read this much always does: fresh memory for it would cost seconds. */
const SWEEP_ALWAYS_BYTES = 1 << 30;
let sweepCostMs = 0;
let sweptAt = 0;

/**
 * Unpins, before the task's result goes out, the pool blocks that the task read and no
 * longer holds: an idle thread may not collect garbage for a long time, and until then
 * its dropped views would keep the node from reusing their memory.
 */
async function releasePins<R>(result: R): Promise<R> {
  const pinned = aliasBytesSinceSweep();
  if (pinned < SWEEP_AFTER_BYTES) return result;
  if (pinned < SWEEP_ALWAYS_BYTES && performance.now() - sweptAt < SWEEP_TIME_SHARE * sweepCostMs)
    return result;
  await new Promise((resolve) => setImmediate(resolve)); // the aliases' WeakRefs clear only after their turn
  const start = performance.now();
  sweepAliases();
  sweptAt = performance.now();
  sweepCostMs = sweptAt - start;
  return result;
}

async function runTask(task: WorkerTask, running: Running): Promise<WorkerResult> {
  if (runningCells && !claimSlot(runningCells, task.slot, threadId)) {
    return {
      ok: false,
      error: wireError(ErrorCode.TASK_CANCELLED, `task ${task.name} was cancelled`),
    };
  }
  const start = performance.now();
  const result = await currentTask.run(running, () => execute(task));
  result.runMs = performance.now() - start;
  return result;
}
