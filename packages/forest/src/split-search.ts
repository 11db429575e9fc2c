/** Everything a tree is grown from: a binned Dataset with class codes, ready for the hot loops. */
export interface TrainingData {
  /**
   * The same bins row-major, each row padded to `rowWords` 32-bit words so that rows move
   * as whole words: feature f of row r at byte r * rowWords * 4 + f.
   */
  readonly rowBins: Int32Array;
  readonly rowWords: number;
  readonly nRows: number;
  readonly nFeatures: number;
  /** Bins in use per feature. */
  readonly nBins: Int32Array;
  /** Class index (0..nClasses-1) per row. */
  readonly codes: Uint8Array;
  readonly nClasses: number;
  readonly edges: Float64Array;
  readonly edgeOffsets: Int32Array;
}

/**
 * The in-bag rows of the tree in node order: every node owns a contiguous range, holding
 * each row's padded bins (a copy, moved by every partition), class code and bootstrap
 * weight. Copying rows along costs sequential bandwidth; looking them up by index cost a
 * cache miss per row and feature, which was most of the time on 581k rows, but only
 * while the node is larger than the cache (see `pos`).
 */
export interface NodeRows {
  /** Row i's bins at words [i * rowWords, (i + 1) * rowWords). */
  readonly words: Int32Array;
  /** The same memory as bytes: feature f of row i at i * rowWords * 4 + f. */
  readonly bytes: Uint8Array;
  /**
   * Where the i-th row of node order lies in `words`. Large nodes move the rows
   * themselves (pos[i] = i there); once a node is small enough for its rows to stay in
   * cache, its subtree moves only these positions, which is cheaper.
   */
  readonly pos: Int32Array;
  readonly ys: Uint8Array;
  readonly ws: Int32Array;
}

/** Per-node histograms of every feature it computed, kept so a sibling can subtract. */
export class HistBuffer {
  /** Per feature, per bin: nClasses weighted counts then the unweighted row count. */
  readonly hist: Int32Array;
  /** 1 where `hist` holds this node's histogram of that feature. */
  readonly valid: Uint8Array;
  /** 1 for features known to be constant in this node (children inherit it). */
  readonly isConst: Uint8Array;
  constructor(size: number, nFeatures: number) {
    this.hist = new Int32Array(size);
    this.valid = new Uint8Array(nFeatures);
    this.isConst = new Uint8Array(nFeatures);
  }
}

/**
 * Finds the best split of one feature in one node, keeping the best seen so far.
 * Large nodes accumulate a histogram over the feature's bins (or subtract their sibling's
 * from their parent's); small nodes sort their few bin values instead, because clearing
 * and scanning 255 bins would cost more than the rows themselves.
 */
export class SplitSearch {
  /** Offset of each feature's histogram in a {@link HistBuffer}. */
  readonly featOffset: Int32Array;
  readonly histSize: number;
  private readonly stride: number;
  private keys: Int32Array;
  // Features of the current batch that need a histogram pass, and their offsets.
  private readonly dense: Int32Array;
  private readonly denseOff: Int32Array;
  private readonly left: Float64Array;
  private readonly right: Float64Array;
  /** Class counts (bootstrap multiplicities) of the node being searched. */
  readonly total: Float64Array;
  /** Their sum, unweighted: what tells an empty bin. */
  totalC = 0;
  /** The node's weighted sample count: counts times class weights, summed. */
  totalW = 0;
  /**
   * Weight of each class (classWeight; all 1 without). Histograms hold plain counts and
   * the weights apply where impurities are computed: a class weight is the same for every
   * row of its class, so weighting the counts weights the rows.
   */
  classWeight: Float64Array;
  /** False while every class weight is 1 (the split scores then skip the multiplications). */
  weighted = false;
  nodeN = 0;
  // The best split found in this node so far.
  bestScore = -Infinity;
  bestFeature = -1;
  bestBin = 0;
  readonly bestLeft: Float64Array;
  bestLeftW = 0;

