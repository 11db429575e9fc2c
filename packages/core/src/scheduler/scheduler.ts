import type { TaskSpec } from '../protocol/messages.js';
import { MAX_PIPELINE_PER_CPU, PipelineDepth } from './pipeline-depth.js';

/** Resource name for logical CPUs; `memory` and custom names sit beside it. */
export const CPU = 'CPU';
export const MEMORY = 'memory';

export type Resources = Record<string, number>;

interface NodeSlot {
  nodeId: string;
  total: Resources;
  available: Resources;
  /** Tasks placed beyond the free CPUs, to wait for a CPU on the node. */
  pipelined: number;
  /**
   * The node gave tasks back (every CPU stayed busy, node/cpu-queue.ts): it gets no task
   * that needs a CPU until one of its tasks ends or waits in get.
   */
  stalled: boolean;
}

interface Running {
  nodeId: string;
  demand: Resources;
  blocked: boolean;
  /** Placed without taking a CPU (see `pipelineable`). */
  pipelined: boolean;
  functionHash: string;
}

/**
 * Tasks that can be pipelined: exactly one CPU, no memory budget, no custom resources,
 * default scheduling. A node may hold a few of them per CPU beyond those running (how
 * many: pipeline-depth.ts); they wait in order on its threads (one runs at a time per
 * thread, see worker/serial-lock.ts), so a thread that finishes one starts the next
 * without a round trip through the head: that is what makes thousands of tiny tasks cheap.
 */
export function pipelineable(task: TaskSpec): boolean {
  if (task.kind !== 'task' || task.numCpus !== 1 || task.memory > 0 || task.scheduling !== '') return false;
  for (const _ in task.resources) return false;
  return true;
}

const SPREAD = 'SPREAD';

/** The node a task is pinned to (TaskSpec.scheduling 'node:<id>' or 'node-soft:<id>'). */
function affinityOf(task: TaskSpec): { nodeId: string; soft: boolean } | undefined {
  const match = /^(node|node-soft):(.+)$/.exec(task.scheduling);
  return match ? { nodeId: match[2]!, soft: match[1] === 'node-soft' } : undefined;
}

/** What a task asks of a node while it runs. */
export function demandOf(task: TaskSpec): Resources {
  const demand: Resources = { ...task.resources };
  if (task.numCpus > 0) demand[CPU] = task.numCpus;
  if (task.memory > 0) demand[MEMORY] = task.memory;
  return demand;
}

function fits(demand: Resources, available: Resources): boolean {
  for (const key in demand) if ((available[key] ?? 0) + 1e-9 < (demand[key] ?? 0)) return false;
  return true;
}

/** Whether the task fits the node's free resources now (a stalled node takes no CPU task). */
function fitsNow(demand: Resources, node: NodeSlot): boolean {
  return (!node.stalled || !(demand[CPU] ?? 0)) && fits(demand, node.available);
}

/**
 * Places tasks on nodes by logical resources. A task that waits in `get` gives its CPUs
 * back (as Ray does) so that children can run; that is what keeps a recursive fan-out
 * from deadlocking when every worker thread waits on its children.
 */
export class Scheduler {
  private readonly nodes = new Map<string, NodeSlot>();
  /** Queued tasks in submission order, from `queueStart` on (placed ones are skipped, not copied). */
  private queue: TaskSpec[] = [];
  private queueStart = 0;
  /** Queued tasks that need no CPU (they may fit even when every CPU is taken). */
  private cpuFreeQueued = 0;
  private readonly running = new Map<string, Running>();
  private readonly depth = new PipelineDepth();
  /** Queued tasks that can be pipelined, by function (see pipelineRoom). */
  private readonly pipelineableQueued = new Map<string, number>();
  /** Tasks a node gave back: they wait for a free CPU, never in a node's queue again. */
  private readonly givenBack = new Set<string>();

  /** Whether the task may wait in a node's queue (pipelined) rather than in the head. */
  private mayPipeline(task: TaskSpec): boolean {
    return pipelineable(task) && !this.givenBack.has(task.taskId);
  }

