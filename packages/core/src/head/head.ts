import type { Channel } from '../protocol/channel.js';
import type { HeadToNode, NodeToHead, SerializedValue } from '../protocol/messages.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { ActorTable } from './actor-table.js';
import type { HeadOptions, HeadTables } from './head-context.js';
import { DEFAULT_MAX_LINEAGE_BYTES, Lineage } from './lineage.js';
import { HeadRecovery, type Member } from './head-recovery.js';
import type { HeadObserver, HeadView } from './head-view.js';
import { NodeLoss } from './node-loss.js';
import { ObjectDirectory } from './object-directory.js';
import { RestartAdoption } from './restart-adoption.js';
import { nodeInfos, pendingDemands } from './tables.js';
import { TaskLifecycle } from './task-lifecycle.js';

export type { HeadOptions } from './head-context.js';

/**
 * The cluster's tables: nodes and their resources, functions by hash, actors (named ones
 * too), the object directory, and the tasks it has placed. It talks to nodes only
 * through messages, so that nodes can as well be other processes.
 *
 * This file guards connections and dispatches messages; the work is done by pieces that
 * share the tables (head-context.ts) and never see this class: the task lifecycle
 * (task-lifecycle.ts), what a lost node sets off (node-loss.ts) and a restarted head's
 * adoption of what its members report (restart-adoption.ts).
 */
export class Head {
  readonly directory: ObjectDirectory;
  private readonly t: HeadTables;
  private readonly lifecycle: TaskLifecycle;
  private readonly loss: NodeLoss;
  private readonly adoption: RestartAdoption;
  /** Objects to free on each node, sent at the end of this batch as one message per node. */
  private readonly toFree = new Map<string, string[]>();
  private observer: HeadObserver | undefined;

  constructor(options: HeadOptions = { infeasibleTimeoutMs: 0 }) {
    const lineage = new Lineage(options.maxLineageBytes ?? DEFAULT_MAX_LINEAGE_BYTES);
    this.directory = new ObjectDirectory(
      (id, locations) => {
        lineage.delete(id);
        for (const nodeId of locations) this.freeSoon(nodeId, id);
      },
      (id, subscribers, locations, inlineValue) => this.sendReady(subscribers, id, locations, inlineValue),
    );
    const recovery =
      options.recovery && options.recovery.members.length > 0
        ? new HeadRecovery(
            options.recovery.members,
            options.recovery.graceMs,
            () => this.adoption.afterNodesBack(),
            () => this.adoption.afterRecovery(),
          )
        : undefined;
    if (recovery) this.directory.pauseFrees();
    const observer = (): HeadObserver | undefined => this.observer;
    this.t = {
      options,
      nodes: new Map(),
      functions: new Map(),
      tasks: new Map(),
      scheduler: new Scheduler(),
      actors: new ActorTable(),
      actorTasks: new Map(),
      lineage,
      actorSpecs: new Map(),
      deadNodes: new Map(),
      directory: this.directory,
      recovery,
      get observer() {
        return observer();
      },
      send: (nodeId, message) => this.send(nodeId, message),
    };
    this.lifecycle = new TaskLifecycle(this.t, {
      adoptIfKnown: (record) => this.adoption.adoptIfKnown(record),
    });
    this.adoption = new RestartAdoption(this.t, this.lifecycle);
    this.loss = new NodeLoss(this.t, this.lifecycle);
  }

  /** Whether `nodeId` may come back under its id (a node of the head this one restarts). */
  mayRejoin(nodeId: string): boolean {
    return this.t.recovery?.expects(nodeId) ?? false;
  }

