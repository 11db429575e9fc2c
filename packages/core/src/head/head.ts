import { ErrorCode } from '../errors/codes.js';
import type { WireError } from '../errors/wire.js';
import type { Channel } from '../protocol/channel.js';
import type { HeadToNode, NodeInfo, NodeToHead, SerializedValue, TaskSpec } from '../protocol/messages.js';
import { TaskKind } from '../protocol/messages.js';
import { Scheduler, demandOf } from '../scheduler/scheduler.js';
import { ActorState, ActorTable } from './actor-table.js';
import { ObjectDirectory } from './object-directory.js';
import { nodeInfos, pendingDemands, type NodeRecord, type TaskRecord } from './tables.js';
import type { HeadObserver, HeadView } from './head-view.js';
import { HeadRecovery, type Member } from './head-recovery.js';

export interface HeadOptions {
  /**
   * How long a task that no node can fit waits for one that can to join before it fails
   * (0: fail at once, as in embedded mode where no node can join).
   */
  infeasibleTimeoutMs: number;
  /** Where the head reports connections it closes for misbehaving. */
  log?: (line: string) => void;
  /**
   * This head restarts one that died: the nodes and drivers it had (from its state file)
   * may rejoin under their ids within `graceMs`. Until they all have (or the time is up) the
   * head places nothing and frees nothing; then it reconciles what they reported.
   */
  recovery?: { members: Member[]; graceMs: number };
  /** Called when a node or driver joins or leaves (the head's state file is rewritten). */
  onMembersChanged?: () => void;
}

/**
 * The cluster's tables: nodes and their resources, functions by hash, actors (named ones
 * too), the object directory, and the tasks it has placed. It talks to nodes only
 * through messages, so that nodes can as well be other processes.
 */
export class Head {
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly functions = new Map<string, { source: string; name: string; runtimeEnv: string }>();
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly taskByReturn = new Map<string, string>();
  private readonly scheduler = new Scheduler();
  private readonly actors = new ActorTable();
  /** Creation task of each actor: its resources are held until the actor dies. */
  private readonly actorTasks = new Map<string, string>();
  /** The task that made each live object, to rebuild it if every copy is lost (lineage). */
  private readonly lineage = new Map<string, { task: TaskSpec; fromNode: string }>();
  /** How each actor was created, to create it again if its node dies. */
  private readonly actorSpecs = new Map<string, { task: TaskSpec; fromNode: string }>();
  /** Nodes that died, as they were last seen (for `status`). */
  private readonly deadNodes = new Map<string, NodeInfo>();
  readonly directory: ObjectDirectory;
  /** A placeQueued() is due at the end of this batch (see placeSoon). */
  private placePending = false;
  /** Objects to free on each node, sent at the end of this batch as one message per node. */
  private readonly toFree = new Map<string, string[]>();
  private observer: HeadObserver | undefined;
  /** Recovery after a restart (see HeadOptions.recovery and head-recovery.ts). */
  private readonly recovery: HeadRecovery | undefined;

  constructor(private readonly options: HeadOptions = { infeasibleTimeoutMs: 0 }) {
    this.directory = new ObjectDirectory(
      (id, locations) => {
        this.lineage.delete(id);
        for (const nodeId of locations) this.freeSoon(nodeId, id);
      },
      (id, subscribers, locations, inlineValue) => this.sendReady(subscribers, id, locations, inlineValue),
    );
    if (options.recovery && options.recovery.members.length > 0) {
      this.recovery = new HeadRecovery(
        options.recovery.members,
        options.recovery.graceMs,
        () => this.afterNodesBack(),
        () => this.afterRecovery(),
      );
      this.directory.pauseFrees();
    }
  }

  /** Whether `nodeId` may come back under its id (a node of the head this one restarts). */
  mayRejoin(nodeId: string): boolean {
    return this.recovery?.expects(nodeId) ?? false;
  }

  /** The nodes and drivers connected now (what a restarted head lets rejoin). */
  members(): Member[] {
    return [...this.nodes].map(([nodeId, n]) => ({ nodeId, isDriver: n.isDriver }));
  }

  /** Every worker node that came back has reported: what they run and hold is known. */
  private afterNodesBack(): void {
    for (const record of [...this.tasks.values()]) this.adoptIfKnown(record);
    this.retryInfeasible(); // held quietly while no node was back (holdInfeasible)
    this.placeQueued();
  }

