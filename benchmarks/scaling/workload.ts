// The scaling benchmark's fixed workload: 24 equal trials, each fitting one forest of a fixed
// size on the same binned Covertype split, with a different seed.
import { Dataset, type DatasetObject } from '@de2/forest';
import type { TrialContext } from '@de2/tune';
import {
  SAMPLE_PATH,
  loadCovertype,
  stratifiedSample,
  stratifiedSplit,
  takeRows,
} from '../../examples/covertype/index.js';

export const TRIALS = 24;

/** One trial's forest: the same shape for all 24, only the seed differs. */
export interface TrialConfig {
  seed: number;
  nEstimators: number;
  maxDepth: number | null;
}

export interface Split {
  train: DatasetObject;
  test: DatasetObject;
}

export function configs(trees: number): TrialConfig[] {
  return Array.from({ length: TRIALS }, (_v, seed) => ({ seed, nEstimators: trees, maxDepth: null }));
}

/** Loads the data once, samples `rows` by class if asked, splits 80/20 by class, bins once. */
export async function prepareSplit(
  file: string | undefined,
  rows: number | undefined,
): Promise<Split & { rows: number }> {
  let data = await loadCovertype(file ?? SAMPLE_PATH);
  if (rows !== undefined && rows < data.nRows)
    data = takeRows(data, stratifiedSample(rows, data.labels, { seed: 0 }));
  const split = stratifiedSplit(data.labels, { testFraction: 0.2, seed: 0 });
  const tr = takeRows(data, split.train);
  const te = takeRows(data, split.test);
  const train = Dataset.fromMatrix(tr.features, tr.labels, { nFeatures: data.nFeatures });
  const test = Dataset.fromMatrix(te.features, te.labels, { nFeatures: data.nFeatures, reference: train });
  const plain = (d: Dataset): DatasetObject => ({
    bins: d.bins,
    edges: d.edges,
    edgeOffsets: d.edgeOffsets,
    y: d.y,
  });
  return { train: plain(train), test: plain(test), rows: data.nRows };
}

/** The de2 Tune trial (shipped by source: imports inside). */
export async function fitTrial(
  config: { trial: TrialConfig },
  ctx: TrialContext<{ train: DatasetObject; test: DatasetObject }>,
): Promise<{ accuracy: number }> {
  const { Dataset, RandomForestClassifier } = await import('@de2/forest');
  const rf = new RandomForestClassifier(config.trial).fit(Dataset.fromObject(ctx.params.train));
  return { accuracy: rf.score(Dataset.fromObject(ctx.params.test)) };
}
