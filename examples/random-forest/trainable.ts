// The trial: grows a random forest in steps of trees on the shared, binned data and reports
// the held-out accuracy after each step. Shipped by source to worker threads, so it uses no
// variable of this module and imports @de2/forest itself.
import type { DatasetObject } from '@de2/forest';
import type { TrialContext } from '@de2/tune';
import type { ForestConfig } from './grids.js';

/** What `withParameters` stores once and every trial reads: the binned split and settings. */
export interface ForestParams extends Record<string, unknown> {
  train: DatasetObject;
  test: DatasetObject;
  /** Trees of the first report; each later report doubles the forest (ASHA's rungs). */
  step: number;
  seed: number;
}

export interface ForestMetrics {
  accuracy: number;
  trees: number;
  /** Nodes of all trees so far. */
  nodes: number;
  /** Memory of the fitted trees (their typed arrays), in MiB. */
  modelMiB: number;
  /** Where the trial ran, `host:pid` of the de2 node (a string: not a table column). */
  node: string;
}

/**
 * Fits `step` trees, then doubles the forest (`addTrees`, a warm start) until `nEstimators`,
 * reporting after each step: at step, 2 step, 4 step, ... trees, which are ASHA's rungs with
 * reductionFactor 2. ASHA stops weak trials at a report; FIFO lets all finish. Doubling keeps
 * the work of the reports (scoring) within about twice that of the last one.
 *
 * The trees live in typed arrays outside the JS heap; the trial's `memory` budget counts
 * them (heap + ArrayBuffers), so an unbounded, huge forest ends with OutOfMemoryError while
 * it grows, during the fit itself.
 */
export async function trainForest(
  config: { rf: ForestConfig },
  ctx: TrialContext<ForestParams>,
): Promise<ForestMetrics> {
  const { Dataset, RandomForestClassifier } = await import('@de2/forest');
  const { hostname } = await import('node:os');
  const node = `${hostname()}:${process.pid}`;
  const { step, seed } = ctx.params;
  const train = Dataset.fromObject(ctx.params.train);
  const test = Dataset.fromObject(ctx.params.test);
  const { nEstimators, ...rest } = config.rf;
  const rf = new RandomForestClassifier({ ...rest, nEstimators: Math.min(step, nEstimators), seed });
  rf.fit(train);
  for (;;) {
    const metrics = {
      accuracy: rf.score(test),
      trees: rf.nTrees,
      nodes: rf.nodeCount,
      modelMiB: Math.round((rf.byteLength / 2 ** 20) * 100) / 100,
      node,
    };
    if (rf.nTrees >= nEstimators) return metrics;
    await ctx.report(metrics);
    rf.addTrees(Math.min(rf.nTrees, nEstimators - rf.nTrees));
  }
}