  addNode(nodeId: string, total: Resources): void {
    this.nodes.set(nodeId, {
      nodeId,
      total: { ...total },
      available: { ...total },
      pipelined: 0,
      stalled: false,
    });
  }

  removeNode(nodeId: string): void {
    this.nodes.delete(nodeId);
  }

  /**
   * The task already runs on `nodeId` (a node that rejoined a restarted head said so): it
   * holds its resources there from now on, even if that oversubscribes the node for a while.
   */
  adopt(task: TaskSpec, nodeId: string): void {
    const node = this.nodes.get(nodeId);
    if (!node || this.running.has(task.taskId)) return;
    const demand = demandOf(task);
    for (const key in demand) node.available[key] = (node.available[key] ?? 0) - (demand[key] ?? 0);
    this.running.set(task.taskId, {
      nodeId,
      demand,
      blocked: false,
      pipelined: false,
      functionHash: task.functionHash,
    });
  }

  /** Whether any node could ever run the task (else it must be reported, not queued). */
  feasible(task: TaskSpec): boolean {
    const demand = demandOf(task);
    const affinity = affinityOf(task);
    if (affinity && !affinity.soft) {
      const node = this.nodes.get(affinity.nodeId);
      return node !== undefined && fits(demand, node.total);
    }
    for (const node of this.nodes.values()) if (fits(demand, node.total)) return true;
    return false;
  }

  enqueue(task: TaskSpec): void {
    this.queue.push(task);
    if (task.numCpus <= 0) this.cpuFreeQueued++;
    if (this.mayPipeline(task)) this.countPipelineable(task, 1);
  }

  /**
   * The node gave these tasks back without starting them: they go to the front of the queue
   * (they were placed before anything queued now), to be placed on a free CPU only.
   */
  takeBack(nodeId: string, tasks: TaskSpec[]): void {
    for (const task of tasks) {
      this.release(task.taskId);
      this.givenBack.add(task.taskId);
    }
    const node = this.nodes.get(nodeId);
    if (node && tasks.length > 0) node.stalled = true;
    this.queue.splice(this.queueStart, 0, ...tasks);
  }

  private countPipelineable(task: TaskSpec, change: number): void {
    const count = (this.pipelineableQueued.get(task.functionHash) ?? 0) + change;
    if (count > 0) this.pipelineableQueued.set(task.functionHash, count);
    else this.pipelineableQueued.delete(task.functionHash);
  }

  /**
   * Takes the queued tasks among `taskIds` out in one pass over the queue: one `dequeue` each
   * is quadratic (a driver that left a million queued tasks held the head for minutes).
   */
  dequeueAll(taskIds: ReadonlySet<string>): void {
    if (taskIds.size === 0) return;
    const kept: TaskSpec[] = [];
    for (let i = this.queueStart; i < this.queue.length; i++) {
      const task = this.queue[i]!;
      if (!taskIds.has(task.taskId)) {
        kept.push(task);
        continue;
      }
      if (task.numCpus <= 0) this.cpuFreeQueued--;
      if (this.mayPipeline(task)) this.countPipelineable(task, -1);
      this.givenBack.delete(task.taskId);
    }
    this.queue = kept;
    this.queueStart = 0;
  }

  /** Takes a queued task out; false if it was not queued. */
  dequeue(taskId: string): boolean {
    const index = this.queue.findIndex((t, i) => i >= this.queueStart && t.taskId === taskId);
    if (index < 0) return false;
    const [task] = this.queue.splice(index, 1);
    if (task && task.numCpus <= 0) this.cpuFreeQueued--;
    if (task && this.mayPipeline(task)) this.countPipelineable(task, -1);
    if (task) this.givenBack.delete(task.taskId);
    return true;
  }

