import type { MessagePort } from 'node:worker_threads';
import { ErrorCode } from '../errors/codes.js';
import { toWire, wireError, type WireError } from '../errors/wire.js';
import { ObjectStore } from '../object-store/object-store.js';
import { PortChannel, type Channel } from '../protocol/channel.js';
import type {
  ClientToNode,
  HeadToNode,
  NodeToClient,
  NodeToHead,
  ObjectResult,
  SerializedValue,
  TaskSpec,
} from '../protocol/messages.js';
import { TaskKind } from '../protocol/messages.js';
import { ActorRunner } from './actor-runner.js';
import { ClientSession } from './client-session.js';
import { CpuQueue } from './cpu-queue.js';
import { ThreadActivity } from './thread-activity.js';
import { MemoryMonitor } from './memory-monitor.js';
import type { ActorHost, SessionHost, TaskControl, TaskHost } from './node-services.js';
import { TaskPools } from './task-pools.js';
import { runTask } from './task-runner.js';
import { RuntimeEnvs, type PreparedEnv } from './runtime-envs.js';
import { RejoinBook } from './rejoin-book.js';
import { holdHeapGrowthCap } from './heap-growth.js';
import { HeadLink } from './head-link.js';
import { NodeObjects } from './node-objects.js';
import { rejoinReport } from './rejoin-report.js';
import { FunctionCache, type FunctionSource } from './function-cache.js';
import type { NodeRuntimeOptions } from './node-options.js';
import { IDS_PER_MESSAGE, splitIdLists } from '../protocol/id-chunks.js';

export type { NodeRuntimeOptions } from './node-options.js';

type Log = Extract<ClientToNode, { type: 'log' }>;

/**
 * One node: a Piscina pool of worker threads, one dedicated thread per actor, the
 * node's object store, and the sessions of the clients that live here. It runs what the
 * head assigns and talks to the head only through messages.
 */
export class NodeRuntime implements TaskHost, ActorHost, SessionHost {
  readonly nodeId: string;
  readonly store: ObjectStore;
  readonly pools: TaskPools;
  readonly cpuQueue: CpuQueue;
  private readonly actors = new Map<string, ActorRunner>();
  private readonly sessions = new Set<ClientSession>();
  /** The functions this node has seen, by hash. */
  readonly functions = new FunctionCache(this);
  /** The node's copies of its jobs' working dirs. */
  readonly runtimeEnvs: RuntimeEnvs;
  /** What a restarted head must hear again from this node (see rejoin-book.ts). */
  readonly book: RejoinBook;
  private readonly link: HeadLink;
  private readonly objects: NodeObjects;
  /** Tasks of this node waiting in get/wait, whose CPUs the head lends to others. */
  readonly blockedTasks = new Set<string>();
  readonly running = new Map<string, TaskControl>();
  private statsDirty = false;
  private ended = false;
  private readonly memoryMonitor: MemoryMonitor | undefined;
  /** Lifts the cap on V8's heap growth this runtime holds (heap-growth.ts). */
  private readonly releaseHeapCap = holdHeapGrowthCap();

  constructor(
    readonly options: NodeRuntimeOptions,
    head: Channel<NodeToHead, HeadToNode>,
  ) {
    this.nodeId = options.nodeId;
    this.book = new RejoinBook(options.headInProcess !== true);
    this.link = new HeadLink(head, this, (m) => this.handleHead(m));
    this.objects = new NodeObjects(this, options.pullRemote);
    this.runtimeEnvs = new RuntimeEnvs(this);
    this.store = new ObjectStore({
      capacityBytes: options.objectStoreMemory,
      sessionDir: options.sessionDir,
      spillLimitBytes: options.spillLimitBytes,
    });
    const threads = Math.max(1, Math.ceil(options.numCpus));
    const activity = new ThreadActivity(this.running);
    this.pools = new TaskPools(
      threads,
      (port) => this.attachWorkerPort(port),
      () => activity.busyThreads(),
    );
    this.cpuQueue = new CpuQueue(
      threads,
      (taskIds) => this.toHead({ type: 'tasksReturned', nodeId: this.nodeId, taskIds }),
      () => activity.busyThreads().size,
      () => activity.longCall(),
    );
    if (options.memoryLimit) {
      this.memoryMonitor = new MemoryMonitor({
        limitBytes: options.memoryLimit,
        // The store's values and the free memory its pool keeps are the store's, not tasks'.
        usedBytes: () => process.memoryUsage.rss() - this.store.usedBytes - this.store.pool.freeBytes,
        running: () => this.running.values(),
        relieve: () => this.store.pool.release(),
      });
    }
    this.toHead({
      type: 'registerNode',
      nodeId: this.nodeId,
      address: options.address,
      resources: options.resources,
    });
  }