  /**
   * A task a member submits again to a restarted head: if its results exist, it ended while
   * the head was away (done); if a node said it runs it (or hosts the actor it creates), it
   * runs there. Returns whether it was one of those.
   */
  private adoptIfKnown(record: TaskRecord): boolean {
    const recovery = this.recovery;
    if (!recovery || record.state === 'running') return false;
    const { task } = record;
    if (task.kind === TaskKind.actorCreate) {
      const nodeId = recovery.actors.get(task.actorId);
      const actor = this.actors.get(task.actorId);
      if (nodeId === undefined || !this.nodes.has(nodeId) || !actor) return false;
      recovery.actors.delete(task.actorId);
      this.scheduler.dequeue(task.taskId);
      this.scheduler.adopt(task, nodeId);
      actor.state = ActorState.alive;
      actor.nodeId = nodeId;
      if (recovery.tasks.delete(task.taskId)) {
        record.state = 'running';
        record.nodeId = nodeId;
      } else this.forget(record); // created already; its resources stay held while it lives
      for (const call of actor.waiting.splice(0)) {
        const r = this.tasks.get(call.task.taskId);
        if (!r || !this.adoptIfKnown(r)) this.dispatch(call.task, nodeId);
      }
      return true;
    }
    if (task.returnIds.length > 0 && task.returnIds.every((id) => this.directory.isReady(id))) {
      // It ended while the head was away: the node that has its results reported them.
      recovery.tasks.delete(task.taskId);
      this.scheduler.dequeue(task.taskId);
      if (task.kind === TaskKind.actorCall) this.unwait(task);
      else for (const id of task.returnIds) this.lineage.set(id, { task, fromNode: record.fromNode });
      this.forget(record);
      return true;
    }
    const nodeId = recovery.tasks.get(task.taskId);
    if (nodeId === undefined || !this.nodes.has(nodeId)) return false;
    recovery.tasks.delete(task.taskId);
    if (task.kind === TaskKind.task) {
      this.scheduler.dequeue(task.taskId);
      this.scheduler.adopt(task, nodeId);
      // It waits in get (for a child, say): its CPU is lent, or the child could never run.
      if (recovery.blocked.delete(task.taskId)) this.scheduler.block(task.taskId);
    } else this.unwait(task);
    record.state = 'running';
    record.nodeId = nodeId;
    return true;
  }

  /** Every member is back, or the grace period is over: drop what nobody came back for. */
  private afterRecovery(): void {
    const recovery = this.recovery;
    if (!recovery) return;
    this.options.log?.(recovery.summary());
    for (const [actorId, nodeId] of recovery.actors)
      this.send(nodeId, { type: 'killActor', actorId, noRestart: true });
    for (const [taskId, nodeId] of recovery.tasks)
      this.send(nodeId, { type: 'cancelTask', taskId, force: true });
    recovery.actors.clear();
    recovery.tasks.clear();
    this.directory.resumeFrees();
    for (const answer of recovery.deferred.splice(0)) answer();
    this.placeQueued();
  }

  /** Takes an actor call out of its actor's waiting list. */
  private unwait(task: TaskSpec): void {
    const actor = this.actors.get(task.actorId);
    if (actor) actor.waiting = actor.waiting.filter((w) => w.task.taskId !== task.taskId);
  }

  /** Accepts a node's channel; the node introduces itself with `registerNode`. */
  connect(
    channel: Channel<HeadToNode, NodeToHead>,
    options: { runsTasks?: boolean; nodeId?: string; peer?: string } = {},
  ): void {
    // A driver's own node holds its objects but never runs tasks or actors.
    const runsTasks = options.runsTasks ?? true;
    let registered: string | undefined;
    const refuse = (why: string) => {
      this.options.log?.(`closing connection from ${options.peer ?? 'a node'}: ${why}`);
      channel.close();
    };
    channel.onMessage((message) => {
      // Out-of-order or forged messages close the connection; the rest of the cluster goes on.
      if (registered === undefined) {
        if (message.type !== 'registerNode') return refuse(`'${message.type}' before registerNode`);
        if (options.nodeId !== undefined && message.nodeId !== options.nodeId) {
          return refuse(`registerNode for ${message.nodeId}, but the handshake said ${options.nodeId}`);
        }
        if (this.nodes.has(message.nodeId)) return refuse(`node ${message.nodeId} is registered already`);
        if (message.rejoin && !this.mayRejoin(message.nodeId))
          return refuse(`node ${message.nodeId} asks to rejoin, but this head does not expect it`);
        registered = message.nodeId;
      } else if (!this.nodes.has(registered)) {
        // Declared dead (its connection closed or its heartbeats stopped): its tasks run
        // elsewhere now, so nothing it sends late may count (a second result, a taskFinished).
        return;
      } else if (message.type === 'registerNode') {
        return refuse('a second registerNode');
      } else if ('nodeId' in message && message.nodeId !== registered) {
        return refuse(`'${message.type}' on behalf of another node (${message.nodeId})`);
      }
      this.handle(channel, message, runsTasks, registered);
      if (message.type === 'registerNode' && message.rejoin) this.recovery?.rejoined(message);
      this.observer?.message(registered, message);
    });
  }

