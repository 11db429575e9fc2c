import { expect } from 'chai';
import { ErrorCode } from '../src/errors/codes.js';
import type { Channel } from '../src/protocol/channel.js';
import { TaskKind, type HeadToNode, type NodeToHead, type TaskSpec } from '../src/protocol/messages.js';
import { preferredNode } from '../src/scheduler/locality.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { ActorTable } from '../src/head/actor-table.js';
import type { HeadOptions, HeadTables } from '../src/head/head-context.js';
import { NodeLoss } from '../src/head/node-loss.js';
import { ObjectDirectory } from '../src/head/object-directory.js';
import { DEFAULT_MAX_LINEAGE_BYTES, Lineage } from '../src/head/lineage.js';
import { TaskLifecycle } from '../src/head/task-lifecycle.js';

/** A channel that keeps what the head sends to one node. */
class FakeChannel implements Channel<HeadToNode, NodeToHead> {
  readonly sent: HeadToNode[] = [];
  send(message: HeadToNode): void {
    this.sent.push(message);
  }
  onMessage(): void {}
  onClose(): void {}
  close(): void {}
  take<T extends HeadToNode['type']>(type: T): Extract<HeadToNode, { type: T }>[] {
    return this.sent.filter((m): m is Extract<HeadToNode, { type: T }> => m.type === type);
  }
}

/** The head's tables with fake node channels, and its pieces, without the Head class. */
function pieces(options: HeadOptions = { infeasibleTimeoutMs: 0 }, lineageBytes = DEFAULT_MAX_LINEAGE_BYTES) {
  const directory = new ObjectDirectory(
    () => {},
    () => {},
  );
  const channels = new Map<string, FakeChannel>();
  const tables: HeadTables = {
    options,
    nodes: new Map(),
    functions: new Map(),
    tasks: new Map(),
    scheduler: new Scheduler(),
    actors: new ActorTable(),
    actorTasks: new Map(),
    lineage: new Lineage(lineageBytes),
    actorSpecs: new Map(),
    deadNodes: new Map(),
    directory,
    recovery: undefined,
    observer: undefined,
    send: (nodeId, message) => tables.nodes.get(nodeId)?.channel.send(message),
  };
  const lifecycle = new TaskLifecycle(tables, { adoptIfKnown: () => false });
  const loss = new NodeLoss(tables, lifecycle);
  const addNode = (nodeId: string, cpus: number, isDriver = false): FakeChannel => {
    const channel = new FakeChannel();
    channels.set(nodeId, channel);
    const resources = { CPU: cpus };
    tables.nodes.set(nodeId, {
      channel,
      isDriver,
      address: `${nodeId}:1`,
      resources,
      objectStoreUsed: 0,
      bytesPulled: 0,
    });
    if (!isDriver) tables.scheduler.addNode(nodeId, resources);
    return channel;
  };
  return { tables, lifecycle, loss, addNode, directory };
}

let taskCount = 0;
function task(overrides: Partial<TaskSpec> = {}): TaskSpec {
  const taskId = `t${++taskCount}`;
  return {
    taskId,
    kind: TaskKind.task,
    functionHash: 'f',
    name: 'f',
    args: { header: new Uint8Array(), buffers: [], refs: [], size: 0 },
    refArgIndexes: [],
    refArgIds: [],
    returnIds: [`${taskId}.r`],
    ownerId: 'driver-client',
    numCpus: 1,
    memory: 0,
    resources: {},
    maxRetries: 0,
    retryExceptions: false,
    actorId: '',
    method: '',
    actorName: '',
    maxRestarts: 0,
    maxTaskRetries: 0,
    maxConcurrency: 1,
    methodNames: [],
    scheduling: '',
    ...overrides,
  };
}