  /** Set by shutdown (a pull that ends later stores nothing, asks nothing). */
  get closed(): boolean {
    return this.ended;
  }

  toHead(message: NodeToHead): void {
    // Many ids go as messages of IDS_PER_MESSAGE: a get of 1M refs was one 78 MB message.
    if (!('ids' in message) || message.ids.length <= IDS_PER_MESSAGE) return this.link.send(message);
    for (const part of splitIdLists(message)) this.link.send(part);
  }

  /**
   * The task ended here (`runMs`: how long it ran on its thread, 0 if not measured). Tasks
   * that end together are reported in one message, after their results.
   */
  taskFinished(taskId: string, runMs = 0, failed = false): void {
    this.blockedTasks.delete(taskId);
    this.link.taskFinished(taskId, runMs, failed);
  }

  /** Sends a request to the head and resolves with its reply (matched by reqId). */
  ask(message: Extract<NodeToHead, { reqId: number }>): Promise<HeadToNode> {
    return this.link.ask(message);
  }

  /** The head is gone for good: what waits for it fails with NodeDiedError (head-link.ts). */
  headLost(message: string): void {
    this.link.lost(message, () => this.objects.waitingIds());
  }

  /** The head is gone but may come back (a restart): what needs it waits (head-link.ts). */
  headAway(): void {
    this.link.away();
  }

  /** Stores an object made here (`ownerId` set) or a copy of one made elsewhere (''). */
  storeValue(id: string, value: SerializedValue, ownerId: string): void {
    this.objects.storeValue(id, value, ownerId);
  }

  storeError(id: string, error: WireError, ownerId: string): void {
    this.objects.storeError(id, error, ownerId);
  }

  whenExists(id: string, done: () => void): void {
    this.objects.whenExists(id, done);
  }

  isLocal(id: string): boolean {
    return this.store.has(id);
  }

  readLocal(ids: string[]): ObjectResult[] | undefined {
    return this.objects.readLocal(ids);
  }

  whenAll(ids: string[], done: (results: ObjectResult[]) => void): void {
    this.objects.whenAll(ids, done);
  }

  resolveObjects(ids: string[]): Promise<ObjectResult[]> {
    return this.objects.resolveObjects(ids);
  }

  /** A task of this node waits in get/wait: the head and the CPU queue lend its CPU to others. */
  taskBlocked(taskId: string): void {
    this.blockedTasks.add(taskId);
    this.running.get(taskId)?.blocked(true);
    this.toHead({ type: 'taskBlocked', nodeId: this.nodeId, taskId });
  }

  taskUnblocked(taskId: string): void {
    this.blockedTasks.delete(taskId);
    this.running.get(taskId)?.blocked(false);
    this.toHead({ type: 'taskUnblocked', nodeId: this.nodeId, taskId });
  }

  /**
   * Back on a restarted head under the same node id: tell it what this node runs, hosts,
   * holds and waits for, then what was queued while it was away.
   */
  rejoin(channel: Channel<NodeToHead, HeadToNode>): void {
    if (this.link.rejoin(channel, () => rejoinReport(this, this.actors, this.objects.waitingIds())))
      this.flushStats();
  }

  /** What this node runs, hosts and holds, for the log. */
  describeWork(): string {
    let objects = 0;
    for (const _ of this.store.summaries()) objects++;
    return `${this.running.size} task(s), ${this.actors.size} actor(s) and ${objects} object(s)`;
  }

  /** Attaches a client that lives in this process or thread (the embedded driver). */
  connectClient(channel: Channel<NodeToClient, ClientToNode>): void {
    this.sessions.add(new ClientSession(channel, this));
  }

  /** Attaches a worker thread's client (its port arrives in the thread's first message). */
  attachWorkerPort(port: MessagePort): void {
    const channel = new PortChannel<NodeToClient, ClientToNode>(port);
    channel.unref();
    this.sessions.add(new ClientSession(channel, this));
  }