  /** Lets one observer (the dashboard) see each message handled and each task that ends. */
  observe(observer: HeadObserver | undefined): void {
    this.observer = observer;
  }

  /** A cancel() or kill() from a driver, or from the dashboard's buttons. */
  request(m: Extract<NodeToHead, { type: 'cancel' | 'killActor' }>): void {
    if (m.type === 'cancel') return this.cancel(m.id, m.force);
    const actor = this.actors.get(m.actorId);
    if (actor?.nodeId)
      this.send(actor.nodeId, { type: 'killActor', actorId: m.actorId, noRestart: m.noRestart });
  }

  /** The tables as they are now, read-only (for the dashboard). */
  view(): HeadView {
    const { nodes, deadNodes, tasks, actors, actorSpecs, directory, scheduler } = this;
    return { nodes, deadNodes, tasks, actors, actorSpecs, directory, scheduler };
  }

  private freeSoon(nodeId: string, id: string): void {
    if (this.toFree.size === 0) queueMicrotask(this.sendFrees);
    const ids = this.toFree.get(nodeId);
    if (ids) ids.push(id);
    else this.toFree.set(nodeId, [id]);
  }

  private readonly sendFrees = (): void => {
    for (const [nodeId, ids] of this.toFree) this.send(nodeId, { type: 'freeObject', ids });
    this.toFree.clear();
  };

  /** Tells each node that the object exists, where, and (if small) what it is. */
  private sendReady(
    nodeIds: string[],
    id: string,
    locations: string[],
    inlineValue: SerializedValue | undefined,
  ): void {
    // A node given the value pulls nothing: where the copies are would be wasted bytes.
    const where = inlineValue ? [] : locations;
    const addresses = this.addressesOf(where);
    for (const nodeId of nodeIds) {
      this.send(nodeId, { type: 'objectReady', id, locations: where, addresses, inlineValue });
      // The node stores an inline value without telling us (one message less per task).
      if (inlineValue) this.directory.copiedTo(id, nodeId);
    }
  }

  private addressesOf(nodeIds: string[]): string[] {
    return nodeIds.map((n) => this.nodes.get(n)?.address ?? '');
  }