  /**
   * Places what fits now, in submission order. `prefer` names the node holding most of a
   * task's arguments, tried first.
   */
  schedule(
    prefer: (task: TaskSpec) => string | undefined = () => undefined,
  ): { task: TaskSpec; nodeId: string }[] {
    const placed: { task: TaskSpec; nodeId: string }[] = [];
    if (this.queueStart >= this.queue.length) return placed;
    let cpuFree = this.anyCpuFree();
    let pipeRoom = this.pipelineRoom();
    // Every CPU is taken and every queued task needs one: nothing can move (the common case
    // with a long queue, so it must not cost a scan).
    if (!cpuFree && !pipeRoom && this.cpuFreeQueued === 0) return placed;
    const left: TaskSpec[] = [];
    const queue = this.queue;
    let i = this.queueStart;
    for (; i < queue.length; i++) {
      const task = queue[i] as TaskSpec;
      if (task.numCpus > 0 && !cpuFree) {
        const node =
          pipeRoom && this.mayPipeline(task)
            ? this.pickPipeline(prefer(task), this.depth.perCpu(task.functionHash))
            : undefined;
        if (node) {
          node.pipelined++;
          this.countPipelineable(task, -1);
          this.running.set(task.taskId, {
            nodeId: node.nodeId,
            demand: demandOf(task),
            blocked: false,
            pipelined: true,
            functionHash: task.functionHash,
          });
          placed.push({ task, nodeId: node.nodeId });
          pipeRoom = this.pipelineRoom();
          continue;
        }
        if (this.cpuFreeQueued === 0 && !pipeRoom) break; // the rest all wait for a CPU
        left.push(task);
        continue;
      }
      const node = this.pick(task, prefer(task));
      if (!node) {
        left.push(task);
        continue;
      }
      const demand = demandOf(task);
      for (const key in demand) node.available[key] = (node.available[key] ?? 0) - (demand[key] ?? 0);
      this.running.set(task.taskId, {
        nodeId: node.nodeId,
        demand,
        blocked: false,
        pipelined: false,
        functionHash: task.functionHash,
      });
      placed.push({ task, nodeId: node.nodeId });
      if (task.numCpus <= 0) this.cpuFreeQueued--;
      if (this.mayPipeline(task)) this.countPipelineable(task, -1);
      if (task.numCpus > 0) cpuFree = this.anyCpuFree();
    }
    // Tasks left behind go back just before the first one not looked at: the slots of
    // tasks placed meanwhile are free, and the long tail is not copied for every call.
    const start = i - left.length;
    for (let k = this.queueStart; k < start; k++) queue[k] = undefined as unknown as TaskSpec;
    for (let k = 0; k < left.length; k++) queue[start + k] = left[k] as TaskSpec;
    this.queueStart = start;
    if (start === queue.length) {
      this.queue = [];
      this.queueStart = 0;
    } else if (start > 1024 && start * 2 > queue.length) {
      this.queue = queue.slice(start);
      this.queueStart = 0;
    }
    return placed;
  }

  /**
   * Whether any node could take one more pipelined task of some queued function. Without
   * it, a long queue of slow tasks (never pipelined) would be scanned to its end on every
   * placement, in case a quick one (up to MAX_PIPELINE_PER_CPU) were queued behind them.
   */
  private pipelineRoom(): boolean {
    let perCpu = 0;
    for (const functionHash of this.pipelineableQueued.keys()) {
      perCpu = Math.max(perCpu, this.depth.perCpu(functionHash));
      if (perCpu === MAX_PIPELINE_PER_CPU) break;
    }
    if (perCpu === 0) return false;
    for (const node of this.nodes.values()) {
      if (node.pipelined < perCpu * (node.total[CPU] ?? 0)) return true;
    }
    return false;
  }

  /**
   * The node that holds the task's arguments if it has room for one more pipelined task
   * (waiting there beats pulling the arguments to a node that is just as busy, and is where
   * Ray queues such a task too), else the node with the fewest pipelined tasks.
   */
  private pickPipeline(preferred: string | undefined, perCpu: number): NodeSlot | undefined {
    const hasRoom = (node: NodeSlot) =>
      !node.stalled && (node.total[CPU] ?? 0) >= 1 && node.pipelined < perCpu * (node.total[CPU] ?? 0);
    const first = preferred === undefined ? undefined : this.nodes.get(preferred);
    if (first && hasRoom(first)) return first;
    let best: NodeSlot | undefined;
    for (const node of this.nodes.values()) {
      if (!hasRoom(node)) continue;
      if (!best || node.pipelined < best.pipelined) best = node;
    }
    return best;
  }

