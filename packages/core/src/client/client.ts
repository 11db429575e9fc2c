import { createHash, randomBytes } from 'node:crypto';
import { GetTimeoutError, ObjectLostError } from '../errors/errors.js';
import { fromWire } from '../errors/wire.js';
import { ObjectRef } from '../protocol/object-ref.js';
import type { Channel } from '../protocol/channel.js';
import type { ClientToNode, NodeToClient, SerializedValue, TaskSpec } from '../protocol/messages.js';
import { deserialize, serialize, type Revivers } from '../serialization/values.js';
import { makeActorHandle } from './actor-factory.js';

export interface ClientOptions {
  isDriver: boolean;
  /**
   * The node is in this process and its channel passes objects as they are (a driver's):
   * specs may share a template (protocol/task-spec.ts). A worker thread's goes through a
   * MessagePort.
   */
  inProcessNode?: boolean;
  threadId: number;
  /** The task this thread is running now (worker threads), for CPU lending while blocked. */
  currentTaskId?: () => string;
  /** Called before this thread's task waits in get/wait (worker threads lend their slot). */
  onWait?: () => void;
  /** The runtime environment of the task this thread runs now (worker threads). */
  currentRuntimeEnv?: () => string;
}

type Request = Extract<ClientToNode, { reqId: number }>;

/**
 * A process's or thread's connection to its node: what the public API calls. It also
 * counts the live ObjectRefs of this thread (FinalizationRegistry) and tells the node
 * when the first one appears and the last one is collected.
 */
export class CoreClient {
  readonly clientId: string;
  /** See ClientOptions.inProcessNode. */
  readonly inProcessNode: boolean;
  private nextId = 0;
  private nextReq = 1;
  private readonly pending = new Map<number, (reply: NodeToClient) => void>();
  private readonly registered = new Set<string>();
  private readonly counts = new Map<string, number>();
  private readonly finalizer = new FinalizationRegistry<string>((id) => this.dropped(id));
  /** ObjectRef objects of ids freed with `free()` that are not collected yet, by id. */
  private readonly stale = new Map<string, number>();
  /** Ids this thread freed with `free()` (and did not see again since), for a clear error. */
  private readonly freedIds = new Set<string>();
  private adds: string[] | undefined;
  /** Something went to the node since the last flush (a worker flushes before returning). */
  dirty = false;
  private removes: string[] | undefined;
  readonly revivers: Revivers = {
    ref: (id, ownerId) => this.makeRef(id, ownerId),
    actor: (info) => makeActorHandle(info),
  };

  constructor(
    private readonly channel: Channel<ClientToNode, NodeToClient>,
    private readonly options: ClientOptions,
  ) {
    this.inProcessNode = options.inProcessNode === true;
    // The head tells drivers from worker threads by the first letter (head/object-directory.ts).
    // 32 random bits in base 36 (7 characters, not 8 in hex): a million task ids of 16
    // characters take 32 bytes each, of 17 they take 40.
    const tag = randomBytes(4).readUInt32LE().toString(36);
    this.clientId = `${options.isDriver ? 'd' : 'w'}${options.threadId}-${tag}`;
    channel.onMessage((m) => this.handle(m));
    channel.send({
      type: 'hello',
      clientId: this.clientId,
      isDriver: options.isDriver,
      threadId: options.threadId,
    });
  }

  private handle(m: NodeToClient): void {
    if (m.type === 'log') return writeLog(m.stream, m.prefix, m.text);
    const resolve = this.pending.get(m.reqId);
    if (resolve) {
      this.pending.delete(m.reqId);
      resolve(m);
    }
  }

  newId(kind: string): string {
    return flat(this.clientId, '.', kind, (this.nextId++).toString(36));
  }

  private taskId(): string {
    return this.options.currentTaskId?.() ?? '';
  }

