import { binRows, computeEdges } from './binning.js';
import { Dataset, incompatibleDataset, type DatasetObject } from './dataset.js';
import { ForestError, ForestErrorCode, invalidInput } from './errors.js';
import { encodeLabels, toLabels, toRowMajor, type Labels, type Matrix } from './input.js';
import { resolveForestOptions, type RandomForestOptions, type ResolvedForestOptions } from './options.js';
import { Random } from './random.js';
import { parseForestJSON, treeFromJSON, treeToJSON, type ForestJSON } from './serialize.js';
import type { TrainingData } from './split-search.js';
import { accumulateBinned, accumulateRaw, type Tree } from './tree.js';
import { TreeBuilder, type GrowOptions } from './tree-builder.js';
import { resolveGrowOptions } from './grow-options.js';
import { OutOfBag } from './oob.js';
import type { PruningPath } from './prune.js';

/** Training rows binned row-major for the tree builder, with the edges and labels. */
interface Binned {
  readonly edges: Float64Array;
  readonly edgeOffsets: Int32Array;
  readonly y: Int32Array;
  readonly nRows: number;
  readonly rowWords: number;
  readonly rowBins: Int32Array;
}

/** What a fitted forest knows about the data it was fitted on. */
interface Model {
  readonly nFeatures: number;
  readonly classes: Int32Array;
  readonly edges: Float64Array;
  readonly edgeOffsets: Int32Array;
}

/**
 * A random forest classifier with scikit-learn's parameters and defaults (camelCased),
 * trained on histograms of binned features.
 *
 * The same `seed` and data give the same forest. Tree i is grown from its own random
 * stream (seed, i), so `fit` with 10 trees then `addTrees(10)` gives exactly the forest
 * that `fit` with 20 trees gives.
 *
 * @example
 * ```ts
 * import { RandomForestClassifier } from '@de2/forest';
 * const rf = new RandomForestClassifier({ nEstimators: 100, maxDepth: 20, seed: 0 });
 * rf.fit(X, y, 54);                      // X: row-major Float32Array, y: labels 1..7
 * rf.score(Xtest, yTest, 54);            // accuracy
 * rf.addTrees(50);                       // 150 trees now
 * const copy = RandomForestClassifier.fromJSON(JSON.stringify(rf));
 * ```
 */
export class RandomForestClassifier {
  /** The options with defaults applied. */
  readonly options: ResolvedForestOptions;
  private trees: Tree[] = [];
  private model: Model | null = null;
  private training: {
    data: TrainingData;
    builder: TreeBuilder;
    grow: GrowOptions;
    oob: OutOfBag | null;
  } | null = null;

  /** @throws TypeError or RangeError naming the bad option. */
  constructor(options: RandomForestOptions = {}) {
    this.options = resolveForestOptions(options);
    if (!this.options.bootstrap && this.options.maxSamples !== null) {
      throw new RangeError('options.maxSamples must be null when options.bootstrap is false');
    }
  }

  /** Number of trees grown so far. */
  get nTrees(): number {
    return this.trees.length;
  }

  /** Nodes (internal and leaves) of all trees: how big the forest has grown. */
  get nodeCount(): number {
    let n = 0;
    for (const t of this.trees) n += t.feature.length;
    return n;
  }

  /**
   * Bytes the fitted trees hold in their typed arrays (outside the JS heap): the memory
   * that grows with the forest, and what a memory budget sees of it.
   */
  get byteLength(): number {
    let bytes = 0;
    for (const t of this.trees) {
      for (const a of [t.feature, t.threshold, t.binThreshold, t.left, t.right, t.values, t.importances])
        bytes += a.byteLength;
    }
    return bytes;
  }

  /** The class labels, ascending: the column order of {@link predictProba}. */
  get classes(): Int32Array {
    return this.fitted().classes.slice();
  }

  /** Features per row the forest was fitted on. */
  get nFeatures(): number {
    return this.fitted().nFeatures;
  }