  /**
   * A node is gone (its connection closed or stopped answering). Ray's rules:
   * - tasks running there are retried elsewhere while `maxRetries` allows, else fail with
   *   NodeDiedError; actor calls running there fail with ActorDiedError unless
   *   `maxTaskRetries` allows a retry on the restarted actor;
   * - its actors restart on another node while `maxRestarts` allows, else die;
   * - what it owned shares its fate: tasks it submitted are dropped, actors it created killed
   *   (this is how a driver that disconnects is cleaned up);
   * - objects whose only copy was there are rebuilt by re-running the task that made them
   *   (lineage); an object made by `put` there is lost (ObjectLostError).
   */
  nodeLost(nodeId: string): void {
    const node = this.nodes.get(nodeId);
    if (!node) return;
    const info = nodeInfos(this.nodes, this.tasks.values(), this.scheduler).find((n) => n.nodeId === nodeId);
    // A driver leaving is normal; a node leaving is worth showing in `status`.
    if (info && !info.isDriver) this.deadNodes.set(nodeId, { ...info, alive: false, runningTasks: 0 });
    this.nodes.delete(nodeId);
    this.scheduler.removeNode(nodeId);
    this.options.onMembersChanged?.();
    const died = wire(ErrorCode.NODE_DIED, 'NodeDiedError', `node ${nodeId} (${node.address}) died`);
    const actorDied = (actorId: string): WireError => ({
      ...died,
      code: ErrorCode.ACTOR_DIED,
      name: 'ActorDiedError',
      message: `actor ${actorId} died with its node ${nodeId} (${node.address})`,
      nodeId,
      actorId,
    });
    for (const record of [...this.tasks.values()]) {
      if (record.nodeId === nodeId && record.state === 'running') this.rescue(record, died, actorDied);
    }
    for (const actorId of this.actors.onNode(nodeId)) this.restartOrBury(actorId, actorDied(actorId));
    for (const [actorId, spec] of [...this.actorSpecs])
      if (spec.fromNode === nodeId) this.killOrphanActor(actorId);
    const orphanTasks = [...this.tasks.values()].filter(
      (record) => record.fromNode === nodeId && this.tasks.get(record.task.taskId) === record,
    );
    this.scheduler.dequeueAll(
      new Set(
        orphanTasks
          .filter((r) => !(r.state === 'running' && r.nodeId !== undefined))
          .filter((r) => r.task.kind !== TaskKind.actorCreate)
          .map((r) => r.task.taskId),
      ),
    );
    for (const record of orphanTasks)
      if (this.tasks.get(record.task.taskId) === record) this.dropOrphan(record);
    this.directory.holdersLost(nodeId);
    const orphans = this.directory.nodeLost(nodeId);
    for (const id of orphans) this.rebuildOrLose(id, nodeId);
    const rebuilding = new Set(orphans.filter((id) => !this.directory.isReady(id)));
    if (rebuilding.size > 0) this.waitForRebuilt(rebuilding);
    this.placeQueued();
    this.observer?.nodeLost(nodeId);
  }

  /**
   * Objects being rebuilt are not ready again until their task reruns. Tasks that take them
   * must not hold a CPU meanwhile, or with few CPUs left the rebuild never gets one (Ray,
   * too, resolves arguments before a task gets a worker): queued ones go back to waiting
   * for their arguments, and running ones, which are still fetching them on their node,
   * lend their CPUs as a task blocked in `get` does.
   */
  private waitForRebuilt(ids: Set<string>): void {
    for (const record of [...this.tasks.values()]) {
      if (!record.task.refArgIds.some((id) => ids.has(id))) continue;
      if (record.state === 'queued' && this.scheduler.dequeue(record.task.taskId)) {
        record.state = 'waiting';
        this.admit(record);
      } else if (record.state === 'running') this.scheduler.block(record.task.taskId);
    }
  }

  /** A task was running on a node that died: retry it if it may be, else fail it. */
  private rescue(record: TaskRecord, died: WireError, actorDied: (actorId: string) => WireError): void {
    const { task } = record;
    if (task.kind === TaskKind.task) {
      this.scheduler.finish(task.taskId);
      if (task.maxRetries !== 0) {
        record.task = { ...task, maxRetries: task.maxRetries - 1 };
        record.state = 'queued';
        delete record.nodeId;
        this.scheduler.enqueue(record.task);
      } else this.fail(task.taskId, { ...died, nodeId: record.nodeId ?? '' });
    } else if (task.kind === TaskKind.actorCall) {
      const actor = this.actors.get(task.actorId);
      if (task.maxTaskRetries !== 0 && actor && actor.info && this.restartsLeft(task.actorId)) {
        record.task = { ...task, maxTaskRetries: task.maxTaskRetries - 1 };
        record.state = 'waiting';
        delete record.nodeId;
        actor.waiting.push({ task: record.task, fromNode: record.fromNode });
      } else this.fail(task.taskId, actorDied(task.actorId));
    }
  }

  private restartsLeft(actorId: string): boolean {
    return (this.actorSpecs.get(actorId)?.task.maxRestarts ?? 0) !== 0;
  }

  /** An actor's node died: create it again elsewhere (constructor re-run) or mark it dead. */
  private restartOrBury(actorId: string, error: WireError): void {
    const actor = this.actors.get(actorId);
    const spec = this.actorSpecs.get(actorId);
    if (!actor || !spec) return;
    const createId = this.actorTasks.get(actorId);
    if (createId !== undefined) this.scheduler.finish(createId);
    if (spec.task.maxRestarts === 0) {
      this.actors.died(actorId, error);
      this.actorTasks.delete(actorId);
      this.actorSpecs.delete(actorId);
      for (const call of actor.waiting.splice(0)) this.fail(call.task.taskId, error);
      return;
    }
    const task: TaskSpec = { ...spec.task, maxRestarts: spec.task.maxRestarts - 1 };
    this.actorSpecs.set(actorId, { task, fromNode: spec.fromNode });
    actor.state = ActorState.pending;
    delete actor.nodeId;
    const record: TaskRecord = { task, fromNode: spec.fromNode, state: 'queued' };
    this.tasks.set(task.taskId, record);
    this.actorTasks.set(actorId, task.taskId);
    this.scheduler.enqueue(task);
  }