  private anyCpuFree(): boolean {
    for (const node of this.nodes.values())
      if (!node.stalled && (node.available[CPU] ?? 0) > 1e-9) return true;
    return false;
  }

  private pick(task: TaskSpec, preferred: string | undefined): NodeSlot | undefined {
    const demand = demandOf(task);
    const affinity = affinityOf(task);
    if (affinity) {
      const node = this.nodes.get(affinity.nodeId);
      if (node && fitsNow(demand, node)) return node;
      // Hard affinity waits for its node; soft affinity takes another if the node is full or gone.
      if (!affinity.soft) return undefined;
    }
    if (task.scheduling === SPREAD) return this.leastBusy(demand);
    const first = preferred === undefined ? undefined : this.nodes.get(preferred);
    if (first && fitsNow(demand, first)) return first;
    for (const node of this.nodes.values()) if (fitsNow(demand, node)) return node;
    return undefined;
  }

  /** SPREAD: of the nodes with room, the one running the fewest tasks. */
  private leastBusy(demand: Resources): NodeSlot | undefined {
    const busy = new Map<string, number>();
    for (const run of this.running.values()) busy.set(run.nodeId, (busy.get(run.nodeId) ?? 0) + 1);
    let best: NodeSlot | undefined;
    for (const node of this.nodes.values()) {
      if (!fitsNow(demand, node)) continue;
      if (!best || (busy.get(node.nodeId) ?? 0) < (busy.get(best.nodeId) ?? 0)) best = node;
    }
    return best;
  }

  /**
   * The task ended: its resources go back (unless it had given its CPUs back already).
   * `runMs`: how long it ran on its thread, as its node measured it (0: not measured).
   */
  finish(taskId: string, runMs = 0): void {
    const run = this.release(taskId);
    if (!run) return;
    this.givenBack.delete(taskId);
    this.depth.record(run.functionHash, runMs);
  }

  /** Gives back what a running task held; a node one of whose tasks ended is no longer stalled. */
  private release(taskId: string): Running | undefined {
    const run = this.running.get(taskId);
    if (!run) return undefined;
    this.running.delete(taskId);
    const node = this.nodes.get(run.nodeId);
    if (!node) return run;
    node.stalled = false;
    if (run.pipelined) {
      node.pipelined--;
      return run;
    }
    for (const key in run.demand) {
      if (run.blocked && key === CPU) continue;
      node.available[key] = (node.available[key] ?? 0) + (run.demand[key] ?? 0);
    }
    return run;
  }

  /** The task waits in get/wait: lend its CPUs to others. */
  block(taskId: string): void {
    this.shiftCpu(taskId, true);
  }

  /** It runs again: take the CPUs back (the node may be oversubscribed for a while). */
  unblock(taskId: string): void {
    this.shiftCpu(taskId, false);
  }

  private shiftCpu(taskId: string, blocked: boolean): void {
    const run = this.running.get(taskId);
    if (!run) return;
    const node = this.nodes.get(run.nodeId);
    // A task that waits on others frees a CPU of its node's queue too (node/cpu-queue.ts).
    if (node && blocked) node.stalled = false;
    if (run.blocked === blocked || run.pipelined) return;
    run.blocked = blocked;
    const cpus = run.demand[CPU] ?? 0;
    if (node && cpus > 0) node.available[CPU] = (node.available[CPU] ?? 0) + (blocked ? cpus : -cpus);
  }

  totals(nodeId: string): { total: Resources; available: Resources } | undefined {
    const node = this.nodes.get(nodeId);
    return node && { total: { ...node.total }, available: { ...node.available } };
  }
}