  constructor(
    private readonly data: TrainingData,
    private readonly entropy: boolean,
    private readonly minSamplesLeaf: number,
  ) {
    const k = data.nClasses;
    this.stride = k + 1;
    this.featOffset = new Int32Array(data.nFeatures);
    let off = 0;
    for (let f = 0; f < data.nFeatures; f++) {
      this.featOffset[f] = off;
      off += data.nBins[f]! * this.stride;
    }
    this.histSize = off;
    this.keys = new Int32Array(1024);
    this.dense = new Int32Array(data.nFeatures);
    this.denseOff = new Int32Array(data.nFeatures);
    this.left = new Float64Array(k);
    this.right = new Float64Array(k);
    this.total = new Float64Array(k);
    this.bestLeft = new Float64Array(k);
    this.classWeight = new Float64Array(k).fill(1);
  }

  /**
   * Starts a node and forgets the previous best split. Its class weights are `counts`
   * when the parent's split already gave them, else summed over its rows.
   */
  begin(nr: NodeRows, start: number, end: number, counts: Float64Array | null): void {
    const total = this.total;
    let w = 0;
    if (counts !== null) {
      total.set(counts);
      for (let c = 0; c < total.length; c++) w += total[c]!;
    } else {
      total.fill(0);
      const { ys, ws } = nr;
      for (let i = start; i < end; i++) {
        const y = ys[i]!;
        total[y] = total[y]! + ws[i]!;
        w += ws[i]!;
      }
    }
    this.totalC = w;
    this.totalW = this.weightOf(total);
    this.nodeN = end - start;
    this.bestScore = -Infinity;
    this.bestFeature = -1;
  }

  /** Weighted sample count of class counts `counts`. */
  weightOf(counts: Float64Array): number {
    const cw = this.classWeight;
    let w = 0;
    for (let c = 0; c < counts.length; c++) w += counts[c]! * cw[c]!;
    return w;
  }

  /**
   * Impurity (gini or entropy, as scikit-learn computes them: entropy in bits as
   * ln(p) / ln(2)) of class counts `counts` whose weighted sum is `w`.
   */
  impurity(counts: Float64Array, w: number): number {
    const k = counts.length;
    const cw = this.classWeight;
    let s = 0;
    if (this.entropy) {
      for (let c = 0; c < k; c++) {
        const p = (counts[c]! * cw[c]!) / w;
        if (p > 0) s -= p * (Math.log(p) / Math.LN2);
      }
      return s;
    }
    for (let c = 0; c < k; c++) {
      const x = counts[c]! * cw[c]!;
      s += x * x;
    }
    return 1 - s / (w * w);
  }

  /**
   * Searches features `fs[0..m)` over rows [start, end) and marks those constant there in
   * `buf.isConst`; returns how many were not constant. A feature whose histogram both
   * `parent` and `sibling` hold gets the difference; the others that need a histogram get
   * it in one pass over the rows (node-ordered rows: read in sequence, once for all of them).
   */
  searchFeatures(
    fs: Int32Array,
    m: number,
    nr: NodeRows,
    start: number,
    end: number,
    buf: HistBuffer,
    parent: HistBuffer | null,
    sibling: HistBuffer | null,
  ): number {
    const { nBins } = this.data;
    const n = end - start;
    const s = this.stride;
    const h = buf.hist;
    const dense = this.dense;
    const denseOff = this.denseOff;
    let nDense = 0;
    let nonConstant = 0;
    for (let j = 0; j < m; j++) {
      const f = fs[j]!;
      const nb = nBins[f]!;
      const off = this.featOffset[f]!;
      if (parent !== null && sibling !== null && parent.valid[f] === 1 && sibling.valid[f] === 1) {
        const ph = parent.hist;
        const sh = sibling.hist;
        for (let c = off, e = off + nb * s; c < e; c++) h[c] = ph[c]! - sh[c]!;
        buf.valid[f] = 1;
        if (this.scanHistogram(f, h, off, nb)) nonConstant++;
        else buf.isConst[f] = 1;
      } else if (n * n <= 2 * nb * s) {
        if (this.searchSorted(f, nr, start, end)) nonConstant++;
        else buf.isConst[f] = 1;
      } else {
        h.fill(0, off, off + nb * s);
        dense[nDense] = f;
        denseOff[nDense++] = off;
      }
    }
    if (nDense === 0) return nonConstant;
    this.accumulate(h, nDense, nr, start, end);
    for (let j = 0; j < nDense; j++) {
      const f = dense[j]!;
      buf.valid[f] = 1;
      if (this.scanHistogram(f, h, denseOff[j]!, nBins[f]!)) nonConstant++;
      else buf.isConst[f] = 1;
    }
    return nonConstant;
  }