  /** A new ObjectRef of this thread; the node hears when this thread first holds `id`. */
  makeRef<T>(id: string, ownerId: string): ObjectRef<T> {
    const ref = new ObjectRef<T>(id, ownerId);
    this.freedIds.delete(id);
    const n = this.counts.get(id) ?? 0;
    this.counts.set(id, n + 1);
    if (n === 0) this.queueRef('adds', id);
    this.finalizer.register(ref, id);
    return ref;
  }

  private dropped(id: string): void {
    const stale = this.stale.get(id);
    if (stale !== undefined) {
      // An ObjectRef of an id freed before: free() already told the node.
      if (stale > 1) this.stale.set(id, stale - 1);
      else this.stale.delete(id);
      return;
    }
    const n = (this.counts.get(id) ?? 1) - 1;
    if (n > 0) return void this.counts.set(id, n);
    this.counts.delete(id);
    this.queueRef('removes', id);
  }

  /**
   * This thread lets go of `id` now, whatever refs to it are still reachable (the driver's
   * packed working dir at shutdown, so that the nodes' copies go with the job).
   */
  release(id: string): void {
    if (!this.counts.delete(id)) return;
    this.queueRef('removes', id);
  }

  /** Reference changes go out once per turn of the event loop, as one message each way. */
  private queueRef(which: 'adds' | 'removes', id: string): void {
    const list = this[which];
    if (list) return void list.push(id);
    this[which] = [id];
    this.dirty = true;
    queueMicrotask(() => {
      const ids = this[which] ?? [];
      this[which] = undefined;
      if (ids.length === 0) return;
      this.channel.send({ type: which === 'adds' ? 'addRef' : 'removeRef', ids });
    });
  }

  /**
   * The job's runtime environment (runtime-env/descriptor.ts, JSON) that functions registered
   * from here run in: set by `init` on the driver; in a worker thread, that of its task.
   */
  runtimeEnv = '';
  private readonly envHashes = new Map<string, string>();

  /**
   * Registers a function's source once and returns the hash its tasks name: with a runtime
   * environment, the same source in two jobs is two functions (each runs in its own copy).
   */
  registerFunction(hash: string, source: string, name: string): string {
    const runtimeEnv = this.options.currentRuntimeEnv?.() || this.runtimeEnv;
    let key = hash;
    if (runtimeEnv) {
      const both = `${hash}\0${runtimeEnv}`;
      key = this.envHashes.get(both) ?? createHash('sha1').update(both).digest('hex');
      this.envHashes.set(both, key);
    }
    if (this.registered.has(key)) return key;
    this.registered.add(key);
    this.channel.send({ type: 'registerFunction', hash: key, source, name, runtimeEnv });
    return key;
  }

  submit(task: TaskSpec): void {
    this.dirty = true;
    this.channel.send({ type: 'submit', task });
  }

  put<T>(value: T): ObjectRef<T> {
    const serialized = serialize(value, 'the value given to put()', 'value');
    const id = this.newId('p');
    const ref = this.makeRef<T>(id, this.clientId);
    this.dirty = true;
    this.channel.send({ type: 'put', id, value: serialized });
    return ref;
  }

