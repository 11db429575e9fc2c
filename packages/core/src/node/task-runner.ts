import { ErrorCode } from '../errors/codes.js';
import { wireError, type WireError } from '../errors/wire.js';
import type { ObjectResult, TaskSpec, WorkerResult, WorkerTask } from '../protocol/messages.js';
import { pipelineable } from '../scheduler/scheduler.js';
import type { ResultSink, TaskHost } from './node-services.js';
import { Failure, classify, failureError } from './task-pools.js';

export function workerTaskOf(task: TaskSpec, refArgs: ObjectResult[], slot = -1): WorkerTask {
  return {
    kind: task.kind,
    taskId: task.taskId,
    functionHash: task.functionHash,
    name: task.name,
    actorId: task.actorId,
    method: task.method,
    args: task.args,
    refArgIndexes: task.refArgIndexes,
    refArgs,
    numReturns: task.returnIds.length,
    slot,
  };
}

export function cancelledError(task: TaskSpec): WireError {
  return wireError(ErrorCode.TASK_CANCELLED, `task ${task.name} was cancelled`, { taskId: task.taskId });
}

/** Stores what a worker answered (values or error) under the task's return ids. */
export function storeResult(node: ResultSink, task: TaskSpec, result: WorkerResult): void {
  if (!result.ok) {
    for (const id of task.returnIds)
      node.storeError(id, { ...result.error, taskId: task.taskId }, task.ownerId);
    return;
  }
  task.returnIds.forEach((id, i) => {
    const value = result.values[i];
    if (value) node.storeValue(id, value, task.ownerId);
  });
}

/**
 * Runs a task on the node's pool: crashed workers are retried up to `maxRetries`, user
 * exceptions only with `retryExceptions`; out-of-memory and cancellation are final.
 */
export async function runTask(node: TaskHost, task: TaskSpec): Promise<void> {
  let cancelled = false;
  let failed = false;
  let runMs = 0;
  let dispatchedAt: number | undefined;
  /** One-CPU tasks wait for a CPU of the node (cpu-queue.ts); `cpu` while this one holds it. */
  const cpuQueue = pipelineable(task) ? node.cpuQueue : undefined;
  let cpu = false;
  let blocked = false;
  let givenBack = false;
  const running = node.pools.running;
  let slot = running.acquire();
  const end = (error: WireError): boolean => {
    if (cancelled) return false;
    cancelled = true;
    failed = true;
    for (const id of task.returnIds) node.storeError(id, error, task.ownerId);
    return true;
  };
  node.running.set(task.taskId, {
    taskId: task.taskId,
    retriable: task.maxRetries > 0,
    get startedAt() {
      return dispatchedAt !== undefined && running.threadOf(slot) > 0 ? dispatchedAt : undefined;
    },
    get busyThread() {
      return cpu && !blocked ? running.threadOf(slot) : 0;
    },
    cancel(force) {
      if (!end(cancelledError(task))) return;
      if (cpuQueue?.drop(task.taskId)) return;
      if (force) void node.stopTaskThread(slot);
    },
    blocked(waits) {
      if (!cpu || blocked === waits) return;
      blocked = waits;
      if (waits) cpuQueue?.release();
      else cpuQueue?.reacquire();
    },
    async endForMemory(message) {
      const error = wireError(ErrorCode.OUT_OF_MEMORY, `task ${task.name}: ${message}`, {
        taskId: task.taskId,
      });
      if (end(error)) await node.stopTaskThread(slot);
    },
  });
  /** Waits for a CPU of the node; false if the task was given back to the head or cancelled. */
  const takeCpu = async (again = false): Promise<boolean> => {
    if (!cpuQueue || cancelled) return !cancelled;
    const take = again ? cpuQueue.takeBack(task.taskId) : cpuQueue.take(task.taskId);
    cpu = take === true || (await take);
    // Not started: given back to the head (which places it again) unless it was cancelled.
    if (!cpu) givenBack = !cancelled;
    return cpu;
  };
  /**
   * Hands the task to a thread. One-CPU tasks that no thread started within STEAL_AFTER_MS
   * (they wait behind a long call on their thread) are taken back and handed out again.
   * Undefined: taken back, then given back to the head or cancelled.
   */
  const runOnce = async (workerTask: WorkerTask): Promise<WorkerResult | undefined> => {
    for (;;) {
      const run = node.pools.run({ ...workerTask, slot }, task.memory, cpuQueue !== undefined);
      if (!cpuQueue) return run;
      const handed = slot;
      let stolen = false;
      let watched = noop;
      let outcome: WorkerResult | undefined;
      try {
        outcome = await new Promise<WorkerResult | undefined>((resolve, reject) => {
          run.then(resolve, reject);
          watched = cpuQueue.handedOver(() => {
            stolen = running.steal(handed);
            if (stolen) resolve(undefined);
            return stolen;
          });
        });
      } finally {
        // Also when the thread crashed: the slot is reset for the retry, which must not be
        // taken for this attempt's copy.
        watched();
      }
      if (!stolen) return outcome;
      // The thread skips its copy when it gets to it (the slot says so); the slot is reused
      // only after that, so that a later task in it is never mistaken for this one.
      void run.then(noop, noop).finally(() => running.release(handed));
      slot = running.acquire();
      cpu = false;
      if (!(await takeCpu(true))) return undefined;
    }
  };
  try {
    const refArgs = task.refArgIds.length > 0 ? await node.resolveObjects(task.refArgIds) : [];
    const workerTask = workerTaskOf(task, refArgs, slot);
    if (!(await takeCpu())) return;
    for (let attempt = 0; !cancelled; attempt++) {
      let result: WorkerResult | undefined;
      if (attempt > 0) running.reset(slot);
      dispatchedAt = performance.now();
      try {
        result = await runOnce(workerTask);
        if (!result) return;
      } catch (error) {
        if (cancelled) return;
        const failure = classify(error);
        if (failure === Failure.crashed && attempt < task.maxRetries) continue;
        const what =
          `task ${task.name}` + (failure === Failure.crashed ? ` failed after ${attempt + 1} attempts` : '');
        failed = true;
        storeResult(node, task, { ok: false, error: failureError(failure, what, error, task.memory) });
        return;
      }
      if (cancelled) return;
      runMs += result.runMs ?? 0;
      const retryable = !result.ok && result.error.code === ErrorCode.TASK_ERROR && task.retryExceptions;
      if (retryable && attempt < task.maxRetries) continue;
      failed = !result.ok;
      storeResult(node, task, result);
      return;
    }
  } finally {
    node.running.delete(task.taskId);
    running.release(slot);
    if (cpu && !blocked) cpuQueue?.release();
    if (!givenBack) node.taskFinished(task.taskId, runMs, failed);
  }
}

function noop(): void {}
