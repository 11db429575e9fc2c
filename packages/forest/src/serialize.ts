import { ForestError, ForestErrorCode } from './errors.js';
import type { ResolvedForestOptions } from './options.js';
import type { Tree } from './tree.js';

/** One tree in JSON: its typed arrays as number arrays (thresholds exact, as JSON keeps doubles). */
export interface TreeJSON {
  feature: number[];
  threshold: number[];
  binThreshold: number[];
  left: number[];
  right: number[];
  values: number[];
  importances: number[];
}

/** What {@link RandomForestClassifier.toJSON} writes and `fromJSON` reads. */
export interface ForestJSON {
  format: 'de2-forest';
  version: 1;
  options: ResolvedForestOptions;
  nFeatures: number;
  classes: number[];
  edges: number[];
  edgeOffsets: number[];
  trees: TreeJSON[];
}

export function treeToJSON(t: Tree): TreeJSON {
  return {
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold),
    binThreshold: Array.from(t.binThreshold),
    left: Array.from(t.left),
    right: Array.from(t.right),
    values: Array.from(t.values),
    importances: Array.from(t.importances),
  };
}

function bad(message: string): ForestError {
  return new ForestError(ForestErrorCode.INVALID_MODEL, `not a de2 forest model: ${message}`);
}

function numbers(o: Record<string, unknown>, key: string): number[] {
  const v = o[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number'))
    throw bad(`${key} must be an array of numbers`);
  return v as number[];
}

/** Rebuilds a tree, checking that every child index and leaf value it names exists. */
export function treeFromJSON(j: unknown, nFeatures: number, nClasses: number): Tree {
  if (j === null || typeof j !== 'object') throw bad('a tree must be an object');
  const o = j as Record<string, unknown>;
  const feature = Int32Array.from(numbers(o, 'feature'));
  const left = Int32Array.from(numbers(o, 'left'));
  const right = Int32Array.from(numbers(o, 'right'));
  const values = Float32Array.from(numbers(o, 'values'));
  const n = feature.length;
  const nLeaves = values.length / nClasses;
  if (n === 0 || left.length !== n || right.length !== n) throw bad('tree arrays differ in length');
  for (let i = 0; i < n; i++) {
    const f = feature[i]!;
    const ok =
      f < 0
        ? left[i]! >= 0 && left[i]! < nLeaves
        : f < nFeatures && left[i]! > i && left[i]! < n && right[i]! > i && right[i]! < n;
    if (!ok) throw bad(`tree node ${i} points outside the tree`);
  }
  return {
    feature,
    threshold: Float64Array.from(numbers(o, 'threshold')),
    binThreshold: Uint8Array.from(numbers(o, 'binThreshold')),
    left,
    right,
    values,
    importances: Float64Array.from(numbers(o, 'importances')),
  };
}

/** Parses and checks the outer shape of a model; trees are checked by {@link treeFromJSON}. */
export function parseForestJSON(json: ForestJSON | string): ForestJSON {
  let o: unknown = json;
  if (typeof json === 'string') {
    try {
      o = JSON.parse(json);
    } catch (err) {
      throw new ForestError(ForestErrorCode.INVALID_MODEL, 'not a de2 forest model: invalid JSON', {
        cause: err,
      });
    }
  }
  if (o === null || typeof o !== 'object') throw bad('expected an object');
  const m = o as Record<string, unknown>;
  if (m.format !== 'de2-forest' || m.version !== 1) throw bad('format must be "de2-forest", version 1');
  if (typeof m.nFeatures !== 'number' || !Array.isArray(m.trees) || m.trees.length === 0) {
    throw bad('nFeatures and a non-empty trees array are required');
  }
  if (m.options === null || typeof m.options !== 'object') throw bad('options are required');
  numbers(m, 'classes');
  numbers(m, 'edges');
  numbers(m, 'edgeOffsets');
  return m as unknown as ForestJSON;
}
