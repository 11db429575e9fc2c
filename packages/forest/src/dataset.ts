import { binMatrix, computeEdges } from './binning.js';
import { ForestError, ForestErrorCode, invalidInput } from './errors.js';
import { toLabels, toRowMajor, type Labels, type Matrix } from './input.js';

/**
 * A Dataset as plain data: four typed arrays and nothing else, so that structured clone
 * (`v8.serialize`, `postMessage`, de2's `put`) keeps it whole and shares the buffers.
 */
export interface DatasetObject {
  /** Column-major bin indices: feature f of row r is `bins[f * nRows + r]`. */
  readonly bins: Uint8Array;
  /** Bin edges of all features, flat: feature f owns `edges[edgeOffsets[f] .. edgeOffsets[f + 1])`. */
  readonly edges: Float64Array;
  /** `nFeatures + 1` offsets into `edges`. */
  readonly edgeOffsets: Int32Array;
  /** Class labels, one per row; empty for a Dataset built without labels. */
  readonly y: Int32Array;
}

/** Options of {@link Dataset.fromMatrix}. */
export interface DatasetOptions {
  /** Most bins per feature (2..255). Ignored with `reference`. @default 255 */
  maxBins?: number;
  /** Features per row; required when X is a typed array. */
  nFeatures?: number;
  /**
   * Bin with this Dataset's edges instead of computing new ones: a test set binned with
   * its training set's edges can be passed to `predict`/`score` of a forest fitted on it.
   */
  reference?: DatasetObject;
}

function isTyped(v: unknown, ctor: typeof Uint8Array | typeof Float64Array | typeof Int32Array): boolean {
  return v instanceof ctor;
}

/**
 * Features binned once into `Uint8Array` columns, with the bin edges and labels.
 *
 * A Dataset is made only of typed arrays (see {@link DatasetObject}); a structured clone
 * of one is a plain object that {@link Dataset.fromObject} wraps again without copying.
 *
 * @example
 * ```ts
 * const train = Dataset.fromMatrix(X, y, { nFeatures: 54 });     // X row-major Float32Array
 * const test = Dataset.fromMatrix(Xt, yt, { nFeatures: 54, reference: train });
 * const ref = put(train);                       // in a task: Dataset.fromObject(await get(ref))
 * ```
 */
export class Dataset implements DatasetObject {
  readonly bins: Uint8Array;
  readonly edges: Float64Array;
  readonly edgeOffsets: Int32Array;
  readonly y: Int32Array;

  private constructor(o: DatasetObject) {
    this.bins = o.bins;
    this.edges = o.edges;
    this.edgeOffsets = o.edgeOffsets;
    this.y = o.y;
  }

  /** Number of features. */
  get nFeatures(): number {
    return this.edgeOffsets.length - 1;
  }

  /** Number of rows. */
  get nRows(): number {
    return this.bins.length / this.nFeatures;
  }

  /** Bins feature f uses (its edges plus one). */
  nBins(f: number): number {
    return this.edgeOffsets[f + 1]! - this.edgeOffsets[f]! + 1;
  }

  /**
   * Validates X and y and bins every feature at its quantiles (or between its distinct
   * values when it has at most `maxBins` of them).
   * @param y labels; omit for a Dataset used only to predict.
   */
  static fromMatrix(X: Matrix, y?: Labels, options: DatasetOptions = {}): Dataset {
    const maxBins = options.maxBins ?? 255;
    if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > 255) {
      throw new RangeError(`options.maxBins must be an integer between 2 and 255, got ${maxBins}`);
    }
    const m = toRowMajor(X, options.nFeatures);
    const labels = y === undefined ? new Int32Array(0) : toLabels(y, m.nRows);
    let edges: Float64Array;
    let edgeOffsets: Int32Array;
    if (options.reference) {
      const ref = Dataset.fromObject(options.reference);
      if (ref.nFeatures !== m.nFeatures) {
        throw invalidInput(`X has ${m.nFeatures} features, options.reference has ${ref.nFeatures}`);
      }
      ({ edges, edgeOffsets } = ref);
    } else ({ edges, edgeOffsets } = computeEdges(m, maxBins));
    return new Dataset({ bins: binMatrix(m, edges, edgeOffsets), edges, edgeOffsets, y: labels });
  }

  /**
   * Wraps a {@link DatasetObject} (e.g. a structured clone of a Dataset) without copying its arrays.
   * @example
   * ```ts
   * const copy = Dataset.fromObject(v8.deserialize(v8.serialize(train)));  // or: await get(ref)
   * ```
   */
  static fromObject(o: DatasetObject): Dataset {
    if (o instanceof Dataset) return o;
    if (
      o === null ||
      typeof o !== 'object' ||
      !isTyped(o.bins, Uint8Array) ||
      !isTyped(o.edges, Float64Array) ||
      !isTyped(o.edgeOffsets, Int32Array) ||
      !isTyped(o.y, Int32Array)
    ) {
      throw invalidInput(
        'a Dataset object needs bins: Uint8Array, edges: Float64Array, edgeOffsets: Int32Array, y: Int32Array',
      );
    }
    const nf = o.edgeOffsets.length - 1;
    if (nf < 1 || o.edgeOffsets[0] !== 0 || o.edgeOffsets[nf] !== o.edges.length) {
      throw invalidInput('Dataset edgeOffsets must start at 0 and end at edges.length');
    }
    for (let f = 0; f < nf; f++) {
      const n = o.edgeOffsets[f + 1]! - o.edgeOffsets[f]!;
      if (n < 0 || n > 254) throw invalidInput(`Dataset feature ${f} has ${n} edges; 0..254 allowed`);
    }
    const nRows = o.bins.length / nf;
    if (o.bins.length === 0 || !Number.isInteger(nRows)) {
      throw invalidInput(
        `Dataset bins hold ${o.bins.length} values, not a positive multiple of ${nf} features`,
      );
    }
    if (o.y.length !== 0 && o.y.length !== nRows) {
      throw invalidInput(`Dataset y has ${o.y.length} labels but ${nRows} rows`);
    }
    return new Dataset(o);
  }

  /** True when `v` has the shape of a {@link DatasetObject}. */
  static isDatasetObject(v: unknown): v is DatasetObject {
    if (v instanceof Dataset) return true;
    if (v === null || typeof v !== 'object') return false;
    const o = v as Record<string, unknown>;
    return o.bins instanceof Uint8Array && o.edgeOffsets instanceof Int32Array;
  }

  /** The plain-object form: the same four arrays, not copies. */
  toObject(): DatasetObject {
    return { bins: this.bins, edges: this.edges, edgeOffsets: this.edgeOffsets, y: this.y };
  }

  /** True when `other` was binned with the same edges as this one. */
  sameEdges(edges: Float64Array, edgeOffsets: Int32Array): boolean {
    if (edges === this.edges && edgeOffsets === this.edgeOffsets) return true;
    if (edges.length !== this.edges.length || edgeOffsets.length !== this.edgeOffsets.length) return false;
    for (let i = 0; i < edgeOffsets.length; i++) if (edgeOffsets[i] !== this.edgeOffsets[i]) return false;
    for (let i = 0; i < edges.length; i++) if (edges[i] !== this.edges[i]) return false;
    return true;
  }
}

/** The error for a Dataset binned with other edges than the forest's. */
export function incompatibleDataset(): ForestError {
  return new ForestError(
    ForestErrorCode.INCOMPATIBLE_DATASET,
    "this Dataset's bin edges differ from the training Dataset's: build it with " +
      'Dataset.fromMatrix(X, y, { reference: trainingDataset }), or pass the raw rows',
  );
}
