import { ErrorCode } from '../errors/codes.js';
import { wireError, type WireError } from '../errors/wire.js';
import type { TaskSpec, WorkerResult } from '../protocol/messages.js';
import type { ActorHost } from './node-services.js';
import { Failure, classify, createPool, failureError, type WorkerPool } from './task-pools.js';
import { cancelledError, storeResult, workerTaskOf } from './task-runner.js';

const State = { starting: 'starting', alive: 'alive', dead: 'dead' } as const;
type State = (typeof State)[keyof typeof State];

interface QueuedCall {
  task: TaskSpec;
  attempts: number;
  cancelled: boolean;
}

/**
 * One actor on one dedicated worker thread (a Piscina pool of exactly one thread). Calls
 * run in arrival order; up to `maxConcurrency` at once, so async methods interleave only
 * when it is above 1. A crash restarts the actor (constructor re-run) up to `maxRestarts`.
 */
export class ActorRunner {
  private pool: WorkerPool | undefined;
  private state: State = State.starting;
  private readonly queue: QueuedCall[] = [];
  private readonly inFlight = new Set<QueuedCall>();
  private restarts = 0;
  private generation = 0;

  constructor(
    private readonly node: ActorHost,
    private readonly create: TaskSpec,
  ) {}

  private get id(): string {
    return this.create.actorId;
  }

  start(): void {
    this.state = State.starting;
    const generation = ++this.generation;
    this.pool = createPool({
      threads: 1,
      memory: this.create.memory,
      slots: Math.max(1, this.create.maxConcurrency),
      onWorkerPort: (port) => this.node.attachWorkerPort(port),
      eager: true,
    });
    void this.construct(generation);
  }

  private async construct(generation: number): Promise<void> {
    const pool = this.pool as WorkerPool;
    let result: WorkerResult;
    try {
      const refArgs = await this.node.resolveObjects(this.create.refArgIds);
      result = await pool.run(workerTaskOf(this.create, refArgs));
    } catch (error) {
      if (generation !== this.generation) return;
      this.reportCreated();
      return this.crashed(
        failureError(classify(error), `actor ${this.create.name}`, error, this.create.memory),
      );
    }
    if (generation !== this.generation) return;
    this.reportCreated();
    if (!result.ok) {
      return this.die(
        wireError(
          ErrorCode.ACTOR_DIED,
          `actor ${this.create.name} failed in its constructor: ${result.error.name}: ${result.error.message}`,
          result.error,
        ),
      );
    }
    this.state = State.alive;
    this.pump();
  }

  private created = false;

  /** Tells the head the creation task is over (once; restarts are the node's business). */
  private reportCreated(): void {
    if (this.created) return;
    this.created = true;
    this.node.taskFinished(this.create.taskId);
  }

  /** The tasks of this actor not finished yet: its creation (until it is reported) and its calls. */
  taskIds(): string[] {
    const ids = this.created ? [] : [this.create.taskId];
    for (const call of this.queue) ids.push(call.task.taskId);
    for (const call of this.inFlight) ids.push(call.task.taskId);
    return ids;
  }

  call(task: TaskSpec): void {
    if (this.state === State.dead)
      return this.finish({ task, attempts: 0, cancelled: false }, this.deadError());
    this.queue.push({ task, attempts: 0, cancelled: false });
    this.pump();
  }

  cancel(taskId: string): void {
    const queued = this.queue.findIndex((c) => c.task.taskId === taskId);
    if (queued >= 0) {
      const [call] = this.queue.splice(queued, 1);
      if (call) this.finish(call, cancelledError(call.task));
      return;
    }
    for (const call of this.inFlight) {
      if (call.task.taskId !== taskId) continue;
      // A running method cannot be interrupted; its result is dropped.
      call.cancelled = true;
      for (const id of call.task.returnIds)
        this.node.storeError(id, cancelledError(call.task), call.task.ownerId);
    }
  }

  private pump(): void {
    const limit = Math.max(1, this.create.maxConcurrency);
    while (this.state === State.alive && this.inFlight.size < limit && this.queue.length > 0) {
      const call = this.queue.shift() as QueuedCall;
      this.inFlight.add(call);
      void this.run(call, this.generation);
    }
  }

  private async run(call: QueuedCall, generation: number): Promise<void> {
    const pool = this.pool as WorkerPool;
    let result: WorkerResult;
    try {
      const refArgs =
        call.task.refArgIds.length > 0 ? await this.node.resolveObjects(call.task.refArgIds) : [];
      result = await pool.run(workerTaskOf(call.task, refArgs));
    } catch (error) {
      this.inFlight.delete(call);
      if (generation !== this.generation) return; // the actor was restarted or killed meanwhile
      const failure = classify(error);
      if (failure !== Failure.outOfMemory && call.attempts < this.create.maxTaskRetries) {
        call.attempts++;
        this.queue.unshift(call);
      } else {
        const what = `${call.task.name} (actor ${this.create.name} died)`;
        const wire = failureError(failure, what, error, this.create.memory);
        this.finish(
          call,
          failure === Failure.outOfMemory ? wire : wireError(ErrorCode.ACTOR_DIED, wire.message, wire),
        );
      }
      return this.crashed(failureError(failure, `actor ${this.create.name}`, error, this.create.memory));
    }
    this.inFlight.delete(call);
    if (call.cancelled) this.node.taskFinished(call.task.taskId, 0, true);
    else this.finish(call, result);
    this.pump();
  }

  private finish(call: QueuedCall, outcome: WorkerResult | WireError): void {
    const result: WorkerResult =
      'ok' in outcome ? outcome : { ok: false, error: { ...outcome, actorId: this.id } };
    storeResult(this.node, call.task, result);
    this.node.taskFinished(call.task.taskId, 0, !result.ok);
  }

  /** The thread died: restart if allowed, else the actor is dead. */
  private crashed(cause: WireError): void {
    if (this.state === State.dead) return;
    const old = this.pool;
    this.generation++;
    void old?.destroy();
    for (const call of this.inFlight) this.queue.unshift(call);
    this.inFlight.clear();
    if (this.restarts < this.create.maxRestarts) {
      this.restarts++;
      this.start();
      return;
    }
    this.die(wireError(ErrorCode.ACTOR_DIED, `actor ${this.create.name} died: ${cause.message}`, cause));
  }

  kill(noRestart: boolean): void {
    if (this.state === State.dead) return;
    if (!noRestart && this.restarts < this.create.maxRestarts) {
      this.crashed(wireError(ErrorCode.ACTOR_DIED, 'killed'));
      return;
    }
    this.generation++;
    void this.pool?.destroy();
    for (const call of this.inFlight) this.queue.unshift(call);
    this.inFlight.clear();
    this.die(wireError(ErrorCode.ACTOR_DIED, `actor ${this.create.name} was killed`));
  }

  private dead?: WireError;

  private deadError(): WireError {
    return this.dead ?? wireError(ErrorCode.ACTOR_DIED, `actor ${this.create.name} is dead`);
  }

  private die(error: WireError): void {
    this.state = State.dead;
    this.dead = { ...error, actorId: this.id };
    for (const call of this.queue.splice(0)) this.finish(call, this.dead);
    void this.pool?.destroy();
    this.pool = undefined;
    this.node.toHead({ type: 'actorDied', nodeId: this.node.nodeId, actorId: this.id, error: this.dead });
    this.node.actorGone(this.id);
  }

  async destroy(): Promise<void> {
    this.generation++;
    this.state = State.dead;
    await this.pool?.destroy();
  }
}
