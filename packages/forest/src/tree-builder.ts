import { drawByClass, drawWeights, groupByClass } from './bootstrap.js';
import { NodeStore } from './node-store.js';
import { Pruner, type PruningPath } from './prune.js';
import type { Random } from './random.js';
import { HistBuffer, SplitSearch, type NodeRows, type TrainingData } from './split-search.js';
import type { Tree } from './tree.js';

/** The options one tree is grown with, already resolved against the data. */
export interface GrowOptions {
  /** A depth no tree reaches for no limit. */
  readonly maxDepth: number;
  readonly minSamplesSplit: number;
  readonly minSamplesLeaf: number;
  /** Features drawn per split (a count). */
  readonly maxFeatures: number;
  readonly bootstrap: boolean;
  /** Bootstrap draws per tree. */
  readonly nSamples: number;
  readonly entropy: boolean;
  /** Cost-complexity pruning threshold; 0 for none. */
  readonly ccpAlpha: number;
  readonly minImpurityDecrease: number;
  /** Most leaves (best-first growth); 0 for no limit (depth-first growth). */
  readonly maxLeafNodes: number;
  /** Weight per class code in the trees (all 1 for none); per tree for balanced_subsample. */
  readonly classWeight: Float64Array;
  /** Probability that one bootstrap draw takes a row of each class; null for uniform draws. */
  readonly classDraw: Float64Array | null;
  /** classWeight 'balanced_subsample' with bootstrap: weights from each tree's sample. */
  readonly balancedSubsample: boolean;
}

/** Bytes per node of a finished Tree: feature, threshold, binThreshold, left, right. */
const NODE_BYTES = 4 + 8 + 1 + 4 + 4;
/** scikit-learn's tolerance on impurity decreases (float64 machine epsilon). */
const EPSILON = 2.220446049250313e-16;
/** Best-first growth keeps the histograms of at most this many waiting nodes (about 100 KB each on Covertype). */
const BEST_FIRST_BUFFERS = 32;

/** A node whose best split is known, waiting on the stack to be partitioned. */
class Pending {
  constructor(
    readonly node: number,
    readonly start: number,
    readonly end: number,
    readonly depth: number,
    /** Its histograms, or a copy of only its constant-feature marks (best-first, see BEST_FIRST_BUFFERS). */
    public buf: HistBuffer,
    readonly feature: number,
    readonly bin: number,
    readonly improvement: number,
    /** Class weights of the left and right children, known from the split. */
    readonly leftCounts: Float64Array,
    readonly rightCounts: Float64Array,
  ) {}
}

/**
 * Grows trees depth-first on one TrainingData, reusing its buffers from tree to tree.
 * The in-bag rows are copied into node order (see NodeRows) and partitioned in place,
 * stably, at every split.
 */
export class TreeBuilder {
  private readonly weight: Int32Array;
  private readonly nr: NodeRows;
  private readonly tmp: NodeRows;
  private readonly search: SplitSearch;
  private readonly store: NodeStore;
  private readonly pool: HistBuffer[] = [];
  /** Class-count arrays of pending splits, reused: typed-array allocation is not free. */
  private readonly countPool: Float64Array[] = [];
  private readonly feats: Int32Array;
  private readonly batch: Int32Array;
  private readonly pruner = new Pruner();
  /** Weighted sample count of the current tree's root (scikit-learn's weighted_n_samples). */
  private rootW = 0;

  constructor(
    private readonly data: TrainingData,
    private readonly opts: GrowOptions,
  ) {
    const n = data.nRows;
    this.weight = new Int32Array(n);
    this.nr = nodeRows(n, data.rowWords);
    this.tmp = nodeRows(n, data.rowWords);
    this.search = new SplitSearch(data, opts.entropy, opts.minSamplesLeaf);
    this.search.classWeight.set(opts.classWeight);
    this.search.weighted = opts.classWeight.some((w) => w !== 1) || opts.balancedSubsample;
    this.store = new NodeStore(data.nClasses);
    this.feats = new Int32Array(data.nFeatures);
    this.batch = new Int32Array(data.nFeatures);
  }