  /**
   * The node that submitted a task (its owner) is gone: nobody will read the result. Queued
   * orphans are already out of the scheduler's queue (`dequeueAll`, in one pass).
   */
  private dropOrphan(record: TaskRecord): void {
    const { task } = record;
    if (task.kind === TaskKind.actorCreate) return; // handled with the actor, killOrphanActor
    if (record.state === 'running' && record.nodeId !== undefined) {
      this.send(record.nodeId, { type: 'cancelTask', taskId: task.taskId, force: true });
      if (task.kind === TaskKind.task) this.scheduler.finish(task.taskId);
    }
    this.forget(record);
  }

  /** The node that created an actor is gone (a driver that left, say): the actor goes too. */
  private killOrphanActor(actorId: string): void {
    const actor = this.actors.get(actorId);
    if (actor?.nodeId !== undefined) this.send(actor.nodeId, { type: 'killActor', actorId, noRestart: true });
    const error = wire(ErrorCode.ACTOR_DIED, 'ActorDiedError', `the owner of actor ${actorId} is gone`);
    this.actors.died(actorId, error);
    const createId = this.actorTasks.get(actorId);
    if (createId !== undefined) {
      this.scheduler.finish(createId);
      this.scheduler.dequeue(createId);
      const record = this.tasks.get(createId);
      if (record) this.forget(record);
    }
    this.actorTasks.delete(actorId);
    this.actorSpecs.delete(actorId);
  }

  /** Every copy of `id` is gone: re-run the task that made it, or record it as lost. */
  private rebuildOrLose(id: string, deadNode: string): void {
    const made = this.lineage.get(id);
    if (!made) {
      this.directory.lost(id, {
        code: ErrorCode.OBJECT_LOST,
        name: 'ObjectLostError',
        message: `object ${id} was stored only on node ${deadNode}, which died, and cannot be rebuilt (it was made by put, not by a task)`,
        objectId: id,
      });
      return;
    }
    if (this.tasks.has(made.task.taskId)) return; // being rebuilt already (another of its returns)
    for (const returnId of made.task.returnIds) this.directory.unready(returnId);
    const fromNode = this.nodes.has(made.fromNode)
      ? made.fromNode
      : (this.nodes.keys().next().value ?? made.fromNode);
    this.submit(fromNode, made.task);
  }

  private send(nodeId: string, message: HeadToNode): void {
    this.nodes.get(nodeId)?.channel.send(message);
  }

