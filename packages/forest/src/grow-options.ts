import type { ResolvedForestOptions } from './options.js';
import type { GrowOptions } from './tree-builder.js';

/** Depth that no tree reaches (rows are fewer than 2^30). */
const UNLIMITED_DEPTH = 0x3fffffff;

/** Turns the forest options into per-tree counts for data of this shape (as scikit-learn does at fit). */
export function resolveGrowOptions(o: ResolvedForestOptions, nRows: number, nFeatures: number): GrowOptions {
  let maxFeatures: number;
  const mf = o.maxFeatures;
  if (mf === null) maxFeatures = nFeatures;
  else if (mf === 'sqrt') maxFeatures = Math.max(1, Math.floor(Math.sqrt(nFeatures)));
  else if (mf === 'log2') maxFeatures = Math.max(1, Math.floor(Math.log2(nFeatures)));
  else if (mf <= 1) maxFeatures = Math.max(1, Math.floor(mf * nFeatures));
  else if (mf > nFeatures) {
    throw new RangeError(`options.maxFeatures must be at most nFeatures (${nFeatures}), got ${mf}`);
  } else maxFeatures = mf;
  let nSamples = nRows;
  const ms = o.maxSamples;
  if (ms !== null && ms <= 1) nSamples = Math.max(1, Math.round(ms * nRows));
  else if (ms !== null) {
    if (ms > nRows) throw new RangeError(`options.maxSamples must be at most the ${nRows} rows, got ${ms}`);
    nSamples = ms;
  }
  return {
    // A small integer even when unlimited: a double here would change the field's
    // representation between fits and deoptimize the builder's hot code.
    maxDepth: o.maxDepth ?? UNLIMITED_DEPTH,
    minSamplesSplit: o.minSamplesSplit,
    minSamplesLeaf: o.minSamplesLeaf,
    maxFeatures,
    bootstrap: o.bootstrap,
    nSamples,
    entropy: o.criterion === 'entropy',
  };
}
