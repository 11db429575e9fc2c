import type { Tree } from './tree.js';

/**
 * Growable flat storage of one tree while it is built, reused from tree to tree;
 * `finish()` trims it into a {@link Tree}. Beside the tree it keeps what pruning needs
 * (each node's weighted sample count and impurity) and the leaves' weighted class counts,
 * so a pruned node's class distribution is exact.
 */
export class NodeStore {
  feature = new Int32Array(1024);
  threshold = new Float64Array(1024);
  binThreshold = new Uint8Array(1024);
  left = new Int32Array(1024);
  right = new Int32Array(1024);
  /** Weighted sample count of each node (scikit-learn's weighted_n_node_samples). */
  weight = new Float64Array(1024);
  /** Impurity of each node. */
  impurity = new Float64Array(1024);
  /** Weighted class counts of every leaf, nClasses per leaf (normalized by `finish`). */
  counts = new Float64Array(1024);
  nNodes = 0;
  nLeaves = 0;

  constructor(readonly nClasses: number) {}

  reset(): void {
    this.nNodes = 0;
    this.nLeaves = 0;
  }

  /** Bytes this store holds now (its capacity, not only the nodes in use). */
  get byteLength(): number {
    return (
      this.feature.byteLength +
      this.threshold.byteLength +
      this.binThreshold.byteLength +
      this.left.byteLength +
      this.right.byteLength +
      this.weight.byteLength +
      this.impurity.byteLength +
      this.counts.byteLength
    );
  }

  /** Appends a node (a leaf until {@link setSplit}) with its weight and impurity; returns its index. */
  add(): number {
    if (this.nNodes === this.feature.length) {
      const cap = this.feature.length * 2;
      this.feature = grow(this.feature, new Int32Array(cap));
      this.threshold = grow(this.threshold, new Float64Array(cap));
      this.binThreshold = grow(this.binThreshold, new Uint8Array(cap));
      this.left = grow(this.left, new Int32Array(cap));
      this.right = grow(this.right, new Int32Array(cap));
      this.weight = grow(this.weight, new Float64Array(cap));
      this.impurity = grow(this.impurity, new Float64Array(cap));
    }
    const i = this.nNodes++;
    this.feature[i] = -1;
    return i;
  }

  setStats(node: number, weight: number, impurity: number): void {
    this.weight[node] = weight;
    this.impurity[node] = impurity;
  }

  setSplit(node: number, f: number, threshold: number, bin: number, left: number, right: number): void {
    this.feature[node] = f;
    this.threshold[node] = threshold;
    this.binThreshold[node] = bin;
    this.left[node] = left;
    this.right[node] = right;
  }

  /** Makes `node` a leaf with class counts `counts` weighted by `classWeight`. */
  setLeaf(node: number, counts: Float64Array, classWeight: Float64Array): void {
    const k = this.nClasses;
    if ((this.nLeaves + 1) * k > this.counts.length) {
      this.counts = grow(this.counts, new Float64Array(this.counts.length * 2 + k));
    }
    const o = this.nLeaves * k;
    for (let c = 0; c < k; c++) this.counts[o + c] = counts[c]! * classWeight[c]!;
    this.feature[node] = -1;
    this.left[node] = this.nLeaves++;
    this.right[node] = -1;
  }

  /**
   * The tree as trimmed typed arrays; `values` are the leaves' class probabilities, and
   * importances the mean decrease in impurity of its splits, normalized to sum 1.
   * `values` may be given (pruning computes them); else they come from the leaf counts.
   */
  finish(nFeatures: number, values?: Float32Array): Tree {
    const n = this.nNodes;
    const k = this.nClasses;
    let v = values;
    if (v === undefined) {
      v = new Float32Array(this.nLeaves * k);
      normalizeRows(this.counts, v, this.nLeaves, k);
    }
    return {
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      binThreshold: this.binThreshold.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      values: v,
      importances: this.importances(nFeatures),
    };
  }

  /** Weighted impurity decrease per feature over the internal nodes, normalized to sum 1. */
  importances(nFeatures: number): Float64Array {
    const out = new Float64Array(nFeatures);
    const { feature, left, right, weight, impurity } = this;
    for (let i = 0; i < this.nNodes; i++) {
      const f = feature[i]!;
      if (f < 0) continue;
      const l = left[i]!;
      const r = right[i]!;
      out[f] = out[f]! + (weight[i]! * impurity[i]! - weight[l]! * impurity[l]! - weight[r]! * impurity[r]!);
    }
    let sum = 0;
    for (let f = 0; f < nFeatures; f++) sum += out[f]!;
    if (sum > 0) for (let f = 0; f < nFeatures; f++) out[f] = out[f]! / sum;
    return out;
  }
}

/** Row-wise counts / their sum, into float32 probabilities. */
export function normalizeRows(counts: Float64Array, out: Float32Array, nRows: number, k: number): void {
  for (let r = 0; r < nRows; r++) {
    const o = r * k;
    let total = 0;
    for (let c = 0; c < k; c++) total += counts[o + c]!;
    for (let c = 0; c < k; c++) out[o + c] = counts[o + c]! / total;
  }
}

function grow<T extends Int32Array | Float64Array | Uint8Array | Float32Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