  private acquire(from: HistBuffer | null): HistBuffer {
    const b = this.pool.pop() ?? new HistBuffer(this.search.histSize, this.data.nFeatures);
    b.valid.fill(0);
    if (from === null) b.isConst.fill(0);
    else b.isConst.set(from.isConst);
    return b;
  }

  /** Rows of each class, grouped (rowsByClass[classStart[c]..classStart[c+1])), for weighted draws. */
  private byClass: { rows: Int32Array; start: Int32Array } | null = null;

  /** Bootstrap by integer weights (how often each row was drawn); returns the in-bag count. */
  private sample(rng: Random): number {
    const { nRows, codes, rowBins, rowWords } = this.data;
    const w = this.weight;
    const classDraw = this.opts.classDraw;
    if (this.opts.bootstrap && classDraw !== null) {
      this.byClass ??= groupByClass(codes, this.data.nClasses);
      drawByClass(w, this.opts.nSamples, classDraw, this.byClass.rows, this.byClass.start, rng);
    } else if (this.opts.bootstrap) drawWeights(w, nRows, this.opts.nSamples, rng);
    else w.fill(1);
    return gatherRows(w, codes, rowBins, rowWords, this.nr);
  }

  /** How often each training row is in the last tree's bootstrap sample (0: out of bag). */
  get inBag(): Int32Array {
    return this.weight;
  }

  /** Seconds spent pruning since this builder was made. */
  pruneSeconds = 0;
  /** Nodes of the last tree pruned, before pruning. */
  grownNodes = 0;
  /** Bytes the last tree pruned would have had as a finished unpruned tree (importances aside). */
  grownBytes = 0;

  /** Bytes of the reusable node store and pruning arrays (for the memory figures). */
  get workBytes(): { store: number; pruner: number; prunerBorrowed: boolean } {
    return {
      store: this.store.byteLength,
      pruner: this.pruner.byteLength,
      prunerBorrowed: this.pruner.borrowed,
    };
  }

  /** Grows one tree with `rng` drawing its bootstrap sample and its split features, pruned at ccpAlpha. */
  grow(rng: Random): Tree {
    this.growInStore(rng);
    if (this.opts.ccpAlpha > 0) {
      this.grownNodes = this.store.nNodes;
      this.grownBytes = this.store.nNodes * NODE_BYTES + this.store.nLeaves * this.data.nClasses * 4;
      const t0 = performance.now();
      // The partition buffer is idle between trees: the pruner works in it.
      const values = this.pruner.prune(this.store, this.opts.ccpAlpha, this.tmp.words.buffer);
      this.pruneSeconds += (performance.now() - t0) / 1000;
      return this.store.finish(this.data.nFeatures, values);
    }
    return this.store.finish(this.data.nFeatures);
  }

  /** Grows the tree that {@link grow} would grow from `rng`, unpruned, and returns its pruning path. */
  pruningPath(rng: Random): PruningPath {
    this.growInStore(rng);
    return this.pruner.path(this.store, this.tmp.words.buffer);
  }

  private growInStore(rng: Random): void {
    const n = this.sample(rng);
    if (this.opts.balancedSubsample) this.subsampleWeights();
    // Every tree starts from the same feature order, so tree i depends only on (seed, i).
    for (let f = 0; f < this.feats.length; f++) this.feats[f] = f;
    const store = this.store;
    store.reset();
    const root = store.add();
    const rootBuf = this.acquire(null);
    this.rootW = 0;
    const first = this.evaluate(root, 0, n, 0, null, rootBuf, null, null, rng);
    if (first === null) this.pool.push(rootBuf);
    else if (this.opts.maxLeafNodes > 0) this.growBestFirst(first, rng);
    else this.growDepthFirst(first, rng);
  }