  /** The nodes and drivers connected now (what a restarted head lets rejoin). */
  members(): Member[] {
    return [...this.t.nodes].map(([nodeId, n]) => ({ nodeId, isDriver: n.isDriver }));
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
      this.t.options.log?.(`closing connection from ${options.peer ?? 'a node'}: ${why}`);
      channel.close();
    };
    channel.onMessage((message) => {
      // Out-of-order or forged messages close the connection; the rest of the cluster goes on.
      if (registered === undefined) {
        if (message.type !== 'registerNode') return refuse(`'${message.type}' before registerNode`);
        if (options.nodeId !== undefined && message.nodeId !== options.nodeId) {
          return refuse(`registerNode for ${message.nodeId}, but the handshake said ${options.nodeId}`);
        }
        if (this.t.nodes.has(message.nodeId)) return refuse(`node ${message.nodeId} is registered already`);
        if (message.rejoin && !this.mayRejoin(message.nodeId))
          return refuse(`node ${message.nodeId} asks to rejoin, but this head does not expect it`);
        registered = message.nodeId;
      } else if (!this.t.nodes.has(registered)) {
        // Declared dead (its connection closed or its heartbeats stopped): its tasks run
        // elsewhere now, so nothing it sends late may count (a second result, a taskFinished).
        return;
      } else if (message.type === 'registerNode') {
        return refuse('a second registerNode');
      } else if ('nodeId' in message && message.nodeId !== registered) {
        return refuse(`'${message.type}' on behalf of another node (${message.nodeId})`);
      }
      this.handle(channel, message, runsTasks, registered);
      if (message.type === 'registerNode' && message.rejoin) this.t.recovery?.rejoined(message);
      this.observer?.message(registered, message);
    });
  }

  /** Lets one observer (the dashboard) see each message handled and each task that ends. */
  observe(observer: HeadObserver | undefined): void {
    this.observer = observer;
  }

  /** A cancel() or kill() from a driver, or from the dashboard's buttons. */
  request(m: Extract<NodeToHead, { type: 'cancel' | 'killActor' }>): void {
    if (m.type === 'cancel') return this.lifecycle.cancel(m.id, m.force);
    const actor = this.t.actors.get(m.actorId);
    if (actor?.nodeId)
      this.send(actor.nodeId, { type: 'killActor', actorId: m.actorId, noRestart: m.noRestart });
  }

  /** The tables as they are now, read-only (for the dashboard). */
  view(): HeadView {
    const { nodes, deadNodes, tasks, actors, actorSpecs, directory, scheduler } = this.t;
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
    return nodeIds.map((n) => this.t.nodes.get(n)?.address ?? '');
  }

  private send(nodeId: string, message: HeadToNode): void {
    this.t.nodes.get(nodeId)?.channel.send(message);
  }

  /** A node is gone (its connection closed or stopped answering): see node-loss.ts. */
  nodeLost(nodeId: string): void {
    this.loss.nodeLost(nodeId);
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
        this.t.nodes.set(m.nodeId, {
          channel,
          isDriver: !runsTasks,
          address: m.address,
          resources: m.resources,
          objectStoreUsed: 0,
          bytesPulled: 0,
        });
        if (runsTasks) this.t.scheduler.addNode(m.nodeId, m.resources);
        this.t.options.onMembersChanged?.();
        this.lifecycle.retryInfeasible();
        this.lifecycle.placeQueued(); // a new node may fit queued work
        return;
      case 'registerFunction':
        this.t.functions.set(m.hash, { source: m.source, name: m.name, runtimeEnv: m.runtimeEnv });
        return;
      case 'getFunction': {
        const fn = this.t.functions.get(m.hash);
        // Its driver may not have reported it yet: answer once every node has.
        if (!fn && this.t.recovery?.defer(() => this.handle(channel, m, runsTasks, from))) return;
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
        return this.lifecycle.submit(m.nodeId, m.task);
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
          this.lifecycle.finished(taskId, m.runMs[i] ?? 0, !failed.has(taskId));
        }
        return;
      }
      case 'taskBlocked':
        if (this.t.recovery && !this.t.recovery.over) this.t.recovery.blocked.add(m.taskId);
        this.t.scheduler.block(m.taskId);
        return this.lifecycle.placeQueued();
      case 'taskUnblocked':
        this.t.recovery?.blocked.delete(m.taskId);
        return this.t.scheduler.unblock(m.taskId);
      case 'tasksReturned':
        return this.lifecycle.tasksReturned(m.nodeId, m.taskIds);
      case 'cancel':
      case 'killActor':
        return this.request(m);
      case 'actorDied': {
        this.t.actors.died(m.actorId, m.error);
        const createTask = this.t.actorTasks.get(m.actorId);
        this.t.actorTasks.delete(m.actorId);
        this.t.actorSpecs.delete(m.actorId);
        if (createTask !== undefined) this.t.scheduler.finish(createTask);
        return this.lifecycle.placeQueued();
      }
      case 'getActor': {
        if (this.t.recovery?.defer(() => this.handle(channel, m, runsTasks, from))) return;
        const actor = this.t.actors.named(m.name);
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
          nodes: [
            ...nodeInfos(this.t.nodes, this.t.tasks.values(), this.t.scheduler),
            ...this.t.deadNodes.values(),
          ],
          ...pendingDemands(this.t.tasks.values()),
        });
      case 'nodeStats': {
        const node = this.t.nodes.get(m.nodeId);
        if (node) {
          node.objectStoreUsed = m.objectStoreUsed;
          node.bytesPulled = m.bytesPulled;
        }
        return;
      }
      case 'log':
        for (const node of this.t.nodes.values()) node.channel.send(m);
        return;
      case 'experimentReport':
        return; // for the observer (the dashboard) only
    }
  }
}