  /**
   * Drops this thread's hold on the objects now, not when their ObjectRefs are collected,
   * and resolves once the head has decided: objects nothing else needs are then gone from
   * this node's store (their memory back in its pool).
   */
  async free(refs: readonly ObjectRef[]): Promise<void> {
    const ids: string[] = [];
    for (const ref of refs) {
      const n = this.counts.get(ref.id);
      if (n === undefined) continue;
      this.counts.delete(ref.id);
      this.stale.set(ref.id, (this.stale.get(ref.id) ?? 0) + n);
      this.freedIds.add(ref.id);
      ids.push(ref.id);
    }
    if (ids.length === 0) return;
    // An addRef still queued for this turn must reach the head before the removeRef.
    if (this.adds) {
      this.channel.send({ type: 'addRef', ids: this.adds });
      this.adds = undefined;
    }
    this.channel.send({ type: 'removeRef', ids });
    // The head answers after it handled the removeRef, and its freeObject to this node
    // travels ahead of the answer: once it arrives, the store has freed what it could.
    await this.request({ type: 'clusterInfo', reqId: 0 });
    // End this turn of the event loop: views that `get` handed out during it stay alive
    // until it ends (WeakRef semantics), and the next put could not reuse their memory.
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** True if `id` was freed with `free()` by this thread. */
  wasFreed(id: string): boolean {
    return this.freedIds.has(id);
  }

  /** Sends a request and resolves with the node's reply; rejects on `timeoutMs`. */
  request(message: Request, timeoutMs = -1, onTimeout?: () => Error): Promise<NodeToClient> {
    const reqId = this.nextReq++;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      this.pending.set(reqId, (reply) => {
        if (timer) clearTimeout(timer);
        if (reply.type === 'requestFailed') reject(fromWire(reply.error));
        else resolve(reply);
      });
      if (timeoutMs >= 0 && onTimeout) {
        timer = setTimeout(() => {
          this.pending.delete(reqId);
          this.channel.send({ type: 'cancelRequest', reqId });
          reject(onTimeout());
        }, timeoutMs);
      }
      this.channel.send({ ...message, reqId });
    });
  }

  async get(refs: readonly ObjectRef[], timeoutMs: number, site: Error): Promise<unknown[]> {
    const ids = refs.map((r) => r.id);
    for (const id of ids) {
      if (!this.freedIds.has(id)) continue;
      throw new ObjectLostError(
        `get() of ObjectRef(${id}), which this program freed with free(): ` +
          'free an object only once you no longer need its value',
        { objectId: id },
      );
    }
    this.options.onWait?.();
    const reply = await this.request(
      { type: 'get', reqId: 0, ids, taskId: this.taskId() },
      timeoutMs,
      () => new GetTimeoutError(`get() timed out after ${timeoutMs} ms waiting for ${ids.length} object(s)`),
    );
    if (reply.type !== 'getReply') throw new Error(`unexpected reply ${reply.type}`);
    return reply.results.map((r) => {
      if (r.error) throw fromWire(r.error, callerStack(site));
      return this.decode(r.value as SerializedValue);
    });
  }

  decode(value: SerializedValue): unknown {
    return deserialize(value, this.revivers);
  }

  async wait(
    ids: string[],
    numReturns: number,
    timeoutMs: number,
    fetchLocal: boolean,
  ): Promise<Set<string>> {
    this.options.onWait?.();
    const reply = await this.request({
      type: 'wait',
      reqId: 0,
      ids,
      numReturns,
      timeoutMs,
      fetchLocal,
      taskId: this.taskId(),
    });
    if (reply.type !== 'waitReply') throw new Error(`unexpected reply ${reply.type}`);
    return new Set(reply.readyIds);
  }

  send(message: Exclude<ClientToNode, { reqId: number }>): void {
    this.channel.send(message);
  }

  /** Resolves once the node has seen everything sent before (refs, puts, submits). */
  async flush(): Promise<void> {
    this.dirty = false;
    await this.request({ type: 'flush', reqId: 0 });
  }

  close(): void {
    this.channel.close();
  }
}

/**
 * The pieces joined into one flat string: `a + b` makes a tree of pieces in V8 (about 100
 * bytes more for an id), and ids live as long as their task or object; `join` makes one.
 */
export function flat(...pieces: string[]): string {
  return pieces.join('');
}

function callerStack(site: Error): string {
  return (site.stack ?? '').split('\n').slice(1).join('\n');
}

function writeLog(stream: 'stdout' | 'stderr', prefix: string, text: string): void {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const out = body
    .split('\n')
    .map((line) => `${prefix} ${line}\n`)
    .join('');
  (stream === 'stderr' ? process.stderr : process.stdout).write(out);
}