  /** scikit-learn's 'balanced_subsample': n / (classes present * count), on the bootstrap sample. */
  private subsampleWeights(): void {
    const k = this.data.nClasses;
    const counts = new Float64Array(k);
    const w = this.weight;
    const codes = this.data.codes;
    for (let r = 0; r < w.length; r++) counts[codes[r]!] = counts[codes[r]!]! + w[r]!;
    let present = 0;
    let total = 0;
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) present++;
      total += counts[c]!;
    }
    const cw = this.search.classWeight;
    for (let c = 0; c < k; c++) cw[c] = counts[c]! > 0 ? total / (present * counts[c]!) : 0;
  }

  private growDepthFirst(first: Pending, rng: Random): void {
    const stack: Pending[] = [first];
    while (stack.length > 0) {
      const t = stack.pop()!;
      const [small, big] = this.split(t, rng);
      if (big) stack.push(big);
      if (small) stack.push(small);
    }
  }

  /**
   * scikit-learn's best-first growth: the waiting node whose split decreases the impurity
   * most is split next, until maxLeafNodes - 1 splits are made; the rest become leaves.
   */
  private growBestFirst(first: Pending, rng: Random): void {
    const frontier: Pending[] = [];
    let buffers = 0;
    const add = (p: Pending): void => {
      if (buffers < BEST_FIRST_BUFFERS) buffers++;
      else {
        const light = new HistBuffer(0, this.data.nFeatures);
        light.isConst.set(p.buf.isConst);
        this.pool.push(p.buf);
        p.buf = light;
      }
      heapPush(frontier, p);
    };
    add(first);
    let splits = this.opts.maxLeafNodes - 1;
    while (frontier.length > 0) {
      const t = heapPop(frontier);
      if (t.buf.hist.length > 0) buffers--;
      if (splits <= 0) {
        for (let c = 0; c < t.leftCounts.length; c++) t.leftCounts[c] = t.leftCounts[c]! + t.rightCounts[c]!;
        this.store.setLeaf(t.node, t.leftCounts, this.search.classWeight);
        this.release(t);
        continue;
      }
      splits--;
      const [small, big] = this.split(t, rng);
      if (small) add(small);
      if (big) add(big);
    }
  }

  private release(t: Pending): void {
    if (t.buf.hist.length > 0) this.pool.push(t.buf);
    this.countPool.push(t.leftCounts, t.rightCounts);
  }

  /** Splits a waiting node: partitions its rows and evaluates both children. */
  private split(t: Pending, rng: Random): [Pending | null, Pending | null] {
    const store = this.store;
    const { edges, edgeOffsets } = this.data;
    const mid = this.partition(t.start, t.end, t.feature, t.bin);
    const l = store.add();
    const r = store.add();
    store.setSplit(t.node, t.feature, edges[edgeOffsets[t.feature]! + t.bin]!, t.bin, l, r);
    // The smaller child builds its histograms; the larger one subtracts them from the parent's.
    const leftSmall = mid - t.start <= t.end - mid;
    const smallBuf = this.acquire(t.buf);
    const d = t.depth + 1;
    const small = leftSmall
      ? this.evaluate(l, t.start, mid, d, t.leftCounts, smallBuf, null, null, rng)
      : this.evaluate(r, mid, t.end, d, t.rightCounts, smallBuf, null, null, rng);
    const bigBuf = this.acquire(t.buf);
    const big = leftSmall
      ? this.evaluate(r, mid, t.end, d, t.rightCounts, bigBuf, t.buf, smallBuf, rng)
      : this.evaluate(l, t.start, mid, d, t.leftCounts, bigBuf, t.buf, smallBuf, rng);
    this.release(t);
    if (!big) this.pool.push(bigBuf);
    if (!small) this.pool.push(smallBuf);
    return [small, big];
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
    counts: Float64Array | null,
    buf: HistBuffer,
    parent: HistBuffer | null,
    sibling: HistBuffer | null,
    rng: Random,
  ): Pending | null {
    const o = this.opts;
    const s = this.search;
    const n = end - start;
    s.begin(this.nr, start, end, counts);
    const impurity = s.impurity(s.total, s.totalW);
    this.store.setStats(node, s.totalW, impurity);
    if (depth === 0) this.rootW = s.totalW;
    if (depth >= o.maxDepth || n < o.minSamplesSplit || n < 2 * o.minSamplesLeaf || impurity <= 1e-12) {
      this.store.setLeaf(node, s.total, s.classWeight);
      return null;
    }
    // Draw maxFeatures features without replacement; known constants count as drawn but
    // are not searched. The rest are searched in one batch; if all were constant, draw on
    // one at a time until one is not (scikit-learn's rule, same distribution of draws).
    const feats = this.feats;
    const batch = this.batch;
    const nf = feats.length;
    let drawn = 0;
    let m = 0;
    while (drawn < nf && drawn < o.maxFeatures) {
      const f = this.draw(drawn++, rng);
      if (buf.isConst[f] === 0) batch[m++] = f;
    }
    let found = s.searchFeatures(batch, m, this.nr, start, end, buf, parent, sibling);
    while (found === 0 && drawn < nf) {
      const f = this.draw(drawn++, rng);
      if (buf.isConst[f] === 1) continue;
      batch[0] = f;
      found = s.searchFeatures(batch, 1, this.nr, start, end, buf, parent, sibling);
    }
    if (s.bestFeature < 0) {
      this.store.setLeaf(node, s.total, s.classWeight);
      return null;
    }
    // Weighted impurity decrease: the order of best-first growth, and minImpurityDecrease.
    const left = this.countPool.pop() ?? new Float64Array(s.bestLeft.length);
    const right = this.countPool.pop() ?? new Float64Array(s.bestLeft.length);
    left.set(s.bestLeft);
    for (let c = 0; c < left.length; c++) right[c] = s.total[c]! - left[c]!;
    const w = s.totalW;
    const wL = s.weightOf(left);
    const wR = s.weightOf(right);
    const iL = s.impurity(left, wL);
    const iR = s.impurity(right, wR);
    const improvement = w * impurity - wL * iL - wR * iR;
    // scikit-learn's form of the same decrease, compared as it compares it.
    if (
      o.minImpurityDecrease > 0 &&
      (w / this.rootW) * (impurity - (wR / w) * iR - (wL / w) * iL) + EPSILON < o.minImpurityDecrease
    ) {
      this.countPool.push(left, right);
      this.store.setLeaf(node, s.total, s.classWeight);
      return null;
    }
    return new Pending(node, start, end, depth, buf, s.bestFeature, s.bestBin, improvement, left, right);
  }

  /** Partial Fisher-Yates: moves a uniformly drawn feature of feats[i..] to i and returns it. */
  private draw(i: number, rng: Random): number {
    const feats = this.feats;
    const j = i + rng.nextInt(feats.length - i);
    const f = feats[j]!;
    feats[j] = feats[i]!;
    feats[i] = f;
    return f;
  }

  /** Stable partition of [start, end) on bin <= threshold; returns where the right side begins. */
  private partition(start: number, end: number, f: number, bin: number): number {
    const rw = this.data.rowWords;
    const nr = this.nr;
    const t = this.tmp;
    const small = (end - start) * rw * 4 < COPY_MIN_BYTES;
    const l = small
      ? partitionPositions(nr, t, rw * 4, start, end, f, bin)
      : partitionRows(nr, t, rw, start, end, f, bin);
    // The right side waits in tmp from 0: append it after the left side.
    const k = end - l;
    if (small) nr.pos.set(t.pos.subarray(0, k), l);
    else nr.words.set(t.words.subarray(0, k * rw), l * rw);
    nr.ys.set(t.ys.subarray(0, k), l);
    nr.ws.set(t.ws.subarray(0, k), l);
    return l;
  }
}

