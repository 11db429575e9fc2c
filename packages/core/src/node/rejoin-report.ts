import type { NodeToHead } from '../protocol/messages.js';
import type { ObjectStore } from '../object-store/object-store.js';
import type { FunctionCache } from './function-cache.js';
import { INLINE_RESULT_BYTES } from './node-objects.js';
import type { NodeRuntimeOptions } from './node-options.js';
import type { RejoinBook } from './rejoin-book.js';

/** What the rejoin report reads of a node. */
export interface ReportedNode {
  readonly nodeId: string;
  readonly options: Pick<NodeRuntimeOptions, 'address' | 'resources'>;
  readonly running: ReadonlyMap<string, unknown>;
  readonly functions: FunctionCache;
  readonly store: ObjectStore;
  readonly book: RejoinBook;
  readonly blockedTasks: ReadonlySet<string>;
}

/** What this node runs, hosts, holds and waits for, as a restarted head must hear it. */
export function rejoinReport(
  node: ReportedNode,
  actors: ReadonlyMap<string, { taskIds(): string[] }>,
  waitingIds: string[],
): NodeToHead[] {
  const runningTaskIds = [...node.running.keys()];
  for (const actor of actors.values()) runningTaskIds.push(...actor.taskIds());
  const report: NodeToHead[] = [
    {
      type: 'registerNode',
      nodeId: node.nodeId,
      address: node.options.address,
      resources: node.options.resources,
      rejoin: true,
      runningTaskIds,
      actorIds: [...actors.keys()],
    },
  ];
  for (const [hash, fn] of node.functions.entries()) report.push({ type: 'registerFunction', hash, ...fn });
  for (const o of node.store.summaries()) {
    const inline = o.value && o.value.buffers.length === 0 && o.value.size <= INLINE_RESULT_BYTES;
    report.push({
      type: 'objectAdded',
      nodeId: node.nodeId,
      id: o.id,
      ownerId: '',
      size: o.size,
      refs: o.refs,
      inlineValue: inline ? o.value : undefined,
    });
  }
  report.push(...node.book.report(node.nodeId, (id) => node.store.has(id)));
  for (const taskId of node.blockedTasks)
    if (node.running.has(taskId)) report.push({ type: 'taskBlocked', nodeId: node.nodeId, taskId });
  const waiting = waitingIds.filter((id) => !node.store.has(id));
  if (waiting.length > 0) report.push({ type: 'subscribe', nodeId: node.nodeId, ids: waiting });
  return report;
}