describe('head pieces over fake channels', () => {
  it('task lifecycle: places a submitted task on a node with a free CPU and forgets it when it finishes', () => {
    const { tables, lifecycle, addNode } = pieces();
    const driver = addNode('driver', 0, true);
    const worker = addNode('n1', 1);
    const t = task();
    lifecycle.submit('driver', t);
    lifecycle.placeQueued();
    expect(worker.take('executeTask').map((m) => m.task.taskId)).to.deep.equal([t.taskId]);
    expect(tables.tasks.get(t.taskId)?.state).to.equal('running');
    lifecycle.finished(t.taskId, 1, true);
    expect(tables.tasks.has(t.taskId)).to.equal(false);
    expect(tables.lineage.get(t.returnIds[0]!)?.task.taskId).to.equal(t.taskId);
    expect(driver.sent).to.deep.equal([]);
  });

  it('task lifecycle: a task no node can fit fails at once with INFEASIBLE_TASK on its owner node', () => {
    const { tables, lifecycle, addNode } = pieces();
    const driver = addNode('driver', 0, true);
    addNode('n1', 1);
    const t = task({ numCpus: 4 });
    lifecycle.submit('driver', t);
    const [stored] = driver.take('storeError');
    expect(stored?.ids).to.deep.equal(t.returnIds);
    expect(stored?.error).to.include({
      code: ErrorCode.INFEASIBLE_TASK,
      name: 'InfeasibleTaskError',
      taskId: t.taskId,
    });
    expect(tables.tasks.size).to.equal(0);
  });

  it('task lifecycle: cancelling a queued task stores TASK_CANCELLED; a running one is cancelled on its node', () => {
    const { lifecycle, addNode } = pieces();
    const driver = addNode('driver', 0, true);
    const worker = addNode('n1', 1);
    const running = task();
    const queued = task();
    lifecycle.submit('driver', running);
    lifecycle.submit('driver', queued);
    lifecycle.placeQueued();
    expect(worker.take('executeTask')).to.have.length(1);
    lifecycle.cancel(queued.returnIds[0]!, false);
    expect(driver.take('storeError')[0]?.error).to.include({
      code: ErrorCode.TASK_CANCELLED,
      taskId: queued.taskId,
    });
    lifecycle.cancel(running.returnIds[0]!, true);
    expect(worker.take('cancelTask')).to.deep.equal([
      { type: 'cancelTask', taskId: running.taskId, force: true },
    ]);
  });

  it('node loss: a running task is retried on another node while maxRetries allows, then fails with NODE_DIED', () => {
    const { tables, lifecycle, loss, addNode } = pieces();
    const driver = addNode('driver', 0, true);
    const a = addNode('a', 1);
    const t = task({ maxRetries: 1 });
    lifecycle.submit('driver', t);
    lifecycle.placeQueued();
    expect(a.take('executeTask')).to.have.length(1);
    const b = addNode('b', 1);
    loss.nodeLost('a');
    expect(b.take('executeTask').map((m) => m.task.taskId)).to.deep.equal([t.taskId]);
    expect(tables.deadNodes.has('a')).to.equal(true);
    loss.nodeLost('b');
    const [stored] = driver.take('storeError');
    expect(stored?.error).to.include({ code: ErrorCode.NODE_DIED, name: 'NodeDiedError', nodeId: 'b' });
  });

  it('node loss: an object stored only on the lost node is rebuilt from its lineage, a put one is lost', () => {
    const { tables, lifecycle, loss, addNode, directory } = pieces();
    addNode('driver', 0, true);
    const a = addNode('a', 1);
    const t = task();
    lifecycle.submit('driver', t);
    lifecycle.placeQueued();
    expect(a.take('executeTask')).to.have.length(1);
    directory.added('a', t.returnIds[0]!, 'driver-client', [], undefined, 8);
    directory.added('a', 'put-1', 'driver-client', [], undefined, 8);
    directory.pin([t.returnIds[0]!, 'put-1']); // a pending task still needs them
    lifecycle.finished(t.taskId, 1, true);
    const b = addNode('b', 1);
    loss.nodeLost('a');
    expect(directory.lostError('put-1')).to.include({ code: ErrorCode.OBJECT_LOST, objectId: 'put-1' });
    expect(directory.lostError(t.returnIds[0]!)).to.equal(undefined);
    expect(b.take('executeTask').map((m) => m.task.taskId)).to.deep.equal([t.taskId]);
    expect(tables.tasks.get(t.taskId)?.nodeId).to.equal('b');
  });
});