  private handle(
    channel: Channel<HeadToNode, NodeToHead>,
    m: NodeToHead,
    runsTasks: boolean,
    /** The node the message came through. */
    from: string,
  ): void {
    switch (m.type) {
      case 'registerNode':
        this.nodes.set(m.nodeId, {
          channel,
          isDriver: !runsTasks,
          address: m.address,
          resources: m.resources,
          objectStoreUsed: 0,
          bytesPulled: 0,
        });
        if (runsTasks) this.scheduler.addNode(m.nodeId, m.resources);
        this.options.onMembersChanged?.();
        this.retryInfeasible();
        this.placeQueued(); // a new node may fit queued work
        return;
      case 'registerFunction':
        this.functions.set(m.hash, { source: m.source, name: m.name, runtimeEnv: m.runtimeEnv });
        return;
      case 'getFunction': {
        const fn = this.functions.get(m.hash);
        // Its driver may not have reported it yet: answer once every node has.
        if (!fn && this.recovery?.defer(() => this.handle(channel, m, runsTasks, from))) return;
        this.send(m.nodeId, {
          type: 'functionReply',
          reqId: m.reqId,
          found: fn !== undefined,
          source: fn?.source ?? '',
          name: fn?.name ?? '',
          runtimeEnv: fn?.runtimeEnv ?? '',
        });
        return;
      }
      case 'submit':
        return this.submit(m.nodeId, m.task);
      case 'objectAdded':
        return this.directory.added(m.nodeId, m.id, m.ownerId, m.refs, m.inlineValue, m.size);
      case 'subscribe':
        for (const id of this.directory.subscribe(m.nodeId, m.ids)) {
          const lost = this.directory.lostError(id);
          if (lost) {
            this.send(m.nodeId, { type: 'storeError', ids: [id], error: lost });
            continue;
          }
          this.sendReady([m.nodeId], id, this.directory.locations(id), this.directory.inlineValue(id));
        }
        return;
      case 'addRef':
        return this.directory.addRef(m.holderId, m.ids, from);
      case 'removeRef':
        return this.directory.removeRef(m.holderId, m.ids);
      case 'holderGone':
        return this.directory.holderGone(m.holderId);
      case 'taskFinished': {
        const failed = new Set(m.failedIds);
        for (let i = 0; i < m.taskIds.length; i++) {
          const taskId = m.taskIds[i]!;
          this.finished(taskId, m.runMs[i] ?? 0, !failed.has(taskId));
        }
        return;
      }
      case 'taskBlocked':
        if (this.recovery && !this.recovery.over) this.recovery.blocked.add(m.taskId);
        this.scheduler.block(m.taskId);
        return this.placeQueued();
      case 'taskUnblocked':
        this.recovery?.blocked.delete(m.taskId);
        return this.scheduler.unblock(m.taskId);
      case 'tasksReturned':
        return this.tasksReturned(m.nodeId, m.taskIds);
      case 'cancel':
      case 'killActor':
        return this.request(m);
      case 'actorDied': {
        this.actors.died(m.actorId, m.error);
        const createTask = this.actorTasks.get(m.actorId);
        this.actorTasks.delete(m.actorId);
        this.actorSpecs.delete(m.actorId);
        if (createTask !== undefined) this.scheduler.finish(createTask);
        return this.placeQueued();
      }
      case 'getActor': {
        if (this.recovery?.defer(() => this.handle(channel, m, runsTasks, from))) return;
        const actor = this.actors.named(m.name);
        this.send(m.nodeId, {
          type: 'actorReply',
          reqId: m.reqId,
          found: actor !== undefined,
          actor: actor?.info ?? { actorId: '', name: '', className: '', methodNames: [] },
        });
        return;
      }
      case 'clusterInfo':
        return this.send(m.nodeId, {
          type: 'clusterInfoReply',
          reqId: m.reqId,
          nodes: [...nodeInfos(this.nodes, this.tasks.values(), this.scheduler), ...this.deadNodes.values()],
          ...pendingDemands(this.tasks.values()),
        });
      case 'nodeStats': {
        const node = this.nodes.get(m.nodeId);
        if (node) {
          node.objectStoreUsed = m.objectStoreUsed;
          node.bytesPulled = m.bytesPulled;
        }
        return;
      }
      case 'log':
        for (const node of this.nodes.values()) node.channel.send(m);
        return;
      case 'experimentReport':
        return; // for the observer (the dashboard) only
    }
  }

  private submit(fromNode: string, task: TaskSpec): void {
    if (this.tasks.has(task.taskId)) return; // a restarted head may hear of a task twice
    this.directory.pin(task.refArgIds);
    this.directory.pin(task.args.refs);
    const record: TaskRecord = { task, fromNode, state: 'waiting' };
    this.tasks.set(task.taskId, record);
    for (const id of task.returnIds) this.taskByReturn.set(id, task.taskId);
    if (task.kind === TaskKind.actorCreate && !this.registerActor(task, fromNode)) return;
    // A restarted head whose nodes have reported: a task submitted again may be done or running.
    if (this.recovery?.nodesBack && !this.recovery.over && this.adoptIfKnown(record)) return;
    if (task.kind === TaskKind.actorCall) return this.routeCall(task, fromNode);
    this.admit(record);
  }

  /** Records a new actor; false (and the creation failed) when its name is taken. */
  private registerActor(task: TaskSpec, fromNode: string): boolean {
    this.actorTasks.set(task.actorId, task.taskId);
    this.actorSpecs.set(task.actorId, { task, fromNode });
    const info = {
      actorId: task.actorId,
      name: task.actorName,
      className: task.name,
      methodNames: task.methodNames,
    };
    if (this.actors.add(info)) return true;
    const error = wire(
      ErrorCode.ACTOR_DIED,
      'ActorDiedError',
      `an actor named "${task.actorName}" already exists`,
    );
    this.actors.add({ ...info, name: '' });
    this.actors.died(task.actorId, error);
    this.fail(task.taskId, error);
    return false;
  }