/*
 * The hot loops below are free functions with nothing after the loop but `return`.
 * V8 compiles a long loop on the fly (on-stack replacement) before the code after it
 * has ever run; that code then has no type feedback and bails out of the compiled
 * version, and V8 (Node 20) keeps re-entering the same compiled loop on every call,
 * so whatever follows the loop ran interpreted on every tree. Measured with
 * `node --trace-deopt`: `sample` bailed out once per tree.
 */

/** Copies the in-bag rows (weight > 0) into node order; returns how many there are. */
function gatherRows(
  w: Int32Array,
  codes: Uint8Array,
  rowBins: Int32Array,
  rowWords: number,
  nr: NodeRows,
): number {
  const { words, pos, ys, ws } = nr;
  let n = 0;
  for (let r = 0; r < w.length; r++) {
    if (w[r] === 0) continue;
    pos[n] = n;
    for (let j = 0, a = n * rowWords, b = r * rowWords; j < rowWords; j++) words[a + j] = rowBins[b + j]!;
    ys[n] = codes[r]!;
    ws[n++] = w[r]!;
  }
  return n;
}

/**
 * Partition of a node too large for the cache: moves the rows themselves. Left rows
 * move down in place, right rows go to tmp from 0 (the caller appends them); returns
 * where the left side ends.
 */