  /**
   * Mean decrease in impurity per feature, averaged over the trees and normalized to sum
   * 1 (scikit-learn's `feature_importances_`).
   */
  get featureImportances(): Float64Array {
    const m = this.fitted();
    const out = new Float64Array(m.nFeatures);
    for (const t of this.trees) {
      if (t.feature.length <= 1) continue; // a lone leaf says nothing, as in scikit-learn
      for (let f = 0; f < m.nFeatures; f++) out[f] = out[f]! + t.importances[f]!;
    }
    let sum = 0;
    for (let f = 0; f < out.length; f++) sum += out[f]!;
    if (sum > 0) for (let f = 0; f < out.length; f++) out[f] = out[f]! / sum;
    return out;
  }

  /**
   * Fits `nEstimators` new trees, replacing any earlier ones.
   * @param X a Dataset (labels from its `y`), a row-major Float32Array/Float64Array with
   *   `nFeatures`, or an array of rows.
   * @param y integer class labels, one per row (not with a Dataset).
   * @param nFeatures features per row, required for a typed-array X.
   * @throws ForestError with code INVALID_INPUT for NaN/Infinity, lengths that disagree,
   *   empty data, non-integer labels or a single class.
   */
  fit(X: Dataset | DatasetObject): this;
  fit(X: Float32Array | Float64Array, y: Labels, nFeatures: number): this;
  fit(X: readonly (readonly number[])[], y: Labels): this;
  fit(X: Matrix | DatasetObject, y?: Labels, nFeatures?: number): this {
    let binned: Binned;
    if (Dataset.isDatasetObject(X)) {
      if (y !== undefined) throw invalidInput('fit(dataset) takes the labels from dataset.y; pass no y');
      const ds = Dataset.fromObject(X);
      if (ds.y.length === 0) throw invalidInput('the Dataset has no labels (y is empty)');
      const rowWords = Math.ceil(ds.nFeatures / 4);
      binned = {
        ...ds.toObject(),
        nRows: ds.nRows,
        rowWords,
        rowBins: transpose(ds.bins, ds.nRows, ds.nFeatures),
      };
    } else {
      if (y === undefined) throw invalidInput('y is required with a matrix X');
      // As Dataset.fromMatrix, but binned straight into rows: no column-major copy.
      const m = toRowMajor(X, nFeatures);
      const labels = toLabels(y, m.nRows);
      const { edges, edgeOffsets } = computeEdges(m, this.options.maxBins);
      const rowWords = Math.ceil(m.nFeatures / 4);
      const rowBins = binRows(m, edges, edgeOffsets, rowWords);
      binned = { edges, edgeOffsets, y: labels, nRows: m.nRows, rowWords, rowBins };
    }
    const { edges, edgeOffsets, nRows } = binned;
    const nf = edgeOffsets.length - 1;
    const { classes, codes } = encodeLabels(binned.y);
    const nBins = new Int32Array(nf);
    for (let f = 0; f < nf; f++) nBins[f] = edgeOffsets[f + 1]! - edgeOffsets[f]! + 1;
    const data: TrainingData = {
      rowBins: binned.rowBins,
      rowWords: binned.rowWords,
      nRows,
      nFeatures: nf,
      nBins,
      codes,
      nClasses: classes.length,
      edges,
      edgeOffsets,
    };
    const grow = resolveGrowOptions(this.options, nRows, nf, classes, codes);
    const oob = this.options.oobScore ? new OutOfBag(data) : null;
    this.training = { data, builder: new TreeBuilder(data, grow), grow, oob };
    this.model = { nFeatures: nf, classes, edges, edgeOffsets };
    this.trees = [];
    return this.addTrees(this.options.nEstimators);
  }

  /**
   * Grows `k` more trees on the data of the last `fit` (warm start): a forest fitted with
   * n trees that then adds k equals one fitted with n + k trees.
   * @throws ForestError NOT_FITTED before `fit` (also on a forest loaded from JSON, which
   *   does not keep its training data).
   * @example
   * ```ts
   * const rf = new RandomForestClassifier({ nEstimators: 10 }).fit(train);
   * for (let trees = 10; trees < 100; trees += 10) {
   *   if (rf.score(test) > 0.95) break;   // a scheduler may stop here
   *   rf.addTrees(10);
   * }
   * ```
   */
  addTrees(k: number): this {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
    const t = this.training;
    if (t === null) {
      throw new ForestError(
        ForestErrorCode.NOT_FITTED,
        this.model
          ? 'this forest was loaded without its training data: call fit() to grow trees'
          : 'call fit() first',
      );
    }
    for (let i = 0; i < k; i++) {
      const tree = t.builder.grow(new Random(this.options.seed, this.trees.length));
      t.oob?.add(tree, t.builder.inBag);
      this.trees.push(tree);
    }
    return this;
  }

