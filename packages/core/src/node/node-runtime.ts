import type { MessagePort } from 'node:worker_threads';
import { ErrorCode } from '../errors/codes.js';
import { fromWire, toWire, type WireError } from '../errors/wire.js';
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
import { CpuQueue, STEAL_AFTER_MS } from './cpu-queue.js';
import { MemoryMonitor } from './memory-monitor.js';
import type { ActorHost, SessionHost, TaskControl, TaskHost } from './node-services.js';
import { TaskPools } from './task-pools.js';
import { runTask } from './task-runner.js';
import { RuntimeEnvs, type PreparedEnv } from './runtime-envs.js';
import { RejoinBook } from './rejoin-book.js';
import { IDS_PER_MESSAGE, splitIdLists } from '../protocol/id-chunks.js';

export interface NodeRuntimeOptions {
  nodeId: string;
  address: string;
  numCpus: number;
  /** Logical resources this node offers (CPU, memory, objectStoreMemory, custom). */
  resources: Record<string, number>;
  objectStoreMemory: number;
  /**
   * Memory limit of the node process in bytes, for the memory monitor (resident memory
   * minus the object store's bytes in memory). 0: no monitor.
   */
  memoryLimit?: number;
  sessionDir: string;
  spillLimitBytes: number;
  logToDriver: boolean;
  /**
   * Fetches an object from the node at `address` (its object-transfer address); set by
   * the cluster transport. Without it, objects held only by other nodes cannot be read.
   */
  pullRemote?: (address: string, id: string) => Promise<ObjectResult | undefined>;
}

type Log = Extract<ClientToNode, { type: 'log' }>;

/**
 * Messages a node does not queue while its head is away: its rejoin report rebuilds what
 * they said (see `rejoin`). Everything else (cancel, kill, log, requests) waits and is sent
 * after the report.
 */
const REBUILT_ON_REJOIN = new Set<NodeToHead['type']>([
  'registerNode',
  'registerFunction',
  'submit',
  'objectAdded',
  'subscribe',
  'addRef',
  'removeRef',
  'holderGone',
  'taskFinished',
  'taskBlocked',
  'taskUnblocked',
  'tasksReturned',
  'nodeStats',
]);

/** Failed pulls of one object before it counts as lost. */
const MAX_PULL_ATTEMPTS = 5;
/**
 * Task results up to this size with no out-of-band buffers travel with `objectAdded` and
 * `objectReady`, as Ray inlines small returns in the task reply: whoever waits for them gets
 * the value from the head instead of pulling it from this node (one round trip, not two).
 */