function partitionRows(
  nr: NodeRows,
  t: NodeRows,
  rw: number,
  start: number,
  end: number,
  f: number,
  bin: number,
): number {
  const { words, bytes, ys, ws } = nr;
  const tw = t.words;
  const ty = t.ys;
  const tws = t.ws;
  const stride = rw * 4;
  let l = start;
  let k = 0;
  // A node this large has pos[i] = i: its rows are where its order says.
  for (let i = start; i < end; i++) {
    const src = i * rw;
    if (bytes[i * stride + f]! <= bin) {
      // l <= i: copying forward word by word never overwrites a row not yet read,
      // and while nothing went right yet the row is already in place.
      if (l !== i) {
        const dst = l * rw;
        for (let j = 0; j < rw; j++) words[dst + j] = words[src + j]!;
        ys[l] = ys[i]!;
        ws[l] = ws[i]!;
      }
      l++;
    } else {
      const dst = k * rw;
      for (let j = 0; j < rw; j++) tw[dst + j] = words[src + j]!;
      ty[k] = ys[i]!;
      tws[k++] = ws[i]!;
    }
  }
  return l;
}

/**
 * The same partition for a node that fits in cache: rows stay, positions move. Each
 * row is written to both sides and only the side it belongs to advances: a left/right
 * branch here is a coin toss the branch predictor loses half the time.
 */
function partitionPositions(
  nr: NodeRows,
  t: NodeRows,
  stride: number,
  start: number,
  end: number,
  f: number,
  bin: number,
): number {
  const { bytes, pos, ys, ws } = nr;
  const tp = t.pos;
  const ty = t.ys;
  const tw = t.ws;
  let l = start;
  let k = 0;
  for (let i = start; i < end; i++) {
    const p = pos[i]!;
    const y = ys[i]!;
    const w = ws[i]!;
    // 1 when bin(p) <= bin: the sign bit of (bin - b) is clear.
    const left = ((bin - bytes[p * stride + f]!) >>> 31) ^ 1;
    pos[l] = p;
    ys[l] = y;
    ws[l] = w;
    tp[k] = p;
    ty[k] = y;
    tw[k] = w;
    l += left;
    k += left ^ 1;
  }
  return l;
}

/** Nodes with at least this many bytes of rows move the rows; smaller ones move positions. */
const COPY_MIN_BYTES = 1 << 18;

function nodeRows(n: number, rowWords: number): NodeRows {
  const words = new Int32Array(n * rowWords);
  return {
    words,
    bytes: new Uint8Array(words.buffer),
    pos: new Int32Array(n),
    ys: new Uint8Array(n),
    ws: new Int32Array(n),
  };
}

/** Max-heap of waiting nodes on their impurity decrease (best-first growth). */
function heapPush(h: Pending[], p: Pending): void {
  let i = h.length;
  h.push(p);
  while (i > 0) {
    const q = (i - 1) >> 1;
    if (h[q]!.improvement >= p.improvement) break;
    h[i] = h[q]!;
    i = q;
  }
  h[i] = p;
}

function heapPop(h: Pending[]): Pending {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length === 0) return top;
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= h.length) break;
    if (c + 1 < h.length && h[c + 1]!.improvement > h[c]!.improvement) c++;
    if (h[c]!.improvement <= last.improvement) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = last;
  return top;
}