  /**
   * What fitting cost beside the trees, since the last `fit`: seconds spent pruning
   * (ccpAlpha; growing is the rest of the fit), the bytes of the work memory reused from
   * tree to tree (the node store a tree grows in, and the pruning arrays), and what the
   * last pruned tree would have weighed unpruned. For benchmarks and memory budgets.
   */
  get trainingStats(): {
    pruningSeconds: number;
    storeBytes: number;
    prunerBytes: number;
    lastGrownTreeBytes: number;
    lastGrownTreeNodes: number;
    /** True when pruning worked in the builder's idle partition buffer (prunerBytes then 0). */
    prunerBorrowed: boolean;
  } {
    const t = this.training;
    if (t === null) throw new ForestError(ForestErrorCode.NOT_FITTED, 'call fit() first');
    const { store, pruner } = t.builder.workBytes;
    return {
      pruningSeconds: t.builder.pruneSeconds,
      storeBytes: store,
      prunerBytes: pruner,
      lastGrownTreeBytes: t.builder.grownBytes,
      lastGrownTreeNodes: t.builder.grownNodes,
      prunerBorrowed: t.builder.workBytes.prunerBorrowed,
    };
  }

  /**
   * Accuracy on the out-of-bag rows (scikit-learn's `oob_score_`): each training row is
   * predicted by the trees whose bootstrap sample left it out. Kept up to date by
   * `addTrees`. Needs `oobScore: true` (and bootstrap); not kept by `toJSON`.
   * @throws ForestError NOT_FITTED without oobScore or before fit.
   */
  get oobScore(): number {
    return this.outOfBag().score();
  }

  /**
   * Out-of-bag class probabilities per training row, row-major (nRows x classes.length):
   * scikit-learn's `oob_decision_function_`. A row no tree left out has zeros.
   */
  get oobDecisionFunction(): Float64Array {
    return this.outOfBag().decisionFunction();
  }

  private outOfBag(): OutOfBag {
    const oob = this.training?.oob;
    if (oob) return oob;
    throw new ForestError(
      ForestErrorCode.NOT_FITTED,
      this.options.oobScore
        ? 'out-of-bag estimates exist only on a forest fitted in this process: call fit() first'
        : 'out-of-bag estimates need options.oobScore: true when the forest is fitted',
    );
  }

  /**
   * The minimal cost-complexity pruning path of tree `tree` as grown before any pruning
   * (scikit-learn's `cost_complexity_pruning_path`; for a plain decision tree, fit with
   * `nEstimators: 1, bootstrap: false, maxFeatures: null`): the effective alphas at which
   * its subtrees are pruned and their total leaf impurities. Choose `ccpAlpha` from them.
   * Regrows the tree from its seed, so it needs the training data (`fit` in this process).
   * @example
   * ```ts
   * const one = new RandomForestClassifier({ nEstimators: 1, bootstrap: false, maxFeatures: null });
   * const { ccpAlphas, impurities } = one.fit(train).costComplexityPruningPath();
   * ```
   */
  costComplexityPruningPath(tree = 0): PruningPath {
    const t = this.training;
    if (t === null) {
      throw new ForestError(
        ForestErrorCode.NOT_FITTED,
        'call fit() first: the path regrows the tree from its data',
      );
    }
    if (!Number.isInteger(tree) || tree < 0 || tree >= this.trees.length) {
      throw new RangeError(`tree must be an integer in [0, ${this.trees.length}), got ${tree}`);
    }
    return t.builder.pruningPath(new Random(this.options.seed, tree));
  }

