import { expect } from 'chai';
import { ForestErrorCode, RandomForestClassifier } from '@de2/forest';
import { iris, stratifiedSplit, type Table } from './helpers.js';

/** Iris with class 2 cut down to 10 rows: an imbalanced three-class problem. */
function imbalanced(): Table {
  const t = iris();
  const keep: number[] = [];
  let seen = 0;
  for (let r = 0; r < t.nRows; r++) if (t.y[r] !== 2 || seen++ < 10) keep.push(r);
  const X = new Float32Array(keep.length * t.nFeatures);
  keep.forEach((r, i) => X.set(t.X.subarray(r * t.nFeatures, (r + 1) * t.nFeatures), i * t.nFeatures));
  return { X, y: Int32Array.from(keep.map((r) => t.y[r]!)), nRows: keep.length, nFeatures: t.nFeatures };
}

describe('oobScore', () => {
  const { train, test } = stratifiedSplit(iris(), 0.3, 2);
  const fit = (o: object) =>
    new RandomForestClassifier({ seed: 4, ...o }).fit(train.X, train.y, train.nFeatures);

  it('estimates the accuracy on rows each tree did not see, close to the held-out accuracy', () => {
    const rf = fit({ nEstimators: 60, oobScore: true });
    const acc = rf.score(test.X, test.y, test.nFeatures);
    expect(rf.oobScore).to.be.within(0.85, 1);
    expect(Math.abs(rf.oobScore - acc)).to.be.below(0.08);
    const p = rf.oobDecisionFunction;
    expect(p.length).to.equal(train.nRows * 3);
    for (let r = 0; r < train.nRows; r++)
      expect(p[r * 3]! + p[r * 3 + 1]! + p[r * 3 + 2]!).to.be.closeTo(1, 1e-6);
  });

  it('is what it would be for the whole forest after addTrees (warm start)', () => {
    const once = fit({ nEstimators: 30, oobScore: true });
    const grown = fit({ nEstimators: 10, oobScore: true }).addTrees(20);
    expect(grown.oobScore).to.equal(once.oobScore);
    expect(Array.from(grown.oobDecisionFunction)).to.deep.equal(Array.from(once.oobDecisionFunction));
  });

  it('is zero for rows that every tree drew (as scikit-learn), and an error without the option', () => {
    const one = fit({ nEstimators: 1, oobScore: true });
    const p = one.oobDecisionFunction;
    const zeros = Array.from(
      { length: train.nRows },
      (_, r) => p[r * 3]! + p[r * 3 + 1]! + p[r * 3 + 2]!,
    ).filter((s) => s === 0).length;
    // One bootstrap sample leaves about 1/e of the rows out; the others have no estimate.
    expect(zeros).to.be.within(train.nRows * 0.5, train.nRows * 0.8);
    expect(() => fit({ nEstimators: 2 }).oobScore)
      .to.throw('out-of-bag estimates need options.oobScore: true')
      .with.property('code', ForestErrorCode.NOT_FITTED);
  });
});

describe('classWeight', () => {
  const data = imbalanced();
  /** Mean predicted probability of the rare class over its own rows. */
  const rareProba = (o: object): number => {
    const rf = new RandomForestClassifier({ nEstimators: 25, seed: 1, maxDepth: 2, ...o }).fit(
      data.X,
      data.y,
      data.nFeatures,
    );
    const p = rf.predictProba(data.X, data.nFeatures);
    let sum = 0;
    let n = 0;
    for (let r = 0; r < data.nRows; r++) {
      if (data.y[r] !== 2) continue;
      n++;
      sum += p[r * 3 + 2]!;
    }
    return sum / n;
  };

  it("'balanced' and a map raise the weight of a rare class: its rows get more of its probability", () => {
    const plain = rareProba({});
    expect(rareProba({ classWeight: 'balanced' })).to.be.greaterThan(plain + 0.02);
    expect(rareProba({ classWeight: { 2: 10 } })).to.be.greaterThan(plain + 0.02);
  });

  it("'balanced_subsample' weighs each bootstrap sample; without bootstrap it is 'balanced'", () => {
    const fit = (o: object) =>
      new RandomForestClassifier({ nEstimators: 5, seed: 2, ...o })
        .fit(data.X, data.y, data.nFeatures)
        .toJSON().trees;
    expect(fit({ classWeight: 'balanced_subsample' })).to.not.deep.equal(fit({ classWeight: 'balanced' }));
    expect(fit({ classWeight: 'balanced_subsample', bootstrap: false })).to.deep.equal(
      fit({ classWeight: 'balanced', bootstrap: false }),
    );
  });

  it('rejects a map naming a label y lacks while a class has no weight (as scikit-learn)', () => {
    const fit = (cw: Record<number, number>) => () =>
      new RandomForestClassifier({ nEstimators: 1, classWeight: cw }).fit(data.X, data.y, data.nFeatures);
    expect(fit({ 7: 2 })).to.throw(
      RangeError,
      'options.classWeight names 7, not a class of y (classes: 0, 1, 2)',
    );
    expect(fit({ 0: 1, 1: 1, 2: 3, 7: 2 })).to.not.throw();
  });
});

describe('maxLeafNodes and minImpurityDecrease', () => {
  const { train } = stratifiedSplit(iris(), 0.3, 2);
  const trees = (o: object) =>
    new RandomForestClassifier({ nEstimators: 8, seed: 5, ...o })
      .fit(train.X, train.y, train.nFeatures)
      .toJSON().trees;

  it('maxLeafNodes caps the leaves of every tree', () => {
    for (const t of trees({ maxLeafNodes: 4 }))
      expect(t.feature.filter((f) => f < 0).length).to.be.at.most(4);
    const unbounded = trees({}).map((t) => t.feature.filter((f) => f < 0).length);
    expect(Math.max(...unbounded)).to.be.greaterThan(4);
  });

  it('minImpurityDecrease stops splits that gain less', () => {
    const nodes = (o: object) => trees(o).reduce((n, t) => n + t.feature.length, 0);
    expect(nodes({ minImpurityDecrease: 0.05 })).to.be.lessThan(nodes({}));
    expect(nodes({ minImpurityDecrease: 10 })).to.equal(8);
  });
});

describe('the new options in a saved model', () => {
  it('survive toJSON/fromJSON (a classWeight map included) and the copy predicts the same', () => {
    const { train, test } = stratifiedSplit(iris(), 0.3, 2);
    const options = {
      nEstimators: 6,
      seed: 9,
      ccpAlpha: 0.01,
      classWeight: { 1: 2 },
      maxLeafNodes: 5,
      oobScore: true,
    };
    const rf = new RandomForestClassifier(options).fit(train.X, train.y, train.nFeatures);
    const copy = RandomForestClassifier.fromJSON(JSON.stringify(rf));
    expect(copy.options).to.deep.equal(rf.options);
    expect(Array.from(copy.predictProba(test.X, test.nFeatures))).to.deep.equal(
      Array.from(rf.predictProba(test.X, test.nFeatures)),
    );
    expect(() => copy.oobScore).to.throw('exist only on a forest fitted in this process');
  });
});