  sessionClosed(session: { clientId: string }): void {
    this.sessions.delete(session as ClientSession);
    if (session.clientId && !this.closed) this.toHead({ type: 'holderGone', holderId: session.clientId });
  }

  private handleHead(m: HeadToNode): void {
    switch (m.type) {
      case 'functionReply':
      case 'actorReply':
      case 'clusterInfoReply': {
        return this.link.reply(m);
      }
      case 'executeTask':
        return this.execute(m.task);
      case 'objectReady':
        return this.objects.ready(m);
      case 'storeError':
        for (const id of m.ids) this.storeError(id, m.error, '');
        return;
      case 'freeObject':
        for (const id of m.ids) {
          this.store.free(id);
          this.runtimeEnvs.objectFreed(id);
        }
        this.markStats();
        return;
      case 'cancelTask':
        return this.cancelTask(m.taskId, m.force);
      case 'killActor':
        this.actors.get(m.actorId)?.kill(m.noRestart);
        return;
      case 'log':
        if (!this.options.logToDriver) return;
        for (const s of this.sessions) if (s.isDriver) s.send(m);
        return;
    }
  }

  private execute(task: TaskSpec): void {
    switch (task.kind) {
      case TaskKind.task:
        void runTask(this, task);
        return;
      case TaskKind.actorCreate: {
        const runner = new ActorRunner(this, task);
        this.actors.set(task.actorId, runner);
        runner.start();
        return;
      }
      case TaskKind.actorCall: {
        const runner = this.actors.get(task.actorId);
        if (runner) runner.call(task);
        else {
          const error = wireError(ErrorCode.ACTOR_DIED, `actor ${task.actorId} is not on this node`);
          for (const id of task.returnIds) this.storeError(id, error, task.ownerId);
          this.taskFinished(task.taskId);
        }
        return;
      }
    }
  }

  private cancelTask(taskId: string, force: boolean): void {
    const control = this.running.get(taskId);
    if (control) return control.cancel(force);
    for (const actor of this.actors.values()) actor.cancel(taskId);
  }

  /**
   * Force-cancel: ends the worker thread that runs `taskId` (a running task cannot be
   * interrupted otherwise). Other tasks on that thread are retried as after a crash.
   */
  async stopTaskThread(slot: number): Promise<void> {
    const threadId = this.pools.running.cancel(slot);
    if (threadId > 0) await this.pools.terminateThread(threadId);
  }

  actorGone(actorId: string): void {
    this.actors.delete(actorId);
  }

  registerFunction(hash: string, source: string, name: string, runtimeEnv: string): void {
    this.functions.register(hash, { source, name, runtimeEnv });
  }

  getFunction(hash: string): Promise<FunctionSource> {
    return this.functions.get(hash);
  }

  prepareRuntimeEnv(runtimeEnv: string): Promise<PreparedEnv> {
    return this.runtimeEnvs.prepare(runtimeEnv);
  }

  /** Tasks and actors this node runs now (a copy of a working dir outlives them). */
  busyIds(): string[] {
    return [...this.running.keys(), ...this.actors.keys()];
  }

  log(m: Log): void {
    // On a cluster the driver sees output from many nodes: say which one, as Ray's `(pid=, ip=)`.
    if (this.options.address === 'embedded') return this.toHead(m);
    this.toHead({ ...m, prefix: `${m.prefix.slice(0, -1)}, ${this.nodeId} ${this.options.address})` });
  }

  wireOf(error: unknown): WireError {
    return toWire(error);
  }

  markStats(): void {
    if (this.statsDirty) return;
    this.statsDirty = true;
    queueMicrotask(() => this.flushStats());
  }

  flushStats(): void {
    this.statsDirty = false;
    this.toHead({
      type: 'nodeStats',
      nodeId: this.nodeId,
      objectStoreUsed: this.store.usedBytes,
      bytesPulled: this.objects.bytesPulled,
    });
  }

  async shutdown(): Promise<void> {
    this.ended = true;
    this.releaseHeapCap();
    this.memoryMonitor?.stop();
    this.runtimeEnvs.close();
    this.cpuQueue.stop();
    await Promise.all([...this.actors.values()].map((a) => a.destroy()));
    await this.pools.destroy();
    for (const s of this.sessions) s.channel.close();
    this.store.clear();
  }
}
