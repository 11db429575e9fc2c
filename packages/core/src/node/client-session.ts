import type { Channel } from '../protocol/channel.js';
import type { ClientToNode, NodeToClient } from '../protocol/messages.js';
import type { SessionHost } from './node-services.js';

/**
 * One client attached to a node: the driver (in embedded mode) or a worker thread (over
 * its MessagePort). Turns client requests into store reads and head messages.
 */
export class ClientSession {
  clientId = '';
  isDriver = false;
  /** get/wait requests of this client that wait on objects, with the task that blocked. */
  private readonly blocked = new Map<number, string>();
  private readonly cancelled = new Set<number>();

  constructor(
    readonly channel: Channel<NodeToClient, ClientToNode>,
    private readonly node: SessionHost,
  ) {
    channel.onMessage((m) => this.handle(m));
    channel.onClose(() => node.sessionClosed(this));
  }

  send(message: NodeToClient): void {
    this.channel.send(message);
  }

  private handle(m: ClientToNode): void {
    const node = this.node;
    switch (m.type) {
      case 'hello':
        this.clientId = m.clientId;
        this.isDriver = m.isDriver;
        return;
      case 'registerFunction':
        return node.registerFunction(m.hash, m.source, m.name, m.runtimeEnv);
      case 'getFunction':
        node.getFunction(m.hash).then(
          (fn) => this.send({ type: 'functionReply', reqId: m.reqId, ...fn }),
          (error: unknown) => this.send({ type: 'requestFailed', reqId: m.reqId, error: node.wireOf(error) }),
        );
        return;
      case 'prepareRuntimeEnv':
        node.prepareRuntimeEnv(m.runtimeEnv).then(
          (env) => this.send({ type: 'runtimeEnvReply', reqId: m.reqId, ...env }),
          (error: unknown) => this.send({ type: 'requestFailed', reqId: m.reqId, error: node.wireOf(error) }),
        );
        return;
      case 'submit':
        return node.toHead({ type: 'submit', nodeId: node.nodeId, task: m.task });
      case 'put':
        return node.storeValue(m.id, m.value, this.clientId);
      case 'get':
        return this.get(m.reqId, m.ids, m.taskId);
      case 'wait':
        return this.wait(m);
      case 'cancelRequest':
        this.cancelled.add(m.reqId);
        return this.unblock(m.reqId);
      case 'cancel':
        return node.toHead({ type: 'cancel', nodeId: node.nodeId, id: m.id, force: m.force });
      case 'killActor':
        return node.toHead({
          type: 'killActor',
          nodeId: node.nodeId,
          actorId: m.actorId,
          noRestart: m.noRestart,
        });
      case 'getActor':
        node
          .ask({ type: 'getActor', reqId: 0, nodeId: node.nodeId, name: m.name })
          .then((r) => r.type === 'actorReply' && this.send({ ...r, reqId: m.reqId }), noop);
        return;
      case 'clusterInfo':
        node.flushStats();
        node
          .ask({ type: 'clusterInfo', reqId: 0, nodeId: node.nodeId })
          .then((r) => r.type === 'clusterInfoReply' && this.send({ ...r, reqId: m.reqId }), noop);
        return;
      case 'addRef':
        return node.toHead({ type: 'addRef', holderId: this.clientId, ids: m.ids });
      case 'removeRef':
        return node.toHead({ type: 'removeRef', holderId: this.clientId, ids: m.ids });
      case 'flush':
        return this.send({ type: 'flushReply', reqId: m.reqId });
      case 'log':
        return node.log(m);
      case 'experimentReport':
        return node.toHead(m);
    }
  }

  private get(reqId: number, ids: string[], taskId: string): void {
    const results = this.node.readLocal(ids);
    if (results) return this.send({ type: 'getReply', reqId, results });
    this.block(reqId, taskId);
    this.node.whenAll(ids, (r) => {
      this.unblock(reqId);
      if (!this.cancelled.delete(reqId)) this.send({ type: 'getReply', reqId, results: r });
    });
  }

  private wait(m: Extract<ClientToNode, { type: 'wait' }>): void {
    const ready = new Set<string>();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.unblock(m.reqId);
      if (!this.cancelled.delete(m.reqId))
        this.send({ type: 'waitReply', reqId: m.reqId, readyIds: [...ready] });
    };
    for (const id of m.ids) if (this.node.isLocal(id)) ready.add(id);
    let timer: NodeJS.Timeout | undefined;
    if (ready.size >= m.numReturns || m.timeoutMs === 0) return finish();
    this.block(m.reqId, m.taskId);
    if (m.timeoutMs > 0) timer = setTimeout(finish, m.timeoutMs);
    for (const id of m.ids) {
      if (ready.has(id)) continue;
      const exists = () => {
        ready.add(id);
        if (ready.size >= m.numReturns) finish();
      };
      if (m.fetchLocal) this.node.resolveObjects([id]).then(exists, noop);
      else this.node.whenExists(id, exists);
    }
  }

  private block(reqId: number, taskId: string): void {
    if (!taskId) return;
    this.blocked.set(reqId, taskId);
    this.node.taskBlocked(taskId);
  }

  private unblock(reqId: number): void {
    const taskId = this.blocked.get(reqId);
    if (taskId === undefined) return;
    this.blocked.delete(reqId);
    this.node.taskUnblocked(taskId);
  }
}

function noop(): void {}
