import { NodeStore } from './node-store.js';
import type { Random } from './random.js';
import { HistBuffer, SplitSearch, type NodeRows, type TrainingData } from './split-search.js';
import type { Tree } from './tree.js';

/** The options one tree is grown with, already resolved against the data. */
export interface GrowOptions {
  /** Infinity for no limit. */
  readonly maxDepth: number;
  readonly minSamplesSplit: number;
  readonly minSamplesLeaf: number;
  /** Features drawn per split (a count). */
  readonly maxFeatures: number;
  readonly bootstrap: boolean;
  /** Bootstrap draws per tree. */
  readonly nSamples: number;
  readonly entropy: boolean;
}

/** A node whose best split is known, waiting on the stack to be partitioned. */
class Pending {
  constructor(
    readonly node: number,
    readonly start: number,
    readonly end: number,
    readonly depth: number,
    readonly buf: HistBuffer,
    readonly feature: number,
    readonly bin: number,
    readonly improvement: number,
  ) {}
}

/**
 * Grows trees depth-first on one TrainingData, reusing its buffers from tree to tree.
 * Rows are kept in one index array partitioned in place (stably, so every node's rows
 * stay in ascending order and the column reads move forward through memory).
 */
export class TreeBuilder {
  private readonly weight: Int32Array;
  private readonly nr: NodeRows;
  private readonly tmp: NodeRows;
  private readonly search: SplitSearch;
  private readonly store: NodeStore;
  private readonly pool: HistBuffer[] = [];
  private readonly counts: Float64Array;

  constructor(
    private readonly data: TrainingData,
    private readonly opts: GrowOptions,
  ) {
    const n = data.nRows;
    this.weight = new Int32Array(n);
    this.nr = { rows: new Int32Array(n), ys: new Uint8Array(n), ws: new Int32Array(n) };
    this.tmp = { rows: new Int32Array(n), ys: new Uint8Array(n), ws: new Int32Array(n) };
    this.search = new SplitSearch(data, opts.entropy, opts.minSamplesLeaf);
    this.store = new NodeStore(data.nClasses);
    this.counts = new Float64Array(data.nClasses);
  }

  private acquire(from: HistBuffer | null): HistBuffer {
    const b = this.pool.pop() ?? new HistBuffer(this.search.histSize, this.data.nFeatures);
    b.valid.fill(0);
    if (from === null) {
      for (let f = 0; f < b.feats.length; f++) b.feats[f] = f;
      b.nConst = 0;
    } else {
      b.feats.set(from.feats);
      b.nConst = from.nConst;
    }
    return b;
  }

  /** Bootstrap by integer weights (how often each row was drawn); returns the in-bag count. */
  private sample(rng: Random): number {
    const { nRows } = this.data;
    const w = this.weight;
    if (this.opts.bootstrap) {
      w.fill(0);
      for (let i = 0; i < this.opts.nSamples; i++) {
        const r = rng.nextInt(nRows);
        w[r] = w[r]! + 1;
      }
    } else w.fill(1);
    const { rows, ys, ws } = this.nr;
    const codes = this.data.codes;
    let n = 0;
    for (let r = 0; r < nRows; r++) {
      if (w[r] === 0) continue;
      rows[n] = r;
      ys[n] = codes[r]!;
      ws[n++] = w[r]!;
    }
    return n;
  }

  /** Grows one tree with `rng` drawing its bootstrap sample and its split features. */
  grow(rng: Random): Tree {
    const n = this.sample(rng);
    const store = this.store;
    store.reset();
    const importances = new Float64Array(this.data.nFeatures);
    const stack: Pending[] = [];
    const root = store.add();
    const rootBuf = this.acquire(null);
    const first = this.evaluate(root, 0, n, 0, rootBuf, null, null, rng);
    if (first) stack.push(first);
    else this.pool.push(rootBuf);
    const { edges, edgeOffsets } = this.data;
    while (stack.length > 0) {
      const t = stack.pop()!;
      const mid = this.partition(t.start, t.end, t.feature, t.bin);
      const l = store.add();
      const r = store.add();
      store.setSplit(t.node, t.feature, edges[edgeOffsets[t.feature]! + t.bin]!, t.bin, l, r);
      importances[t.feature] = importances[t.feature]! + t.improvement;
      // The smaller child builds its histograms; the larger one subtracts them from the parent's.
      const leftSmall = mid - t.start <= t.end - mid;
      const smallBuf = this.acquire(t.buf);
      const small = leftSmall
        ? this.evaluate(l, t.start, mid, t.depth + 1, smallBuf, null, null, rng)
        : this.evaluate(r, mid, t.end, t.depth + 1, smallBuf, null, null, rng);
      const bigBuf = this.acquire(t.buf);
      const big = leftSmall
        ? this.evaluate(r, mid, t.end, t.depth + 1, bigBuf, t.buf, smallBuf, rng)
        : this.evaluate(l, t.start, mid, t.depth + 1, bigBuf, t.buf, smallBuf, rng);
      this.pool.push(t.buf);
      if (big) stack.push(big);
      else this.pool.push(bigBuf);
      if (small) stack.push(small);
      else this.pool.push(smallBuf);
    }
    let sum = 0;
    for (let f = 0; f < importances.length; f++) sum += importances[f]!;
    if (sum > 0) for (let f = 0; f < importances.length; f++) importances[f] = importances[f]! / sum;
    return store.finish(importances);
  }