  /** Queues a task once its ref arguments are ready, or holds it if no node can fit it. */
  private admit(record: TaskRecord): void {
    const { task } = record;
    if (!this.scheduler.feasible(task)) return this.holdInfeasible(record);
    // Wait for the top-level ref arguments before taking any resources.
    this.directory.whenReady(task.refArgIds, () => {
      // Cancelled meanwhile, or found running on a node that rejoined a restarted head.
      if (this.tasks.get(task.taskId) !== record || record.state !== 'waiting') return;
      record.state = 'queued';
      this.scheduler.enqueue(task);
      this.placeSoon();
    });
  }

  /**
   * Places queued tasks once the rest of this batch is handled. A task result arrives as
   * `objectAdded` followed by `taskFinished` in the same batch: a task waiting for that
   * result becomes ready between the two, while its maker still holds its CPU, and placing
   * it at once would send it away from the node that holds its argument (locality).
   */
  private placeSoon(): void {
    if (this.placePending) return;
    this.placePending = true;
    queueMicrotask(() => {
      this.placePending = false;
      this.placeQueued();
    });
  }

  /**
   * No node offers what the task needs. In a cluster a node that does may still join, so
   * the driver is warned at once, the task shows in `status` as an infeasible demand, and it
   * fails with InfeasibleTaskError only if no such node joins within `infeasibleTimeoutMs`.
   */
  private holdInfeasible(record: TaskRecord): void {
    const { task } = record;
    const needs = `${task.name} needs ${JSON.stringify(demandOf(task))} but no node offers that much`;
    const nodes = `(nodes: ${JSON.stringify(nodeInfos(this.nodes, this.tasks.values(), this.scheduler).map((n) => n.resources))})`;
    const error = wire(ErrorCode.INFEASIBLE_TASK, 'InfeasibleTaskError', `${needs} ${nodes}`);
    if (this.options.infeasibleTimeoutMs <= 0) {
      if (task.kind === TaskKind.actorCreate) this.actors.died(task.actorId, error);
      return this.fail(task.taskId, error);
    }
    record.state = 'infeasible';
    // A restarted head before its nodes are back: they bring the resources (retryInfeasible).
    if (this.recovery && !this.recovery.nodesBack) return;
    this.send(record.fromNode, {
      type: 'log',
      stream: 'stderr',
      prefix: '(de2)',
      text:
        `warning: ${needs}; it waits ${Math.round(this.options.infeasibleTimeoutMs / 1000)} s for a node that does ` +
        'to join, then fails (see `npx de2-node status`)\n',
    });
    const timer = setTimeout(() => {
      if (this.tasks.get(task.taskId) !== record || record.state !== 'infeasible') return;
      if (task.kind === TaskKind.actorCreate) this.actors.died(task.actorId, error);
      this.fail(task.taskId, error);
    }, this.options.infeasibleTimeoutMs);
    timer.unref();
  }

  /** A node joined: tasks held as infeasible may fit now. */
  private retryInfeasible(): void {
    for (const record of [...this.tasks.values()]) {
      if (record.state === 'infeasible' && this.scheduler.feasible(record.task)) {
        record.state = 'waiting';
        this.admit(record);
      }
    }
  }

  private routeCall(task: TaskSpec, fromNode: string): void {
    const actor = this.actors.get(task.actorId);
    if (!actor || actor.state === ActorState.dead) {
      const error =
        actor?.deathError ?? wire(ErrorCode.ACTOR_DIED, 'ActorDiedError', `actor ${task.actorId} is unknown`);
      return this.fail(task.taskId, {
        ...error,
        actorId: task.actorId,
        code: ErrorCode.ACTOR_DIED,
        name: 'ActorDiedError',
      });
    }
    if (actor.state === ActorState.pending) {
      actor.waiting.push({ task, fromNode });
      return;
    }
    this.dispatch(task, actor.nodeId as string);
  }

  private dispatch(task: TaskSpec, nodeId: string): void {
    const record = this.tasks.get(task.taskId);
    if (record) {
      record.state = 'running';
      record.nodeId = nodeId;
    }
    this.send(nodeId, { type: 'executeTask', task });
  }