export const INLINE_RESULT_BYTES = 64 * 1024;

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
  private readonly functions = new Map<string, { source: string; name: string; runtimeEnv: string }>();
  /** The node's copies of its jobs' working dirs. */
  readonly runtimeEnvs: RuntimeEnvs;
  private readonly pending = new Map<
    number,
    {
      resolve: (reply: HeadToNode) => void;
      reject: (e: Error) => void;
      /** The request itself: sent again to a restarted head (the first may have died with the old one). */
      message: NodeToHead;
    }
  >();
  /** Set once the head is unreachable: what everything that needs it fails with. */
  private headError: WireError | undefined;
  /**
   * Set while the head is gone but may come back (its grace period): messages that a
   * rejoin report cannot rebuild wait here; the rest is rebuilt from `book` and the node.
   */
  private outbox: NodeToHead[] | undefined;
  /** What a restarted head must hear again from this node (see rejoin-book.ts). */
  readonly book = new RejoinBook();
  /** Tasks of this node waiting in get/wait, whose CPUs the head lends to others. */
  private readonly blockedTasks = new Set<string>();
  private readonly subscribed = new Set<string>();
  /** Objects `wait(..., { fetchLocal: false })` watches: it needs to know they exist, not their bytes. */
  private readonly watchers = new Map<string, (() => void)[]>();
  /** Bytes of objects pulled from other nodes (status, and the transfer test). */
  private bytesPulled = 0;
  /** Failed pulls per object, while the head finds out which copies survive. */
  private readonly pullAttempts = new Map<string, number>();
  readonly running = new Map<string, TaskControl>();
  private nextReq = 1;
  private statsDirty = false;
  private closed = false;
  /** Tasks that ended since the last batch, and how long each ran (see taskFinished). */
  private finishedIds: string[] = [];
  private finishedMs: number[] = [];
  private failedIds: string[] = [];
  private readonly memoryMonitor: MemoryMonitor | undefined;

  constructor(
    readonly options: NodeRuntimeOptions,
    private head: Channel<NodeToHead, HeadToNode>,
  ) {
    this.nodeId = options.nodeId;
    this.runtimeEnvs = new RuntimeEnvs(this);
    this.store = new ObjectStore({
      capacityBytes: options.objectStoreMemory,
      sessionDir: options.sessionDir,
      spillLimitBytes: options.spillLimitBytes,
    });
    const threads = Math.max(1, Math.ceil(options.numCpus));
    this.pools = new TaskPools(
      threads,
      (port) => this.attachWorkerPort(port),
      () => this.busyThreads(),
    );
    this.cpuQueue = new CpuQueue(
      threads,
      (taskIds) => this.toHead({ type: 'tasksReturned', nodeId: this.nodeId, taskIds }),
      () => this.busyThreads().size,
      () => this.longCall(),
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
    head.onMessage((m) => this.handleHead(m));
    this.toHead({
      type: 'registerNode',
      nodeId: this.nodeId,
      address: options.address,
      resources: options.resources,
    });
  }

  toHead(message: NodeToHead): void {
    if ('ids' in message && message.ids.length > IDS_PER_MESSAGE) {
      const parts = splitIdLists(message);
      if (parts.length > 1) return parts.forEach((part) => this.toHead(part));
    }
    if (this.headError) return this.withoutHead(message, this.headError);
    this.book.note(message);
    if (this.outbox) {
      if (!REBUILT_ON_REJOIN.has(message.type)) this.outbox.push(message);
      return;
    }
    this.head.send(message);
  }

  /**
   * The task ended here (`runMs`: how long it ran on its thread, 0 if not measured). Tasks
   * that end together are reported in one message, after their results.
   */
  taskFinished(taskId: string, runMs = 0, failed = false): void {
    this.blockedTasks.delete(taskId);
    if (this.finishedIds.length === 0) queueMicrotask(this.sendFinished);
    this.finishedIds.push(taskId);
    this.finishedMs.push(runMs);
    if (failed) this.failedIds.push(taskId);
  }

  private readonly sendFinished = (): void => {
    const taskIds = this.finishedIds;
    const runMs = this.finishedMs;
    const failedIds = this.failedIds;
    this.finishedIds = [];
    this.finishedMs = [];
    this.failedIds = [];
    this.toHead({ type: 'taskFinished', nodeId: this.nodeId, taskIds, runMs, failedIds });
  };

  /** Threads that run a one-CPU task now (see idleFirst in task-pools.ts). */
  private busyThreads(): Set<number> {
    // Asked for each task handed out while every thread has some: once per turn of the event
    // loop is enough (a burst of tasks is handed out in one turn), and keeps it off the hot path.
    if (this.busyCache) return this.busyCache;
    const busy = new Set<number>();
    for (const control of this.running.values()) {
      const thread = control.busyThread;
      if (thread > 0) busy.add(thread);
    }
    this.busyCache = busy;
    setImmediate(() => (this.busyCache = undefined)).unref();
    return busy;
  }
  private busyCache: Set<number> | undefined;

  /**
   * Whether a thread has been running the same one-CPU task since the previous call or
   * longer (the CPU queue asks every STEAL_AFTER_MS while tasks are on the threads).
   */
  private longCall(): boolean {
    const now = performance.now();
    let long = false;
    for (const control of this.running.values()) {
      if (control.busyThread === 0) {
        control.busySince = undefined;
        continue;
      }
      control.busySince ??= now;
      if (now - control.busySince >= STEAL_AFTER_MS) long = true;
    }
    return long;
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

  /** Sends a request to the head and resolves with its reply (matched by reqId). */
  ask(message: Extract<NodeToHead, { reqId: number }>): Promise<HeadToNode> {
    const reqId = this.nextReq++;
    return new Promise((resolve, reject) => {
      if (this.headError) return reject(fromWire(this.headError));
      const request = { ...message, reqId };
      this.pending.set(reqId, { resolve, reject, message: request });
      this.toHead(request);
    });
  }

  /**
   * The connection to the head is gone (a cluster's head died): every object this node is
   * waiting for, and every later task or request, fails with NodeDiedError at once rather
   * than hanging.
   */
  headLost(message: string): void {
    if (this.headError) return;
    this.headError = { code: ErrorCode.NODE_DIED, name: 'NodeDiedError', message };
    for (const id of [...this.subscribed, ...this.watchers.keys()]) this.storeError(id, this.headError, '');
    for (const { reject } of this.pending.values()) reject(fromWire(this.headError));
    this.pending.clear();
  }

  /**
   * The connection to the head is gone, and the head may come back within its grace period
   * (a restart): tasks, actors and objects here go on; what needs the head waits.
   */
  headAway(): void {
    if (this.headError || this.outbox) return;
    this.outbox = [];
  }

  /**
   * Back on a restarted head under the same node id: tell it what this node runs, hosts,
   * holds and waits for, then what was queued while it was away.
   */
  rejoin(channel: Channel<NodeToHead, HeadToNode>): void {
    if (this.headError) return;
    const queued = this.outbox ?? [];
    this.outbox = undefined;
    this.head = channel;
    channel.onMessage((m) => this.handleHead(m));
    const runningTaskIds = [...this.running.keys()];
    for (const actor of this.actors.values()) runningTaskIds.push(...actor.taskIds());
    this.head.send({
      type: 'registerNode',
      nodeId: this.nodeId,
      address: this.options.address,
      resources: this.options.resources,
      rejoin: true,
      runningTaskIds,
      actorIds: [...this.actors.keys()],
    });
    for (const [hash, fn] of this.functions) this.head.send({ type: 'registerFunction', hash, ...fn });
    for (const o of this.store.summaries()) {
      const inline = o.value && o.value.buffers.length === 0 && o.value.size <= INLINE_RESULT_BYTES;
      this.head.send({
        type: 'objectAdded',
        nodeId: this.nodeId,
        id: o.id,
        ownerId: '',
        size: o.size,
        refs: o.refs,
        inlineValue: inline ? o.value : undefined,
      });
    }
    for (const m of this.book.report(this.nodeId, (id) => this.store.has(id))) this.head.send(m);
    for (const taskId of this.blockedTasks)
      if (this.running.has(taskId)) this.head.send({ type: 'taskBlocked', nodeId: this.nodeId, taskId });
    const waiting = [...this.subscribed, ...this.watchers.keys()].filter((id) => !this.store.has(id));
    if (waiting.length > 0) this.head.send({ type: 'subscribe', nodeId: this.nodeId, ids: waiting });
    // Requests sent to the old head just before it died got no answer: ask the new one.
    const inOutbox = new Set(queued.map((m) => ('reqId' in m ? m.reqId : -1)));
    for (const [reqId, p] of this.pending) if (!inOutbox.has(reqId)) this.head.send(p.message);
    for (const m of queued) this.head.send(m);
    this.flushStats();
  }

  /** What this node runs, hosts and holds, for the log. */
  describeWork(): string {
    let objects = 0;
    for (const _ of this.store.summaries()) objects++;
    return `${this.running.size} task(s), ${this.actors.size} actor(s) and ${objects} object(s)`;
  }

  private withoutHead(message: NodeToHead, error: WireError): void {
    if (message.type === 'submit') for (const id of message.task.returnIds) this.storeError(id, error, '');
    else if (message.type === 'subscribe') for (const id of message.ids) this.storeError(id, error, '');
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
        const resolve = this.pending.get(m.reqId)?.resolve;
        this.pending.delete(m.reqId);
        resolve?.(m);
        return;
      }
      case 'executeTask':
        return this.execute(m.task);
      case 'objectReady':
        this.notifyWatchers(m.id);
        // Objects made on this node are in the store before the head hears of them; a small
        // one comes with the message; one held only by other nodes is pulled from one of
        // them and kept here, unless it was only watched.
        if (m.inlineValue) {
          // The head counts this node as a holder already (it frees the copy with the rest).
          if (!this.store.has(m.id)) this.store.putValue(m.id, m.inlineValue);
          this.book.resultHere(m.id);
          this.markStats();
          return;
        }
        if (!this.subscribed.has(m.id)) return;
        return this.pull(m.id, m.addresses);
      case 'storeError':
        for (const id of m.ids) this.storeError(id, m.error, '');
        return;
      case 'freeObject':
        for (const id of m.ids) {
          this.store.free(id);
          this.subscribed.delete(id);
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
          const error = {
            code: ErrorCode.ACTOR_DIED,
            name: 'ActorDiedError',
            message: `actor ${task.actorId} is not on this node`,
          };
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

  /** Stores an object made here (`ownerId` set) or a copy of one made elsewhere (''). */
  storeValue(id: string, value: SerializedValue, ownerId: string): void {
    const full = this.store.putValue(id, value);
    const inline = ownerId !== '' && !full && value.buffers.length === 0 && value.size <= INLINE_RESULT_BYTES;
    this.toHead({
      type: 'objectAdded',
      nodeId: this.nodeId,
      id,
      ownerId,
      size: value.size,
      refs: full ? [] : value.refs,
      inlineValue: inline ? value : undefined,
    });
    this.markStats();
  }

  storeError(id: string, error: WireError, ownerId: string): void {
    if (this.store.has(id)) return;
    this.store.putError(id, { ...error, objectId: id });
    this.toHead({ type: 'objectAdded', nodeId: this.nodeId, id, ownerId, size: 0, refs: [] });
    this.notifyWatchers(id);
  }

  /**
   * Calls back once the object exists somewhere in the cluster (or has failed), without
   * pulling it here: `wait` with `fetchLocal: false`, as in Ray.
   */
  whenExists(id: string, done: () => void): void {
    if (this.store.has(id)) return done();
    const list = this.watchers.get(id);
    if (list) return void list.push(done);
    this.watchers.set(id, [done]);
    this.toHead({ type: 'subscribe', nodeId: this.nodeId, ids: [id] });
  }

  private notifyWatchers(id: string): void {
    const list = this.watchers.get(id);
    if (!list) return;
    this.watchers.delete(id);
    for (const done of list) done();
  }

  isLocal(id: string): boolean {
    return this.store.has(id);
  }

  /** All the objects, if every one is here already. */
  readLocal(ids: string[]): ObjectResult[] | undefined {
    const out: ObjectResult[] = [];
    for (const id of ids) {
      const r = this.store.read(id);
      if (!r) return undefined;
      out.push(r);
    }
    return out;
  }

  /** Calls back once every object is here, with their results in order (no promise per id). */
  whenAll(ids: string[], done: (results: ObjectResult[]) => void): void {
    const results: ObjectResult[] = new Array(ids.length);
    let missing = ids.length;
    ids.forEach((id, i) => {
      const here = this.store.read(id);
      if (here) {
        results[i] = here;
        missing--;
        return;
      }
      this.store.onceAdded(id, (r) => {
        results[i] = r;
        if (--missing === 0) done(results);
      });
      if (!this.subscribed.has(id)) {
        this.subscribed.add(id);
        this.subscribeLater(id);
      }
    });
    if (missing === 0) done(results);
  }

  resolveObjects(ids: string[]): Promise<ObjectResult[]> {
    return Promise.all(ids.map(async (id) => this.resolveOne(id)));
  }

  private resolveOne(id: string): Promise<ObjectResult> | ObjectResult {
    const here = this.store.read(id);
    if (here) return here;
    return new Promise((resolve) => {
      this.store.onceAdded(id, resolve);
      if (!this.subscribed.has(id)) {
        this.subscribed.add(id);
        this.subscribeLater(id);
      }
    });
  }

  private pull(id: string, addresses: string[]): void {
    if (this.store.has(id)) return;
    if (addresses.length === 0) return this.resubscribe(id);
    const lost = (why: string): WireError => ({
      code: ErrorCode.OBJECT_LOST,
      name: 'ObjectLostError',
      message: `object ${id} is on another node and could not be fetched: ${why}`,
      objectId: id,
    });
    const pullRemote = this.options.pullRemote;
    if (!pullRemote) return this.store.putError(id, lost('this node cannot pull objects'));
    const tryFrom = async (): Promise<ObjectResult | undefined> => {
      for (const address of addresses) {
        const r = await pullRemote(address, id).catch(() => undefined);
        if (r) return r;
      }
      return undefined;
    };
    void tryFrom().then((r) => {
      if (this.store.has(id)) return;
      if (!r) {
        // The holder may have just died: ask the head again, which by then either knows a
        // new copy (rebuilt through lineage) or that the object is lost.
        const attempts = (this.pullAttempts.get(id) ?? 0) + 1;
        this.pullAttempts.set(id, attempts);
        if (attempts <= MAX_PULL_ATTEMPTS) return this.resubscribe(id, attempts);
        this.pullAttempts.delete(id);
        return this.store.putError(id, lost(`no copy at ${addresses.join(', ')}`));
      }
      this.pullAttempts.delete(id);
      if (r.error) return this.store.putError(id, r.error);
      if (r.value) {
        this.bytesPulled += r.value.size;
        this.storeValue(id, r.value, '');
      }
    });
  }

  private toSubscribe: string[] | undefined;

  /** Subscriptions go to the head as one message per turn. */
  private subscribeLater(id: string): void {
    if (this.toSubscribe) return void this.toSubscribe.push(id);
    this.toSubscribe = [id];
    queueMicrotask(() => {
      const ids = this.toSubscribe ?? [];
      this.toSubscribe = undefined;
      this.toHead({ type: 'subscribe', nodeId: this.nodeId, ids });
    });
  }

  /** Subscribes to `id` again after a failed pull, backing off a little more each time. */
  private resubscribe(id: string, attempts = 1): void {
    const timer = setTimeout(() => {
      if (this.closed || this.store.has(id)) return;
      this.toHead({ type: 'subscribe', nodeId: this.nodeId, ids: [id] });
    }, 100 * attempts);
    timer.unref();
  }

  registerFunction(hash: string, source: string, name: string, runtimeEnv: string): void {
    if (this.functions.has(hash)) return;
    this.functions.set(hash, { source, name, runtimeEnv });
    this.toHead({ type: 'registerFunction', hash, source, name, runtimeEnv });
  }

  async getFunction(hash: string): Promise<{ source: string; name: string; runtimeEnv: string }> {
    const here = this.functions.get(hash);
    if (here) return here;
    const reply = await this.ask({ type: 'getFunction', reqId: 0, nodeId: this.nodeId, hash });
    if (reply.type !== 'functionReply' || !reply.found) throw new Error(`function ${hash} is not registered`);
    const fn = { source: reply.source, name: reply.name, runtimeEnv: reply.runtimeEnv };
    this.functions.set(hash, fn);
    return fn;
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

  private markStats(): void {
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
      bytesPulled: this.bytesPulled,
    });
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    this.memoryMonitor?.stop();
    this.runtimeEnvs.close();
    this.cpuQueue.stop();
    await Promise.all([...this.actors.values()].map((a) => a.destroy()));
    await this.pools.destroy();
    for (const s of this.sessions) s.channel.close();
    this.store.clear();
  }
}
