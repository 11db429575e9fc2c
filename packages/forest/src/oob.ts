import type { TrainingData } from './split-search.js';
import type { Tree } from './tree.js';

/**
 * Out-of-bag votes (scikit-learn's oob_score_): each training row collects the class
 * probabilities of the trees whose bootstrap sample left it out, tree by tree as they
 * are grown (the bootstrap weights are at hand then), so nothing is predicted twice.
 */
export class OutOfBag {
  private readonly sum: Float64Array;
  private readonly count: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(private readonly data: TrainingData) {
    this.sum = new Float64Array(data.nRows * data.nClasses);
    this.count = new Int32Array(data.nRows);
    this.bytes = new Uint8Array(data.rowBins.buffer, data.rowBins.byteOffset, data.rowBins.byteLength);
  }

  /** Adds `tree`'s votes for the rows whose bootstrap weight `inBag` is 0. */
  add(tree: Tree, inBag: Int32Array): void {
    accumulateOutOfBag(
      tree,
      this.bytes,
      this.data.rowWords * 4,
      inBag,
      this.data.nClasses,
      this.sum,
      this.count,
    );
  }

  /**
   * Mean out-of-bag class probabilities per row (nRows x nClasses); a row that was in
   * every tree's sample gets zeros, as in scikit-learn (which warns about it).
   */
  decisionFunction(): Float64Array {
    const k = this.data.nClasses;
    const out = new Float64Array(this.sum.length);
    for (let r = 0; r < this.count.length; r++) {
      const n = Math.max(1, this.count[r]!);
      for (let c = 0; c < k; c++) out[r * k + c] = this.sum[r * k + c]! / n;
    }
    return out;
  }

  /** Accuracy of the out-of-bag argmax (ties to the first class, as numpy's argmax). */
  score(): number {
    const k = this.data.nClasses;
    const p = this.decisionFunction();
    const codes = this.data.codes;
    let right = 0;
    for (let r = 0; r < codes.length; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (p[r * k + c]! > p[r * k + best]!) best = c;
      if (best === codes[r]) right++;
    }
    return right / codes.length;
  }

  /** Rows that no tree left out so far (their estimate is meaningless). */
  get rowsWithoutEstimate(): number {
    let n = 0;
    for (let r = 0; r < this.count.length; r++) if (this.count[r] === 0) n++;
    return n;
  }
}

function accumulateOutOfBag(
  tree: Tree,
  bytes: Uint8Array,
  stride: number,
  inBag: Int32Array,
  k: number,
  sum: Float64Array,
  count: Int32Array,
): void {
  const { feature, binThreshold, left, right, values } = tree;
  for (let r = 0; r < inBag.length; r++) {
    if (inBag[r] !== 0) continue;
    const base = r * stride;
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      node = bytes[base + f]! <= binThreshold[node]! ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    const v = left[node]! * k;
    const o = r * k;
    for (let c = 0; c < k; c++) sum[o + c] = sum[o + c]! + values[v + c]!;
    count[r] = count[r]! + 1;
  }
}
