import { expect } from 'chai';
import { Dataset, ForestError, RandomForestClassifier } from '@de2/forest';

const X = Float64Array.from({ length: 40 }, (_, i) => (i * 7919) % 13);
const y = Int32Array.from({ length: 20 }, (_, i) => i % 2);

function invalid(fn: () => unknown, message: string): void {
  expect(fn).to.throw(ForestError, message).with.property('code', 'INVALID_INPUT');
}

describe('forest input errors', () => {
  const rf = () => new RandomForestClassifier({ nEstimators: 2 });

  it('rejects NaN and Infinity, naming the cell', () => {
    const nan = X.slice();
    nan[5] = NaN;
    invalid(() => rf().fit(nan, y, 2), 'X[2][1] is NaN');
    const inf = X.slice();
    inf[0] = -Infinity;
    invalid(() => rf().fit(inf, y, 2), 'X[0][0] is -Infinity');
    invalid(
      () =>
        rf().fit(
          [
            [1, 2],
            [3, Infinity],
          ],
          [0, 1],
        ),
      'X[1][1] is Infinity',
    );
  });

  it('rejects lengths that disagree', () => {
    invalid(() => rf().fit(X, y.subarray(1), 2), 'y has 19 labels but X has 20 rows');
    invalid(() => rf().fit(X, y, 3), 'not a multiple of nFeatures=3');
    invalid(() => rf().fit([[1, 2], [3]], [0, 1]), 'X[1] has 1 features');
    invalid(() => rf().fit(X, y, undefined as unknown as number), 'nFeatures must be a positive integer');
  });

  it('rejects empty data', () => {
    invalid(() => rf().fit(new Float64Array(0), new Int32Array(0), 2), 'X is empty');
    invalid(() => rf().fit([], []), 'X is empty');
  });

  it('rejects non-integer labels and a single class', () => {
    invalid(
      () =>
        rf().fit(
          X,
          Array.from(y, (v) => v + 0.5),
          2,
        ),
      'labels must be 32-bit integers',
    );
    invalid(
      () =>
        rf().fit(
          X,
          Array.from(y, () => Number.NaN),
          2,
        ),
      'y[0] is NaN',
    );
    invalid(() => rf().fit(X, new Int32Array(20).fill(3), 2), 'single class (3)');
  });

  it('rejects predicting before fit and rows of the wrong width', () => {
    expect(() => rf().predict(X, 2))
      .to.throw(ForestError)
      .with.property('code', 'NOT_FITTED');
    const fitted = rf().fit(X, y, 2);
    invalid(() => fitted.predict(X, 4), 'X has 4 features; the forest was fitted on 2');
    invalid(() => fitted.predict([[1, 2, 3]]), 'X has 3 features');
    invalid(() => fitted.score(X, y.subarray(2), 2), 'y has 18 labels');
    invalid(() => fitted.fit(Dataset.fromMatrix(X, undefined, { nFeatures: 2 })), 'no labels');
  });

  it('rejects models that are not forests', () => {
    expect(() => RandomForestClassifier.fromJSON('{"format":"other"}'))
      .to.throw(ForestError, 'not a de2 forest model')
      .with.property('code', 'INVALID_MODEL');
    const json = rf().fit(X, y, 2).toJSON();
    json.trees[0]!.left[0] = 999;
    expect(() => RandomForestClassifier.fromJSON(json)).to.throw(ForestError, 'points outside the tree');
  });
});

describe('forest option errors', () => {
  it('throw TypeError/RangeError naming the option', () => {
    expect(() => new RandomForestClassifier({ nEstimators: -1 })).to.throw(RangeError, 'options.nEstimators');
    expect(() => new RandomForestClassifier({ minSamplesSplit: 1 })).to.throw(
      RangeError,
      'options.minSamplesSplit',
    );
    expect(() => new RandomForestClassifier({ maxFeatures: 'all' as 'sqrt' })).to.throw(
      TypeError,
      'options.maxFeatures',
    );
    expect(() => new RandomForestClassifier({ seed: 1.5 })).to.throw(TypeError, 'options.seed');
    expect(() => new RandomForestClassifier({ bootstrap: false, maxSamples: 0.5 })).to.throw(
      RangeError,
      'options.maxSamples',
    );
    expect(() => new RandomForestClassifier({ maxFeatures: 3 }).fit(X, y, 2)).to.throw(
      RangeError,
      'options.maxFeatures must be at most nFeatures (2)',
    );
    expect(() => new RandomForestClassifier({ maxSamples: 21 }).fit(X, y, 2)).to.throw(
      RangeError,
      'options.maxSamples',
    );
    expect(() => new RandomForestClassifier({ nEstimators: 1 }).fit(X, y, 2).addTrees(0)).to.throw(
      RangeError,
      'k must be a positive integer',
    );
  });

  it('accept the documented forms of maxFeatures and maxSamples', () => {
    for (const maxFeatures of ['sqrt', 'log2', 0.5, 1, 2, null] as const) {
      const rf = new RandomForestClassifier({ nEstimators: 3, maxFeatures, maxSamples: 0.5 }).fit(X, y, 2);
      expect(rf.nTrees).to.equal(3);
    }
    expect(
      new RandomForestClassifier({ bootstrap: false, nEstimators: 2 }).fit(X, y, 2).score(X, y, 2),
    ).to.be.a('number');
  });
});
