/**
 * Pipeline depth per CPU of a function not measured yet, or one whose tasks run longer than
 * PIPELINE_BUDGET_MS: none. Such a task waits in the head until a CPU frees, and then goes to
 * the node (and thread) that freed it; queued behind a running task on a node, it could wait
 * seconds while a CPU elsewhere sits idle (Tune trials differ in length by 10x and more).
 */
export const MIN_PIPELINE_PER_CPU = 0;
/** Most one-CPU tasks of a quick function that a node may hold per CPU. */
export const MAX_PIPELINE_PER_CPU = 16;
/**
 * Estimated work a node may hold per CPU beyond what runs. A task queued on a node waits
 * about this long behind the others (more only when a call runs far longer than its
 * function usually does), so placing it on a node that turns out busy costs little.
 */
export const PIPELINE_BUDGET_MS = 2;
/** Weight of the newest run in a function's mean run time. */
const NEWEST = 0.2;

/**
 * How deep the head may pipeline each function's tasks onto a node, from how long its
 * tasks ran (nodes report that in `taskFinished`). Thousands of tiny tasks then travel
 * and run in batches, while long tasks keep the queue behind them short.
 */
export class PipelineDepth {
  private readonly meanMs = new Map<string, number>();

  record(functionHash: string, runMs: number): void {
    if (!(runMs > 0)) return; // not measured (older node, or the task never ran)
    const mean = this.meanMs.get(functionHash);
    this.meanMs.set(functionHash, mean === undefined ? runMs : mean + (runMs - mean) * NEWEST);
  }

  /** Tasks of this function per CPU a node may hold beyond those running. */
  perCpu(functionHash: string): number {
    const mean = this.meanMs.get(functionHash);
    if (mean === undefined) return MIN_PIPELINE_PER_CPU;
    return Math.min(MAX_PIPELINE_PER_CPU, Math.floor(PIPELINE_BUDGET_MS / mean));
  }
}