  /**
   * Finds the best split of a node, scikit-learn style: draw features at random without
   * replacement until `maxFeatures` were drawn (constant ones count, known ones are not
   * searched) and, if all of those were constant, on until one is not. Returns null and
   * writes a leaf when the node is not to be split.
   */
  private evaluate(
    node: number,
    start: number,
    end: number,
    depth: number,
    buf: HistBuffer,
    parent: HistBuffer | null,
    sibling: HistBuffer | null,
    rng: Random,
  ): Pending | null {
    const o = this.opts;
    const s = this.search;
    const n = end - start;
    s.begin(this.nr, start, end);
    const impurity = s.impurity(s.total, s.totalW);
    if (depth >= o.maxDepth || n < o.minSamplesSplit || n < 2 * o.minSamplesLeaf || impurity <= 1e-12) {
      this.store.setLeaf(node, s.total, s.totalW);
      return null;
    }
    const feats = buf.feats;
    const nKnown = buf.nConst;
    let nDrawnConst = 0;
    let nFoundConst = 0;
    let nTotalConst = nKnown;
    let fi = feats.length;
    let visited = 0;
    while (fi > nTotalConst && (visited < o.maxFeatures || visited <= nFoundConst + nDrawnConst)) {
      visited++;
      let fj = nDrawnConst + rng.nextInt(fi - nFoundConst - nDrawnConst);
      if (fj < nKnown) {
        swap(feats, nDrawnConst, fj);
        nDrawnConst++;
        continue;
      }
      fj += nFoundConst;
      if (!s.searchFeature(feats[fj]!, this.nr, start, end, buf, parent, sibling)) {
        swap(feats, fj, nTotalConst);
        nFoundConst++;
        nTotalConst++;
        continue;
      }
      fi--;
      swap(feats, fi, fj);
    }
    buf.nConst = nTotalConst;
    if (s.bestFeature < 0) {
      this.store.setLeaf(node, s.total, s.totalW);
      return null;
    }
    // Weighted impurity decrease, for featureImportances (mean decrease in impurity).
    const counts = this.counts;
    const wL = s.bestLeftW;
    const wR = s.totalW - wL;
    for (let c = 0; c < counts.length; c++) counts[c] = s.total[c]! - s.bestLeft[c]!;
    const improvement = s.totalW * impurity - wL * s.impurity(s.bestLeft, wL) - wR * s.impurity(counts, wR);
    return new Pending(node, start, end, depth, buf, s.bestFeature, s.bestBin, improvement);
  }

  /** Stable partition of [start, end) on bin <= threshold; returns where the right side begins. */
  private partition(start: number, end: number, f: number, bin: number): number {
    const { rows, ys, ws } = this.nr;
    const t = this.tmp;
    const bins = this.data.bins;
    const col = f * this.data.nRows;
    let l = start;
    let k = 0;
    for (let i = start; i < end; i++) {
      const r = rows[i]!;
      if (bins[col + r]! <= bin) {
        rows[l] = r;
        ys[l] = ys[i]!;
        ws[l++] = ws[i]!;
      } else {
        t.rows[k] = r;
        t.ys[k] = ys[i]!;
        t.ws[k++] = ws[i]!;
      }
    }
    rows.set(t.rows.subarray(0, k), l);
    ys.set(t.ys.subarray(0, k), l);
    ws.set(t.ws.subarray(0, k), l);
    return l;
  }
}

function swap(a: Int32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