  private placeQueued(): void {
    if (this.recovery && !this.recovery.nodesBack) return; // nodes may still report these tasks running
    for (const { task, nodeId } of this.scheduler.schedule((t) => this.preferredNode(t))) {
      this.dispatch(task, nodeId);
      if (task.kind === TaskKind.actorCreate) {
        const actor = this.actors.get(task.actorId);
        if (!actor) continue;
        actor.state = ActorState.alive;
        actor.nodeId = nodeId;
        for (const call of actor.waiting.splice(0)) this.dispatch(call.task, nodeId);
      }
    }
  }

  /**
   * The node that already holds the most bytes of the task's ref arguments (locality, as
   * Ray weighs it): one 200 MB data set outweighs any number of small arguments elsewhere.
   * Drivers' nodes hold objects but run nothing, so they are not candidates.
   */
  private preferredNode(task: TaskSpec): string | undefined {
    if (this.nodes.size < 2 || task.refArgIds.length === 0) return undefined;
    const bytes = new Map<string, number>();
    for (const id of task.refArgIds) {
      const object = this.directory.placement(id);
      if (!object) continue;
      for (const n of object.locations) {
        if (this.nodes.get(n)?.isDriver !== false) continue;
        bytes.set(n, (bytes.get(n) ?? 0) + object.size);
      }
    }
    let best: string | undefined;
    for (const [n, b] of bytes) if (best === undefined || b > (bytes.get(best) ?? 0)) best = n;
    return best;
  }

  private finished(taskId: string, runMs: number, ok: boolean): void {
    this.recovery?.tasks.delete(taskId); // ended before its owner came back: its results tell
    const record = this.tasks.get(taskId);
    if (!record) return;
    const { task } = record;
    // An actor's creation task keeps its resources while the actor lives.
    if (task.kind !== TaskKind.actorCreate) this.scheduler.finish(taskId, runMs);
    if (task.kind === TaskKind.task) {
      for (const id of task.returnIds) this.lineage.set(id, { task, fromNode: record.fromNode });
    }
    this.observer?.taskEnded(record, ok);
    this.forget(record);
    // Once per batch, not once per finished task: a node's results arrive together.
    this.placeSoon();
  }

  /** The node did not start these (every CPU stayed busy): place them again, on a free CPU. */
  private tasksReturned(nodeId: string, taskIds: string[]): void {
    const back: TaskRecord[] = [];
    for (const taskId of taskIds) {
      const record = this.tasks.get(taskId);
      if (record?.state !== 'running' || record.nodeId !== nodeId) continue;
      record.state = 'queued';
      delete record.nodeId;
      back.push(record);
    }
    this.scheduler.takeBack(
      nodeId,
      back.map((r) => r.task),
    );
    // A cancel sent to the node meanwhile found nothing there: it applies here.
    for (const record of back) if (record.cancelled) this.cancel(record.task.returnIds[0]!, false);
    this.placeQueued();
  }

  private forget(record: TaskRecord): void {
    const { task } = record;
    this.tasks.delete(task.taskId);
    for (const id of task.returnIds) this.taskByReturn.delete(id);
    this.directory.unpin(task.refArgIds);
    this.directory.unpin(task.args.refs);
  }

  /** Stores `error` in place of the task's returns (on the node it came from) and forgets it. */
  private fail(taskId: string, error: WireError): void {
    const record = this.tasks.get(taskId);
    if (!record) return;
    this.send(record.fromNode, {
      type: 'storeError',
      ids: record.task.returnIds,
      error: { ...error, taskId },
    });
    this.observer?.taskEnded(record, false);
    this.forget(record);
  }

  private cancel(objectId: string, force: boolean): void {
    const taskId = this.taskByReturn.get(objectId);
    const record = taskId === undefined ? undefined : this.tasks.get(taskId);
    if (!record) return; // finished already: cancel does nothing, as in Ray
    const error = wire(
      ErrorCode.TASK_CANCELLED,
      'TaskCancelledError',
      `task ${record.task.name} was cancelled`,
    );
    if (record.state === 'running' && record.nodeId !== undefined) {
      record.cancelled = true;
      this.send(record.nodeId, { type: 'cancelTask', taskId: record.task.taskId, force });
      return;
    }
    if (record.task.kind === TaskKind.actorCall) {
      const actor = this.actors.get(record.task.actorId);
      if (actor) actor.waiting = actor.waiting.filter((w) => w.task.taskId !== record.task.taskId);
    }
    this.scheduler.dequeue(record.task.taskId);
    this.fail(record.task.taskId, error);
  }
}

function wire(code: ErrorCode, name: string, message: string): WireError {
  return { code, name, message };
}
