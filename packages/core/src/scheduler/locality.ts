import type { TaskSpec } from '../protocol/messages.js';

/** What the locality policy reads of the cluster: where objects are, and which nodes run tasks. */
export interface PlacementView {
  /** How many nodes (drivers' included) are connected. */
  readonly nodeCount: number;
  /** Where the copies of an object are and how big it is; undefined if unknown. */
  placement(id: string): { locations: Iterable<string>; size: number } | undefined;
  /** Whether the node runs tasks (a driver's node holds objects but runs nothing). */
  runsTasks(nodeId: string): boolean;
}

/**
 * The node that already holds the most bytes of the task's ref arguments (locality, as
 * Ray weighs it): one 200 MB data set outweighs any number of small arguments elsewhere.
 * Drivers' nodes hold objects but run nothing, so they are not candidates.
 */
export function preferredNode(task: TaskSpec, view: PlacementView): string | undefined {
  if (view.nodeCount < 2 || task.refArgIds.length === 0) return undefined;
  const bytes = new Map<string, number>();
  for (const id of task.refArgIds) {
    const object = view.placement(id);
    if (!object) continue;
    for (const n of object.locations) {
      if (!view.runsTasks(n)) continue;
      bytes.set(n, (bytes.get(n) ?? 0) + object.size);
    }
  }
  let best: string | undefined;
  for (const [n, b] of bytes) if (best === undefined || b > (bytes.get(best) ?? 0)) best = n;
  return best;
}