  /**
   * Adds rows [start, end) to the histograms of the `m` features listed in `dense`.
   * Bin 0 is skipped (its cells stay 0; scanHistogram derives it from the node's totals):
   * most of Covertype's features are one-hot, so nearly every row is in bin 0, and
   * adding them all into one cell makes every add wait for the one before.
   */
  private accumulate(h: Int32Array, m: number, nr: NodeRows, start: number, end: number): void {
    const { bytes, pos, ys, ws } = nr;
    const stride = this.data.rowWords * 4;
    const s = this.stride;
    const k = s - 1;
    const dense = this.dense;
    const denseOff = this.denseOff;
    const counted = this.minSamplesLeaf > 1;
    if (!counted) {
      // No leaf-size rule to check: the weights alone tell empty bins (every weight >= 1).
      for (let i = start; i < end; i++) {
        const base = pos[i]! * stride;
        const y = ys[i]!;
        const w = ws[i]!;
        for (let j = 0; j < m; j++) {
          const b = bytes[base + dense[j]!]!;
          if (b !== 0) {
            const q = denseOff[j]! + b * s + y;
            h[q] = h[q]! + w;
          }
        }
      }
    } else {
      for (let i = start; i < end; i++) {
        const base = pos[i]! * stride;
        const y = ys[i]!;
        const w = ws[i]!;
        for (let j = 0; j < m; j++) {
          const b = bytes[base + dense[j]!]!;
          if (b !== 0) {
            const p = denseOff[j]! + b * s;
            h[p + y] = h[p + y]! + w;
            h[p + k] = h[p + k]! + 1;
          }
        }
      }
    }
  }

  /**
   * Scans a histogram from the last bin down, accumulating the right side; bin 0 holds
   * what the other bins do not (accumulate never fills it). Returns false when only one
   * bin is non-empty, i.e. the feature is constant in this node.
   */
  private scanHistogram(f: number, h: Int32Array, off: number, nb: number): boolean {
    const s = this.stride;
    const k = s - 1;
    const n = this.nodeN;
    const total = this.total;
    const left = this.left;
    const right = this.right;
    const totalW = this.totalC;
    // With minSamplesLeaf 1 the count slot is not kept (see accumulate): a bin's weight
    // tells whether it is empty, and leaf sizes are then never checked.
    const counted = this.minSamplesLeaf > 1;
    right.fill(0);
    let rightW = 0;
    let rightN = 0;
    let next = -1;
    let nonEmpty = 0;
    for (let b = nb - 1; b >= 1; b--) {
      const p = off + b * s;
      let w = 0;
      for (let c = 0; c < k; c++) w += h[p + c]!;
      if (w === 0) continue;
      if (next >= 0) {
        for (let c = 0; c < k; c++) left[c] = total[c]! - right[c]!;
        this.consider(f, b, next, n - rightN, rightN, totalW - rightW);
      }
      next = b;
      nonEmpty++;
      for (let c = 0; c < k; c++) right[c] = right[c]! + h[p + c]!;
      rightW += w;
      rightN += counted ? h[p + k]! : 1;
    }
    if (totalW - rightW > 0) {
      nonEmpty++;
      if (next >= 0) {
        for (let c = 0; c < k; c++) left[c] = total[c]! - right[c]!;
        this.consider(f, 0, next, n - rightN, rightN, totalW - rightW);
      }
    }
    return nonEmpty > 1;
  }