  /**
   * Mean class probabilities over the trees, row-major (nRows x classes.length).
   * X: raw rows (split by the stored thresholds) or a Dataset binned with this forest's edges.
   */
  predictProba(X: Matrix | DatasetObject, nFeatures?: number): Float64Array {
    const m = this.fitted();
    const k = m.classes.length;
    let out: Float64Array;
    if (Dataset.isDatasetObject(X)) {
      const ds = Dataset.fromObject(X);
      if (!ds.sameEdges(m.edges, m.edgeOffsets)) throw incompatibleDataset();
      out = new Float64Array(ds.nRows * k);
      for (const t of this.trees) accumulateBinned(t, ds.bins, ds.nRows, k, out);
    } else {
      const rm = toRowMajor(X, nFeatures ?? (Array.isArray(X) ? undefined : m.nFeatures));
      if (rm.nFeatures !== m.nFeatures) {
        throw invalidInput(`X has ${rm.nFeatures} features; the forest was fitted on ${m.nFeatures}`);
      }
      out = new Float64Array(rm.nRows * k);
      for (const t of this.trees) accumulateRaw(t, rm.data, rm.nRows, rm.nFeatures, k, out);
    }
    const inv = 1 / this.trees.length;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! * inv;
    return out;
  }

  /** The most probable class label per row (ties go to the smaller label). */
  predict(X: Matrix | DatasetObject, nFeatures?: number): Int32Array {
    const { classes } = this.fitted();
    const k = classes.length;
    const p = this.predictProba(X, nFeatures);
    const out = new Int32Array(p.length / k);
    for (let r = 0; r < out.length; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (p[r * k + c]! > p[r * k + best]!) best = c;
      out[r] = classes[best]!;
    }
    return out;
  }

  /** Accuracy on X and y (or on a Dataset with its labels). */
  score(X: Dataset | DatasetObject): number;
  score(X: Matrix, y: Labels, nFeatures?: number): number;
  score(X: Matrix | DatasetObject, y?: Labels, nFeatures?: number): number {
    const pred = this.predict(X, nFeatures);
    let labels: Int32Array;
    if (y !== undefined) labels = toLabels(y, pred.length);
    else if (Dataset.isDatasetObject(X) && X.y.length === pred.length) labels = X.y;
    else throw invalidInput('score needs labels: pass y, or a Dataset with y');
    let right = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) right++;
    return right / pred.length;
  }

  /** The fitted forest as JSON-ready data; {@link RandomForestClassifier.fromJSON} reads it back. */
  toJSON(): ForestJSON {
    const m = this.fitted();
    return {
      format: 'de2-forest',
      version: 1,
      options: { ...this.options },
      nFeatures: m.nFeatures,
      classes: Array.from(m.classes),
      edges: Array.from(m.edges),
      edgeOffsets: Array.from(m.edgeOffsets),
      trees: this.trees.map(treeToJSON),
    };
  }

  /**
   * Rebuilds a forest from {@link toJSON}'s output (an object or its JSON string); it
   * predicts exactly as the original did.
   * @throws ForestError INVALID_MODEL when the input is not such a model.
   */
  static fromJSON(json: ForestJSON | string): RandomForestClassifier {
    const j = parseForestJSON(json);
    const rf = new RandomForestClassifier(j.options);
    const classes = Int32Array.from(j.classes);
    rf.model = {
      nFeatures: j.nFeatures,
      classes,
      edges: Float64Array.from(j.edges),
      edgeOffsets: Int32Array.from(j.edgeOffsets),
    };
    rf.trees = j.trees.map((t) => treeFromJSON(t, j.nFeatures, classes.length));
    return rf;
  }

  private fitted(): Model {
    if (this.model === null) throw new ForestError(ForestErrorCode.NOT_FITTED, 'call fit() first');
    return this.model;
  }
}

/**
 * Row-major copy of column-major bins, each row padded to whole 32-bit words: the
 * Dataset stays in columns (shared, as the issue asks), the builder moves rows. Costs
 * about nRows * nFeatures bytes while training.
 */
function transpose(bins: Uint8Array, nRows: number, nFeatures: number): Int32Array {
  const stride = Math.ceil(nFeatures / 4) * 4;
  // Both views made before the loop: nothing after a hot loop may be new to V8 (see tree-builder.ts).
  const words = new Int32Array((nRows * stride) / 4);
  const out = new Uint8Array(words.buffer);
  const BLOCK = 4096;
  for (let r0 = 0; r0 < nRows; r0 += BLOCK) {
    const r1 = Math.min(nRows, r0 + BLOCK);
    for (let f = 0; f < nFeatures; f++) {
      const col = f * nRows;
      for (let r = r0; r < r1; r++) out[r * stride + f] = bins[col + r]!;
    }
  }
  return words;
}