describe('lineage within maxLineageBytes (head/lineage.ts)', () => {
  const args = (size: number) => ({ header: new Uint8Array(), buffers: [], refs: [], size });

  it('keeps the newest specs within the budget, dropping the oldest first and counting them', () => {
    const lineage = new Lineage(2000);
    const made = Array.from({ length: 10 }, (_, i) =>
      task({ taskId: `d1.t${i}`, returnIds: [`d1.t${i}.0`], args: args(100) }),
    );
    for (const t of made) lineage.record(t, 'a');
    // 400 bytes a spec plus its 100 bytes of arguments: 4 fit in 2,000.
    expect(lineage.size).to.equal(4);
    expect(lineage.evicted).to.equal(6);
    expect(lineage.get('d1.t5.0')).to.equal(undefined);
    expect(lineage.get('d1.t6.0')?.task).to.equal(made[6]);
    expect(lineage.get('d1.t9.0')?.fromNode).to.equal('a');
    // A freed result gives its share back: the next spec fits without dropping another.
    lineage.delete('d1.t6.0');
    lineage.record(task({ taskId: 'd1.tz', returnIds: ['d1.tz.0'], args: args(100) }), 'a');
    expect(lineage.size).to.equal(4);
    expect(lineage.evicted).to.equal(6);
  });

  it('shares one spec among its returns, and keeps nothing at 0', () => {
    const lineage = new Lineage(1000);
    const t = task({ taskId: 'd1.tm', returnIds: ['d1.tm.0', 'd1.tm.1', 'd1.tm.2'], args: args(500) });
    lineage.record(t, 'a');
    expect(['d1.tm.0', 'd1.tm.1', 'd1.tm.2'].map((id) => lineage.get(id)?.task)).to.deep.equal([t, t, t]);
    const none = new Lineage(0);
    none.record(t, 'a');
    expect(none.size).to.equal(0);
    expect(none.evicted).to.equal(0);
  });

  it('node loss: a task result whose lineage was dropped is lost with an error that names the budget', () => {
    const { lifecycle, loss, addNode, directory } = pieces({ infeasibleTimeoutMs: 0 }, 500);
    addNode('driver', 0, true);
    const a = addNode('a', 2);
    const [old, recent] = [
      task({ taskId: 'd1.t1', returnIds: ['d1.t1.0'] }),
      task({ taskId: 'd1.t2', returnIds: ['d1.t2.0'] }),
    ];
    for (const t of [old, recent]) lifecycle.submit('driver', t);
    lifecycle.placeQueued();
    expect(a.take('executeTask')).to.have.length(2);
    for (const t of [old, recent]) {
      directory.added('a', t.returnIds[0]!, 'driver-client', [], undefined, 8);
      directory.pin(t.returnIds);
      lifecycle.finished(t.taskId, 1, true);
    }
    const b = addNode('b', 1);
    loss.nodeLost('a');
    const error = directory.lostError('d1.t1.0');
    expect(error).to.include({ code: ErrorCode.OBJECT_LOST, objectId: 'd1.t1.0' });
    expect(error?.message).to.match(/lineage beyond maxLineageBytes, 500 bytes.*--max-lineage-bytes/);
    // The newer one is still in the budget: it is rebuilt.
    expect(directory.lostError('d1.t2.0')).to.equal(undefined);
    expect(b.take('executeTask').map((m) => m.task.taskId)).to.deep.equal(['d1.t2']);
  });
});

describe('object directory: a driver that goes', () => {
  it('drops every ref a driver held, found by one pass (no index is kept for drivers)', () => {
    const freed: string[] = [];
    const directory = new ObjectDirectory(
      (id) => freed.push(id),
      () => {},
    );
    for (const id of ['o1', 'o2', 'o3']) directory.added('a', id, 'd1-x', [], undefined, 8);
    directory.addRef('d1-x', ['o1', 'o2', 'o3'], 'a');
    directory.addRef('w2-y', ['o2'], 'a');
    directory.holderGone('d1-x');
    // o2 is still held by a worker thread's client; the others go.
    expect(freed.sort()).to.deep.equal(['o1', 'o3']);
    directory.holderGone('w2-y');
    expect(freed.sort()).to.deep.equal(['o1', 'o2', 'o3']);
  });
});

describe('locality policy (scheduler/locality.ts)', () => {
  it('prefers the worker node holding the most bytes of the arguments, never a driver', () => {
    const where: Record<string, { locations: string[]; size: number }> = {
      big: { locations: ['driver', 'b'], size: 200e6 },
      small1: { locations: ['a'], size: 1e3 },
      small2: { locations: ['a'], size: 1e3 },
      onDriver: { locations: ['driver'], size: 1e9 },
    };
    const view = {
      nodeCount: 3,
      placement: (id: string) => where[id],
      runsTasks: (n: string) => n !== 'driver',
    };
    expect(preferredNode(task({ refArgIds: ['small1', 'small2', 'big'] }), view)).to.equal('b');
    expect(preferredNode(task({ refArgIds: ['small1', 'onDriver'] }), view)).to.equal('a');
    expect(preferredNode(task({ refArgIds: ['onDriver'] }), view)).to.equal(undefined);
    expect(preferredNode(task({ refArgIds: ['big'] }), { ...view, nodeCount: 1 })).to.equal(undefined);
  });
});
