import type { Head } from '../head/head.js';
import type { HeadObserver } from '../head/head-view.js';
import type { ObjectEntryView } from '../head/object-directory.js';
import { nodeInfos, pendingDemands, type TaskRecord } from '../head/tables.js';
import type { NodeInfo, NodeToHead } from '../protocol/messages.js';
import { TaskKind } from '../protocol/messages.js';
import { BadReportError, ExperimentBoard } from './experiments.js';
import type {
  ActorView,
  DashboardApi,
  LogLine,
  NodesView,
  NodeView,
  TaskCounts,
  TasksView,
} from './view-types.js';

const LOG_LINES_PER_NODE = 500;

function zero(): TaskCounts {
  return { running: 0, queued: 0, finished: 0, failed: 0 };
}

function bump(map: Map<string, TaskCounts>, key: string, field: keyof TaskCounts): void {
  let counts = map.get(key);
  if (!counts) map.set(key, (counts = zero()));
  counts[field]++;
}

/**
 * What the dashboard shows of a head: its tables read on demand, plus what the tables forget
 * (tasks that ended, per node and per function; tasks' output per node; restarts of actors;
 * Tune's experiments), gathered as the head's observer.
 */
export class ClusterModel implements HeadObserver {
  private readonly ended = {
    byNode: new Map<string, TaskCounts>(),
    byFunction: new Map<string, TaskCounts>(),
  };
  private readonly logs = new Map<string, LogLine[]>();
  /** maxRestarts of each actor when first seen, and the restarts counted so far. */
  private readonly restarts = new Map<string, { first: number; count: number }>();
  readonly experiments = new ExperimentBoard();
  private readonly listeners = new Set<(what: 'cluster' | 'experiments') => void>();

  constructor(
    private readonly head: Head,
    private readonly log: (line: string) => void = () => {},
  ) {
    head.observe(this);
  }

  /** Stops observing the head. */
  detach(): void {
    this.head.observe(undefined);
    this.listeners.clear();
  }

  /** Called (synchronously) whenever what the dashboard shows may have changed. */
  onChange(listener: (what: 'cluster' | 'experiments') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(what: 'cluster' | 'experiments'): void {
    for (const listener of this.listeners) listener(what);
  }

  message(nodeId: string, message: NodeToHead): void {
    if (message.type === 'experimentReport') {
      try {
        this.experiments.apply(message.json);
        this.experiments.locate(this.runningTaskNodes());
      } catch (error) {
        if (!(error instanceof BadReportError)) throw error;
        this.log(`dropped an experiment report from ${nodeId}: ${error.message}`);
        return;
      }
      return this.changed('experiments');
    }
    if (message.type === 'log') this.addLog(nodeId, message.stream, message.text);
    if (message.type === 'submit' && message.task.kind === TaskKind.actorCreate) {
      const { actorId, maxRestarts } = message.task;
      if (!this.restarts.has(actorId)) this.restarts.set(actorId, { first: maxRestarts, count: 0 });
    }
    this.changed('cluster');
  }

  nodeLost(): void {
    this.changed('cluster');
  }

  taskEnded(record: TaskRecord, ok: boolean): void {
    const field = ok ? 'finished' : 'failed';
    bump(this.ended.byNode, record.nodeId ?? '', field);
    bump(this.ended.byFunction, record.task.name, field);
  }

  /** Where the task that will store each object id runs, for the tasks running now. */
  private runningTaskNodes(): (objectId: string) => string | undefined {
    const nodes = new Map<string, string>();
    for (const { state, nodeId, task } of this.head.view().tasks.values()) {
      if (state === 'running' && nodeId !== undefined) for (const id of task.returnIds) nodes.set(id, nodeId);
    }
    return (objectId) => nodes.get(objectId);
  }

  private addLog(nodeId: string, stream: 'stdout' | 'stderr', text: string): void {
    let lines = this.logs.get(nodeId);
    if (!lines) this.logs.set(nodeId, (lines = []));
    const time = Date.now();
    for (const line of text.replace(/\n$/, '').split('\n')) lines.push({ time, stream, text: line });
    if (lines.length > LOG_LINES_PER_NODE) lines.splice(0, lines.length - LOG_LINES_PER_NODE);
  }

  /** The last lines tasks printed on `nodeId` (the head keeps 500 a node). */
  logTail(nodeId: string): LogLine[] {
    return [...(this.logs.get(nodeId) ?? [])];
  }

  nodes(): NodesView {
    const v = this.head.view();
    const live = this.liveCounts();
    const withTasks = (n: NodeInfo): NodeView => {
      const running = live.byNode.get(n.nodeId);
      const ended = this.ended.byNode.get(n.nodeId);
      return {
        ...n,
        tasks: {
          running: n.alive ? (running?.running ?? 0) : 0,
          queued: 0,
          finished: ended?.finished ?? 0,
          failed: ended?.failed ?? 0,
        },
      };
    };
    return {
      nodes: [...nodeInfos(v.nodes, v.tasks.values(), v.scheduler), ...v.deadNodes.values()].map(withTasks),
      ...pendingDemands(v.tasks.values()),
    };
  }

  private liveCounts(): { byNode: Map<string, TaskCounts>; byFunction: Map<string, TaskCounts> } {
    const byNode = new Map<string, TaskCounts>();
    const byFunction = new Map<string, TaskCounts>();
    for (const { state, nodeId, task } of this.head.view().tasks.values()) {
      const field = state === 'running' ? 'running' : 'queued';
      if (state === 'running' && nodeId !== undefined) bump(byNode, nodeId, field);
      bump(byFunction, task.name, field);
    }
    return { byNode, byFunction };
  }

  /** Tasks by function (live and ended), and the live ones (at most `limit`). */
  tasks(limit = 500): TasksView {
    const live = this.liveCounts().byFunction;
    const names = new Set([...live.keys(), ...this.ended.byFunction.keys()]);
    const byFunction = [...names].sort().map((name) => {
      const l = live.get(name) ?? zero();
      const e = this.ended.byFunction.get(name) ?? zero();
      return { name, running: l.running, queued: l.queued, finished: e.finished, failed: e.failed };
    });
    const tasks: TasksView['tasks'] = [];
    for (const { task, state, nodeId } of this.head.view().tasks.values()) {
      if (tasks.length >= limit) break;
      tasks.push({ taskId: task.taskId, name: task.name, kind: task.kind, state, nodeId: nodeId ?? '' });
    }
    return { byFunction, tasks };
  }

  actors(): ActorView[] {
    const v = this.head.view();
    const out: ActorView[] = [];
    for (const a of v.actors.all()) {
      const left = v.actorSpecs.get(a.info.actorId)?.task.maxRestarts;
      const r = this.restarts.get(a.info.actorId);
      if (r && left !== undefined) r.count = r.first - left;
      out.push({
        actorId: a.info.actorId,
        className: a.info.className,
        name: a.info.name,
        state: a.state,
        nodeId: a.nodeId ?? '',
        restarts: r?.count ?? 0,
        deathReason: a.deathError?.message ?? '',
      });
    }
    return out;
  }

  objects(limit = 1000): DashboardApi['/api/objects'] {
    const objects: ObjectEntryView[] = [];
    for (const o of this.head.view().directory.list()) {
      if (objects.length >= limit) break;
      objects.push(o);
    }
    return { count: this.head.view().directory.size(), objects };
  }
}
