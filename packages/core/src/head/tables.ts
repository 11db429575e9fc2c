import type { Channel } from '../protocol/channel.js';
import type { DemandInfo, HeadToNode, NodeInfo, NodeToHead, TaskSpec } from '../protocol/messages.js';
import { CPU, MEMORY, type Scheduler, demandOf } from '../scheduler/scheduler.js';

/** What the head knows of a task it was given, until it ends. */
export interface TaskRecord {
  task: TaskSpec;
  /** The node it was submitted on: errors for it are stored there. */
  fromNode: string;
  /** infeasible: no node can ever fit it; held a while in case such a node joins. */
  state: 'waiting' | 'queued' | 'running' | 'infeasible';
  nodeId?: string;
  /** A cancel went to its node (if the node gives it back unstarted, the head cancels it). */
  cancelled?: boolean;
}

/** What the head knows of a connected node (or driver's node). */
export interface NodeRecord {
  channel: Channel<HeadToNode, NodeToHead>;
  isDriver: boolean;
  address: string;
  resources: Record<string, number>;
  objectStoreUsed: number;
  bytesPulled: number;
}

/** Tasks not yet running, and what they ask for (grouped), for `status`. */
export function pendingDemands(tasks: Iterable<TaskRecord>): { pendingTasks: number; demands: DemandInfo[] } {
  const groups = new Map<string, DemandInfo>();
  let pendingTasks = 0;
  for (const { task, state } of tasks) {
    if (state === 'running') continue;
    pendingTasks++;
    if (state === 'waiting') continue; // waits for its arguments, not for resources
    const resources = demandOf(task);
    const key = `${state}:${JSON.stringify(resources)}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { resources, count: 1, infeasible: state === 'infeasible' });
  }
  return { pendingTasks, demands: [...groups.values()] };
}

/** The live nodes as `nodes()` and `status` show them. */
export function nodeInfos(
  nodes: ReadonlyMap<string, NodeRecord>,
  tasks: Iterable<TaskRecord>,
  scheduler: Scheduler,
): NodeInfo[] {
  const out: NodeInfo[] = [];
  const running = new Map<string, number>();
  for (const { state, nodeId } of tasks) {
    if (state === 'running' && nodeId !== undefined) running.set(nodeId, (running.get(nodeId) ?? 0) + 1);
  }
  for (const [nodeId, node] of nodes) {
    const totals = scheduler.totals(nodeId);
    const available = { ...(totals?.available ?? {}) };
    available[CPU] = Math.max(0, available[CPU] ?? 0);
    if (available[MEMORY] !== undefined) available[MEMORY] = Math.max(0, available[MEMORY]);
    const store = node.resources.objectStoreMemory ?? 0;
    available.objectStoreMemory = Math.max(0, store - node.objectStoreUsed);
    out.push({
      nodeId,
      alive: true,
      address: node.address,
      resources: { ...node.resources },
      available,
      objectStoreUsed: node.objectStoreUsed,
      isDriver: node.isDriver,
      runningTasks: running.get(nodeId) ?? 0,
      bytesPulled: node.bytesPulled,
    });
  }
  return out;
}
