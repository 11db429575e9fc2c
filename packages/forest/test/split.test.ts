import { expect } from 'chai';
import { Dataset, RandomForestClassifier } from '@de2/forest';
import { covtype, stratifiedSplit } from './helpers.js';

/** Weighted gini impurity of a split: sum over both sides of n - sumsq / n. */
function splitImpurity(left: Map<number, number>, right: Map<number, number>): number {
  let s = 0;
  for (const side of [left, right]) {
    let n = 0;
    let sq = 0;
    for (const c of side.values()) {
      n += c;
      sq += c * c;
    }
    s += n - sq / n;
  }
  return s;
}

/** The best split of `rows` over every feature and bin edge, by brute force. */
function bestImpurity(ds: Dataset, rows: number[]): number {
  let best = Infinity;
  for (let f = 0; f < ds.nFeatures; f++) {
    const byBin = [...rows].sort((a, b) => ds.bins[f * ds.nRows + a]! - ds.bins[f * ds.nRows + b]!);
    const left = new Map<number, number>();
    const right = new Map<number, number>();
    for (const r of rows) right.set(ds.y[r]!, (right.get(ds.y[r]!) ?? 0) + 1);
    for (let i = 0; i < byBin.length - 1; i++) {
      const r = byBin[i]!;
      const y = ds.y[r]!;
      left.set(y, (left.get(y) ?? 0) + 1);
      right.set(y, right.get(y)! - 1);
      if (right.get(y) === 0) right.delete(y);
      const bin = ds.bins[f * ds.nRows + r]!;
      if (bin === ds.bins[f * ds.nRows + byBin[i + 1]!]) continue;
      best = Math.min(best, splitImpurity(left, right));
    }
  }
  return best;
}

describe('split search', () => {
  it('finds the best split of every node, subtracting sibling histograms included', function () {
    this.timeout(60_000);
    // All features at every split and no bootstrap: each node's split must be the best
    // one over all bin edges. The larger child of each split gets its histograms as
    // parent minus sibling, so a wrong subtraction shows up here.
    const { test: sample } = stratifiedSplit(covtype(), 0.1, 3); // 2,000 real rows
    const ds = Dataset.fromMatrix(sample.X, sample.y, { nFeatures: 54 });
    const rf = new RandomForestClassifier({ nEstimators: 1, bootstrap: false, maxFeatures: null, seed: 1 });
    const tree = rf.fit(ds).toJSON().trees[0]!;
    let checked = 0;
    const visit = (node: number, rows: number[], depth: number): void => {
      const f = tree.feature[node]!;
      if (f < 0 || depth > 5) return;
      const goLeft = (r: number) => ds.bins[f * ds.nRows + r]! <= tree.binThreshold[node]!;
      const l = rows.filter(goLeft);
      const r = rows.filter((x) => !goLeft(x));
      const count = (rs: number[]) => {
        const m = new Map<number, number>();
        for (const x of rs) m.set(ds.y[x]!, (m.get(ds.y[x]!) ?? 0) + 1);
        return m;
      };
      expect(splitImpurity(count(l), count(r))).to.be.closeTo(bestImpurity(ds, rows), 1e-6);
      checked++;
      visit(tree.left[node]!, l, depth + 1);
      visit(tree.right[node]!, r, depth + 1);
    };
    visit(
      0,
      Array.from({ length: ds.nRows }, (_, i) => i),
      0,
    );
    expect(checked).to.be.greaterThan(20);
  });
});