  private searchSorted(f: number, nr: NodeRows, start: number, end: number): boolean {
    const n = end - start;
    let keys = this.keys;
    if (keys.length < n) keys = this.keys = new Int32Array(n * 2);
    const { bytes, pos, ys, ws } = nr;
    const stride = this.data.rowWords * 4;
    // Key = bin << 16 | position; n is small here (n * n <= 2 * 255 * 256), so it fits.
    for (let i = 0; i < n; i++) {
      const key = (bytes[pos[start + i]! * stride + f]! << 16) | i;
      let j = i - 1;
      while (j >= 0 && keys[j]! > key) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = key;
    }
    if (keys[0]! >>> 16 === keys[n - 1]! >>> 16) return false;
    const left = this.left;
    left.fill(0);
    let leftW = 0;
    let prev = keys[0]! >>> 16;
    for (let j = 0; j < n; j++) {
      const key = keys[j]!;
      const b = key >>> 16;
      if (b !== prev) {
        this.consider(f, prev, b, j, n - j, leftW);
        prev = b;
      }
      const i = start + (key & 0xffff);
      const y = ys[i]!;
      left[y] = left[y]! + ws[i]!;
      leftW += ws[i]!;
    }
    return true;
  }

  /**
   * Scores the split between non-empty bins `lo` and `hi` (left = bins <= the chosen one).
   * The threshold bin is midway between them, as scikit-learn puts its threshold midway
   * between the two values it separates.
   */
  private consider(f: number, lo: number, hi: number, nL: number, nR: number, countL: number): void {
    const msl = this.minSamplesLeaf;
    if (nL < msl || nR < msl) return;
    // Kept small enough for V8 to inline into the scans; class weights score apart.
    if (this.weighted) {
      this.considerWeighted(f, lo, hi);
      return;
    }
    const left = this.left;
    const total = this.total;
    const k = left.length;
    const wL = countL;
    const wR = this.totalC - wL;
    let score: number;
    if (this.entropy) {
      // Maximize -(wL * H(L) + wR * H(R)), in nats; the scale does not change the argmax.
      let s = -wL * Math.log(wL) - wR * Math.log(wR);
      for (let c = 0; c < k; c++) {
        const l = left[c]!;
        const r = total[c]! - l;
        if (l > 0) s += l * Math.log(l);
        if (r > 0) s += r * Math.log(r);
      }
      score = s;
    } else {
      // Gini: minimizing wL * gini(L) + wR * gini(R) is maximizing sumsq(L)/wL + sumsq(R)/wR.
      let sl = 0;
      let sr = 0;
      for (let c = 0; c < k; c++) {
        const l = left[c]!;
        const r = total[c]! - l;
        sl += l * l;
        sr += r * r;
      }
      score = sl / wL + sr / wR;
    }
    if (score > this.bestScore) this.keep(f, lo, hi, score, wL);
  }

  /** {@link consider} with class weights: the counts of class c weigh classWeight[c] each. */
  private considerWeighted(f: number, lo: number, hi: number): void {
    const left = this.left;
    const total = this.total;
    const cw = this.classWeight;
    const k = left.length;
    let wL = 0;
    let wR = 0;
    let score: number;
    if (this.entropy) {
      let s = 0;
      for (let c = 0; c < k; c++) {
        const l = left[c]! * cw[c]!;
        const r = (total[c]! - left[c]!) * cw[c]!;
        wL += l;
        wR += r;
        if (l > 0) s += l * Math.log(l);
        if (r > 0) s += r * Math.log(r);
      }
      score = s - wL * Math.log(wL) - wR * Math.log(wR);
    } else {
      let sl = 0;
      let sr = 0;
      for (let c = 0; c < k; c++) {
        const l = left[c]! * cw[c]!;
        const r = (total[c]! - left[c]!) * cw[c]!;
        wL += l;
        wR += r;
        sl += l * l;
        sr += r * r;
      }
      score = sl / wL + sr / wR;
    }
    if (score > this.bestScore) this.keep(f, lo, hi, score, wL);
  }

  private keep(f: number, lo: number, hi: number, score: number, wL: number): void {
    this.bestScore = score;
    this.bestFeature = f;
    this.bestBin = (lo + hi - 1) >> 1;
    this.bestLeft.set(this.left);
    this.bestLeftW = wL;
  }
}
