import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { RandomForestClassifier, type TreeJSON } from '@de2/forest';

/** Made by fixtures/make_sklearn_pruning.py (its doc says how the trees are made comparable). */
interface Case {
  name: string;
  criterion: 'gini' | 'entropy';
  classWeight: 'balanced' | null;
  minSamplesLeaf: number;
  nFeatures: number;
  X: number[];
  y: number[];
  /** [feature (-1 for a leaf), training rows in the node] per node, in preorder. */
  preorder: [number, number][];
  path: { ccpAlphas: number[]; impurities: number[] };
  pruned: { ccpAlpha: number; preorder: [number, number][]; trainPredictions: number[] }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/sklearn-pruning.json', import.meta.url), 'utf8'),
) as { sklearn: string; cases: Case[] };

/** One decision tree as scikit-learn's DecisionTreeClassifier grows it (all features, all rows). */
function decisionTree(c: Case, ccpAlpha = 0): RandomForestClassifier {
  return new RandomForestClassifier({
    nEstimators: 1,
    bootstrap: false,
    maxFeatures: null,
    criterion: c.criterion,
    classWeight: c.classWeight,
    minSamplesLeaf: c.minSamplesLeaf,
    ccpAlpha,
  }).fit(Float64Array.from(c.X), Int32Array.from(c.y), c.nFeatures);
}

/** The tree as [feature, training rows] per node in preorder (left first), as the fixture has it. */
function preorder(tree: TreeJSON, c: Case): [number, number][] {
  const rows = new Array<number>(tree.feature.length).fill(0);
  for (let r = 0; r < c.y.length; r++) {
    let node = 0;
    rows[0]!++;
    while (tree.feature[node]! >= 0) {
      const x = c.X[r * c.nFeatures + tree.feature[node]!]!;
      node = x <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
      rows[node]!++;
    }
  }
  const out: [number, number][] = [];
  const visit = (node: number): void => {
    const f = tree.feature[node]!;
    out.push([f, rows[node]!]);
    if (f >= 0) {
      visit(tree.left[node]!);
      visit(tree.right[node]!);
    }
  };
  visit(0);
  return out;
}

function expectClose(actual: Float64Array, expected: number[], what: string): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const tol = 1e-9 * Math.max(Math.abs(e), 1e-300) + 1e-300;
    expect(Math.abs(actual[i]! - e), `${what}[${i}]: ${actual[i]} vs scikit-learn ${e}`).to.be.at.most(tol);
  }
}

describe(`cost-complexity pruning against scikit-learn ${fixture.sklearn}`, () => {
  for (const c of fixture.cases) {
    describe(c.name, () => {
      it('grows the same tree as DecisionTreeClassifier (the premise of the comparisons)', () => {
        expect(preorder(decisionTree(c).toJSON().trees[0]!, c)).to.deep.equal(c.preorder);
      });

      it('gives the same pruning path, alphas and impurities to 1e-9 relative', () => {
        const path = decisionTree(c).costComplexityPruningPath();
        expectClose(path.ccpAlphas, c.path.ccpAlphas, 'ccpAlphas');
        expectClose(path.impurities, c.path.impurities, 'impurities');
      });

      it('keeps the same nodes when pruned at ccpAlpha, on and between the path alphas', () => {
        for (const p of c.pruned) {
          const rf = decisionTree(c, p.ccpAlpha);
          const tree = rf.toJSON().trees[0]!;
          expect(preorder(tree, c), `ccpAlpha ${p.ccpAlpha}`).to.deep.equal(p.preorder);
          const pred = rf.predict(Float64Array.from(c.X), c.nFeatures);
          expect(Array.from(pred), `predictions at ccpAlpha ${p.ccpAlpha}`).to.deep.equal(p.trainPredictions);
          // Leaf probabilities are still distributions after a subtree became a leaf.
          for (let l = 0; l < tree.values.length; l += 4) {
            const sum = tree.values.slice(l, l + 4).reduce((a, b) => a + b, 0);
            expect(sum).to.be.closeTo(1, 1e-6);
          }
        }
      });
    });
  }

  it('prunes a forest to its roots at a large alpha, and leaves it whole at 0', () => {
    const c = fixture.cases[0]!;
    const X = Float64Array.from(c.X);
    const y = Int32Array.from(c.y);
    const whole = new RandomForestClassifier({ nEstimators: 5, seed: 3 }).fit(X, y, c.nFeatures);
    const roots = new RandomForestClassifier({ nEstimators: 5, seed: 3, ccpAlpha: 10 }).fit(
      X,
      y,
      c.nFeatures,
    );
    expect(roots.nodeCount).to.equal(5);
    expect(roots.featureImportances.every((v) => v === 0)).to.equal(true);
    const some = new RandomForestClassifier({ nEstimators: 5, seed: 3, ccpAlpha: 0.002 }).fit(
      X,
      y,
      c.nFeatures,
    );
    expect(some.nodeCount).to.be.lessThan(whole.nodeCount).and.greaterThan(5);
    // Each pruned tree is a subtree of the same unpruned tree: the path of tree 2 ends at its root.
    const path = some.costComplexityPruningPath(2);
    expect(path.ccpAlphas[0]).to.equal(0);
    expect(path.impurities[path.impurities.length - 1]).to.be.greaterThan(path.impurities[0]!);
    expect(() => some.costComplexityPruningPath(5)).to.throw(RangeError, 'tree must be an integer in [0, 5)');
  });
});

interface GrowthCase {
  name: string;
  options: {
    maxLeafNodes: number | null;
    minImpurityDecrease: number;
    classWeight: 'balanced' | Record<string, number> | null;
  };
  dataSeed: number;
  preorder: [number, number][];
  /** predict_proba of the first 40 training rows. */
  trainProba: number[][];
}

describe(`growth rules against scikit-learn ${fixture.sklearn}: the same tree`, () => {
  const base = fixture.cases[0]!;
  const growth = (fixture as unknown as { growth: GrowthCase[] }).growth;
  for (const g of growth) {
    it(g.name, () => {
      expect(g.dataSeed).to.equal((base as unknown as { dataSeed: number }).dataSeed);
      const rf = new RandomForestClassifier({
        nEstimators: 1,
        bootstrap: false,
        maxFeatures: null,
        minSamplesLeaf: base.minSamplesLeaf,
        ...g.options,
      }).fit(Float64Array.from(base.X), Int32Array.from(base.y), base.nFeatures);
      expect(preorder(rf.toJSON().trees[0]!, base)).to.deep.equal(g.preorder);
      const proba = rf.predictProba(Float64Array.from(base.X.slice(0, 40 * base.nFeatures)), base.nFeatures);
      const k = g.trainProba[0]!.length;
      g.trainProba.forEach((row, r) => {
        row.forEach((p, c) => expect(proba[r * k + c]).to.be.closeTo(p, 1e-6));
      });
    });
  }
});
