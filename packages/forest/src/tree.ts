/**
 * One fitted tree in flat typed arrays (node 0 is the root): no node objects, so that
 * prediction walks contiguous memory and a tree serializes as a handful of arrays.
 */
export interface Tree {
  /** Split feature per node; -1 marks a leaf. */
  readonly feature: Int32Array;
  /** Raw-value threshold per internal node: rows with x[feature] <= threshold go left. */
  readonly threshold: Float64Array;
  /** The same threshold as a bin index, for binned rows: bin <= binThreshold goes left. */
  readonly binThreshold: Uint8Array;
  /** Left child per internal node; for a leaf, its index into `values`. */
  readonly left: Int32Array;
  /** Right child per internal node. */
  readonly right: Int32Array;
  /** Class probabilities of every leaf, nClasses per leaf. */
  readonly values: Float32Array;
  /** Mean decrease in impurity per feature, normalized to sum 1 (all 0 for a one-leaf tree). */
  readonly importances: Float64Array;
}

/** Adds each tree's leaf probabilities for row-major raw rows into out (nRows x nClasses). */
export function accumulateRaw(
  tree: Tree,
  data: Float32Array | Float64Array,
  nRows: number,
  nFeatures: number,
  nClasses: number,
  out: Float64Array,
): void {
  const { feature, threshold, left, right, values } = tree;
  for (let r = 0; r < nRows; r++) {
    const base = r * nFeatures;
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      node = data[base + f]! <= threshold[node]! ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    const v = left[node]! * nClasses;
    const o = r * nClasses;
    for (let c = 0; c < nClasses; c++) out[o + c] = out[o + c]! + values[v + c]!;
  }
}

/** Like {@link accumulateRaw} for column-major binned rows (a Dataset with the forest's edges). */
export function accumulateBinned(
  tree: Tree,
  bins: Uint8Array,
  nRows: number,
  nClasses: number,
  out: Float64Array,
): void {
  const { feature, binThreshold, left, right, values } = tree;
  for (let r = 0; r < nRows; r++) {
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      node = bins[f * nRows + r]! <= binThreshold[node]! ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    const v = left[node]! * nClasses;
    const o = r * nClasses;
    for (let c = 0; c < nClasses; c++) out[o + c] = out[o + c]! + values[v + c]!;
  }
}
