import { expect } from 'chai';
import { RandomForestClassifier, ForestError } from '@de2/forest';
import { covtype, iris, stratifiedSplit, treeDepth, type Table } from './helpers.js';

function fitTable(t: Table, options: ConstructorParameters<typeof RandomForestClassifier>[0]) {
  return new RandomForestClassifier(options).fit(t.X, t.y, t.nFeatures);
}

describe('RandomForestClassifier on iris', () => {
  const { train, test } = stratifiedSplit(iris(), 0.3, 1);

  it('classifies held-out iris flowers (gini and entropy)', () => {
    for (const criterion of ['gini', 'entropy'] as const) {
      const rf = fitTable(train, { nEstimators: 50, criterion, seed: 1 });
      expect(rf.score(test.X, test.y, test.nFeatures), criterion).to.be.at.least(0.9);
      expect(rf.score(train.X, train.y, train.nFeatures), criterion).to.be.at.least(0.97);
    }
  });

  it('accepts arrays of rows and any integer labels, and predicts those labels', () => {
    const rows = Array.from({ length: train.nRows }, (_, r) =>
      Array.from(train.X.subarray(r * 4, r * 4 + 4)),
    );
    const labels = Array.from(train.y, (c) => c * 10 - 7); // -7, 3, 13
    const rf = new RandomForestClassifier({ nEstimators: 20, seed: 2 }).fit(rows, labels);
    expect(Array.from(rf.classes)).to.deep.equal([-7, 3, 13]);
    const pred = rf.predict(rows);
    expect(new Set(pred)).to.satisfy((s: Set<number>) => [...s].every((c) => [-7, 3, 13].includes(c)));
    expect(rf.score(rows, labels)).to.be.at.least(0.97);
  });

  it('gives probabilities that sum to one per row, and predict is their argmax', () => {
    const rf = fitTable(train, { nEstimators: 15, seed: 3 });
    const p = rf.predictProba(test.X, 4);
    const pred = rf.predict(test.X, 4);
    const classes = rf.classes;
    for (let r = 0; r < test.nRows; r++) {
      const row = Array.from(p.subarray(r * 3, r * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-6);
      expect(pred[r]).to.equal(classes[row.indexOf(Math.max(...row))]);
    }
  });

  it('respects maxDepth', () => {
    const rf = fitTable(train, { nEstimators: 10, maxDepth: 2, seed: 4 });
    const depths = rf.toJSON().trees.map(treeDepth);
    expect(Math.max(...depths)).to.equal(2);
    const deep = fitTable(train, { nEstimators: 10, seed: 4 }).toJSON().trees.map(treeDepth);
    expect(Math.max(...deep)).to.be.greaterThan(2);
  });

  it('gives larger leaves with minSamplesLeaf, so fewer nodes', () => {
    const nodes = (o: object) =>
      fitTable(train, { nEstimators: 10, seed: 5, ...o })
        .toJSON()
        .trees.reduce((n, t) => n + t.feature.length, 0);
    expect(nodes({ minSamplesLeaf: 10 })).to.be.lessThan(nodes({}));
  });

  it('keeps at least minSamplesLeaf training rows in every leaf', () => {
    for (const minSamplesLeaf of [1, 5, 12]) {
      const rf = fitTable(train, { nEstimators: 5, bootstrap: false, minSamplesLeaf, seed: 8 });
      for (const tree of rf.toJSON().trees) {
        const perLeaf = new Map<number, number>();
        for (let r = 0; r < train.nRows; r++) {
          let node = 0;
          while (tree.feature[node]! >= 0) {
            const x = train.X[r * 4 + tree.feature[node]!]!;
            node = x <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
          }
          perLeaf.set(node, (perLeaf.get(node) ?? 0) + 1);
        }
        expect(Math.min(...perLeaf.values()), `minSamplesLeaf ${minSamplesLeaf}`).to.be.at.least(
          minSamplesLeaf,
        );
      }
    }
  });

  it('ranks an informative feature above noise in featureImportances', () => {
    const n = 500;
    const X = new Float64Array(n * 3);
    const y = new Int32Array(n);
    let s = 1;
    const rand = () => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
    for (let r = 0; r < n; r++) {
      X[r * 3] = rand();
      X[r * 3 + 1] = rand();
      X[r * 3 + 2] = rand();
      y[r] = X[r * 3]! > 0.5 ? 1 : 0;
    }
    const imp = new RandomForestClassifier({ nEstimators: 20, seed: 6 }).fit(X, y, 3).featureImportances;
    expect(Array.from(imp).reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-9);
    expect(imp[0]).to.be.greaterThan(0.5);
    expect(imp[0]).to.be.greaterThan(imp[1]! + imp[2]!);
  });
});

describe('RandomForestClassifier on the real Covertype sample', () => {
  const { train, test } = stratifiedSplit(covtype(), 0.2, 0);

  it('matches scikit-learn accuracy (0.877 at 100 trees) within a point', function () {
    this.timeout(120_000);
    const rf = fitTable(train, { nEstimators: 100, seed: 0 });
    const acc = rf.score(test.X, test.y, test.nFeatures);
    expect(acc).to.be.at.least(0.867);
    // Elevation is by far Covertype's most informative feature.
    const imp = rf.featureImportances;
    expect(imp.indexOf(Math.max(...imp))).to.equal(0);
  });

  it('grows the same forest from the same seed and data, another from another seed', () => {
    const a = fitTable(train, { nEstimators: 5, seed: 7 }).toJSON();
    const b = fitTable(train, { nEstimators: 5, seed: 7 }).toJSON();
    const c = fitTable(train, { nEstimators: 5, seed: 8 }).toJSON();
    expect(b).to.deep.equal(a);
    expect(c.trees[0]).to.not.deep.equal(a.trees[0]);
  });

  it('warm start: addTrees grows exactly the forest a one-shot fit of the same total grows', () => {
    const warm = fitTable(train, { nEstimators: 10, seed: 9 });
    const acc10 = warm.score(test.X, test.y, test.nFeatures);
    warm.addTrees(20);
    expect(warm.nTrees).to.equal(30);
    const once = fitTable(train, { nEstimators: 30, seed: 9 });
    expect(warm.toJSON().trees).to.deep.equal(once.toJSON().trees);
    expect(warm.score(test.X, test.y, test.nFeatures)).to.be.at.least(acc10);
  });

  it('counts its nodes and the bytes of its trees, which grow with depth', () => {
    const shallow = fitTable(train, { nEstimators: 4, maxDepth: 3, seed: 11 });
    const deep = fitTable(train, { nEstimators: 4, maxDepth: null, seed: 11 });
    const json = shallow.toJSON();
    const nodes = json.trees.reduce((n, t) => n + t.feature.length, 0);
    expect(shallow.nodeCount).to.equal(nodes);
    expect(shallow.nodeCount).to.be.at.most(4 * 15);
    expect(deep.nodeCount).to.be.greaterThan(shallow.nodeCount);
    // 21 bytes per node in its five arrays, plus the leaves' class probabilities and importances.
    expect(deep.byteLength).to.be.greaterThan(21 * deep.nodeCount);
    expect(deep.byteLength / deep.nodeCount).to.be.lessThan(21 + 4 * 10 + 8 * 54);
  });

  it('round-trips through JSON to identical predictions', () => {
    const rf = fitTable(train, { nEstimators: 10, maxDepth: 20, seed: 10 });
    const copy = RandomForestClassifier.fromJSON(JSON.stringify(rf));
    expect(copy.nTrees).to.equal(10);
    expect(Array.from(copy.predictProba(test.X, 54))).to.deep.equal(Array.from(rf.predictProba(test.X, 54)));
    expect(Array.from(copy.featureImportances)).to.deep.equal(Array.from(rf.featureImportances));
    expect(() => copy.addTrees(1))
      .to.throw(ForestError, 'training data')
      .with.property('code', 'NOT_FITTED');
  });
});
