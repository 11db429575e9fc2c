import type { ResolvedForestOptions } from './options.js';
import type { GrowOptions } from './tree-builder.js';

/** Depth that no tree reaches (rows are fewer than 2^30). */
const UNLIMITED_DEPTH = 0x3fffffff;

/**
 * Turns the forest options into per-tree counts for data of this shape (as scikit-learn
 * does at fit). `classes` are the labels, `codes` each row's class index.
 */
export function resolveGrowOptions(
  o: ResolvedForestOptions,
  nRows: number,
  nFeatures: number,
  classes: Int32Array,
  codes: Uint8Array,
): GrowOptions {
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
    ccpAlpha: o.ccpAlpha,
    minImpurityDecrease: o.minImpurityDecrease,
    maxLeafNodes: o.maxLeafNodes ?? 0,
    ...classWeighting(o, classes, codes),
    balancedSubsample: o.classWeight === 'balanced_subsample' && o.bootstrap,
  };
}

/**
 * Where class weights act, as in scikit-learn 1.9: with bootstrap, 'balanced' and a map
 * weigh the draw (a row is drawn with probability proportional to its class's weight) and
 * the trees count the drawn rows plainly; without bootstrap the trees weigh the rows.
 * ('balanced_subsample' with bootstrap draws uniformly and weighs each tree's sample.)
 */
function classWeighting(
  o: ResolvedForestOptions,
  classes: Int32Array,
  codes: Uint8Array,
): { classWeight: Float64Array; classDraw: Float64Array | null } {
  const cw = classWeights(o, classes, codes);
  if (!o.bootstrap || o.classWeight === null || o.classWeight === 'balanced_subsample') {
    return { classWeight: cw, classDraw: null };
  }
  const k = classes.length;
  const draw = new Float64Array(k);
  for (let r = 0; r < codes.length; r++) draw[codes[r]!] = draw[codes[r]!]! + cw[codes[r]!]!;
  let total = 0;
  for (let c = 0; c < k; c++) total += draw[c]!;
  for (let c = 0; c < k; c++) draw[c] = draw[c]! / total;
  return { classWeight: new Float64Array(k).fill(1), classDraw: draw };
}

/**
 * Weight per class index: 'balanced' is n / (n_classes * count of the class) over all
 * rows ('balanced_subsample' without bootstrap is the same; with it, each tree computes
 * its own); a map names weights by label, other classes weigh 1.
 */
function classWeights(o: ResolvedForestOptions, classes: Int32Array, codes: Uint8Array): Float64Array {
  const k = classes.length;
  const cw = new Float64Array(k).fill(1);
  const spec = o.classWeight;
  if (spec === null) return cw;
  if (spec === 'balanced' || spec === 'balanced_subsample') {
    const counts = new Float64Array(k);
    for (let r = 0; r < codes.length; r++) counts[codes[r]!] = counts[codes[r]!]! + 1;
    for (let c = 0; c < k; c++) cw[c] = codes.length / (k * counts[c]!);
    return cw;
  }
  const labels = Array.from(classes);
  let named = 0;
  for (let c = 0; c < k; c++) {
    const w = spec[labels[c]!];
    if (w !== undefined) {
      cw[c] = w;
      named++;
    }
  }
  const unknown = Object.keys(spec).filter((key) => !labels.includes(Number(key)));
  // As scikit-learn: labels the data lacks are an error only when some class was left unweighted.
  if (unknown.length > 0 && named < k) {
    throw new RangeError(
      `options.classWeight names ${unknown.join(', ')}, not a class of y (classes: ${labels.join(', ')}), while classes ${labels.filter((_, c) => spec[labels[c]!] === undefined).join(', ')} have no weight`,
    );
  }
  return cw;
}
