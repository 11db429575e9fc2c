import type { Tree } from './tree.js';

/** Growable flat storage of one tree while it is built; `finish()` trims it into a {@link Tree}. */
export class NodeStore {
  feature = new Int32Array(1024);
  threshold = new Float64Array(1024);
  binThreshold = new Uint8Array(1024);
  left = new Int32Array(1024);
  right = new Int32Array(1024);
  values = new Float32Array(1024);
  nNodes = 0;
  nLeaves = 0;

  constructor(readonly nClasses: number) {}

  reset(): void {
    this.nNodes = 0;
    this.nLeaves = 0;
  }

  /** Appends a node (a leaf until {@link setSplit}) and returns its index. */
  add(): number {
    if (this.nNodes === this.feature.length) {
      const cap = this.feature.length * 2;
      this.feature = grow(this.feature, new Int32Array(cap));
      this.threshold = grow(this.threshold, new Float64Array(cap));
      this.binThreshold = grow(this.binThreshold, new Uint8Array(cap));
      this.left = grow(this.left, new Int32Array(cap));
      this.right = grow(this.right, new Int32Array(cap));
    }
    const i = this.nNodes++;
    this.feature[i] = -1;
    return i;
  }

  setSplit(node: number, f: number, threshold: number, bin: number, left: number, right: number): void {
    this.feature[node] = f;
    this.threshold[node] = threshold;
    this.binThreshold[node] = bin;
    this.left[node] = left;
    this.right[node] = right;
  }

  /** Makes `node` a leaf with the class distribution counts / total. */
  setLeaf(node: number, counts: Float64Array, total: number): void {
    const k = this.nClasses;
    if ((this.nLeaves + 1) * k > this.values.length) {
      this.values = grow(this.values, new Float32Array(this.values.length * 2 + k));
    }
    const o = this.nLeaves * k;
    for (let c = 0; c < k; c++) this.values[o + c] = counts[c]! / total;
    this.feature[node] = -1;
    this.left[node] = this.nLeaves++;
    this.right[node] = -1;
  }

  finish(importances: Float64Array): Tree {
    const n = this.nNodes;
    return {
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      binThreshold: this.binThreshold.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      values: this.values.slice(0, this.nLeaves * this.nClasses),
      importances,
    };
  }
}

function grow<T extends Int32Array | Float64Array | Uint8Array | Float32Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
