import { deserialize, serialize } from 'node:v8';
import { expect } from 'chai';
import { Dataset, ForestError, RandomForestClassifier } from '@de2/forest';
import { covtype, iris, stratifiedSplit } from './helpers.js';

describe('Dataset', () => {
  const { train, test } = stratifiedSplit(covtype(), 0.2, 0);
  const ds = Dataset.fromMatrix(train.X, train.y, { nFeatures: 54 });

  it('bins every feature into at most maxBins Uint8 bins, column-major', () => {
    expect(ds.nRows).to.equal(train.nRows);
    expect(ds.nFeatures).to.equal(54);
    expect(ds.bins).to.be.instanceOf(Uint8Array);
    const small = Dataset.fromMatrix(train.X, train.y, { nFeatures: 54, maxBins: 16 });
    for (let f = 0; f < 54; f++) {
      expect(small.nBins(f)).to.be.at.most(16);
      // Bins follow the raw order: a larger value never lands in a smaller bin.
      const col = small.bins.subarray(f * small.nRows, (f + 1) * small.nRows);
      for (let r = 1; r < 200; r++) {
        const a = train.X[(r - 1) * 54 + f]!;
        const b = train.X[r * 54 + f]!;
        if (a < b) expect(col[r - 1]).to.be.at.most(col[r]!);
      }
    }
    // Elevation has far more than 255 distinct values: binned at its quantiles.
    expect(ds.nBins(0)).to.be.within(200, 255);
    // A one-hot column has two values, so two bins.
    expect(ds.nBins(10)).to.equal(2);
  });

  it('is only typed arrays: survives v8.serialize and fromObject wraps it without copying', () => {
    const own = Object.values(ds.toObject());
    expect(own.every((v) => ArrayBuffer.isView(v))).to.equal(true);
    const clone = deserialize(serialize(ds)) as Dataset;
    expect(Object.keys(clone).sort()).to.deep.equal(['bins', 'edgeOffsets', 'edges', 'y']);
    const back = Dataset.fromObject(clone);
    expect(back.bins.buffer).to.equal(clone.bins.buffer);
    expect(back.nRows).to.equal(ds.nRows);
    const a = new RandomForestClassifier({ nEstimators: 3, seed: 1 }).fit(ds).toJSON();
    const b = new RandomForestClassifier({ nEstimators: 3, seed: 1 }).fit(clone).toJSON();
    expect(b).to.deep.equal(a);
    // Fitting on the Dataset or on the raw matrix is the same forest.
    const raw = new RandomForestClassifier({ nEstimators: 3, seed: 1 }).fit(train.X, train.y, 54);
    expect(raw.toJSON()).to.deep.equal(a);
  });

  it('grows the same forest from raw fractional rows as from their Dataset (binned by search, not lookup)', () => {
    // Iris is fractional with few edges per feature, and maxBins 4 forces quantile edges.
    const t = iris();
    for (const maxBins of [255, 4]) {
      const opts = { nEstimators: 5, seed: 3, maxBins };
      const fromDs = new RandomForestClassifier(opts).fit(
        Dataset.fromMatrix(t.X, t.y, { nFeatures: 4, maxBins }),
      );
      const fromRaw = new RandomForestClassifier(opts).fit(t.X, t.y, 4);
      expect(fromRaw.toJSON()).to.deep.equal(fromDs.toJSON());
      expect(fromRaw.score(t.X, t.y, 4)).to.be.above(0.9);
    }
  });

  it('predicts binned rows (reference edges) exactly as raw rows', () => {
    const rf = new RandomForestClassifier({ nEstimators: 10, seed: 2 }).fit(ds);
    const testDs = Dataset.fromMatrix(test.X, test.y, { nFeatures: 54, reference: ds });
    expect(Array.from(rf.predictProba(testDs))).to.deep.equal(Array.from(rf.predictProba(test.X, 54)));
    expect(rf.score(testDs)).to.equal(rf.score(test.X, test.y, 54));
    const other = Dataset.fromMatrix(test.X, test.y, { nFeatures: 54 });
    expect(() => rf.predict(other))
      .to.throw(ForestError, 'reference')
      .with.property('code', 'INCOMPATIBLE_DATASET');
  });

  it('rejects malformed Dataset objects', () => {
    const o = ds.toObject();
    expect(() => Dataset.fromObject({ ...o, bins: new Uint8Array(7) }))
      .to.throw(ForestError)
      .with.property('code', 'INVALID_INPUT');
    expect(() => Dataset.fromObject({ ...o, edges: [] as unknown as Float64Array })).to.throw(
      ForestError,
      'edges: Float64Array',
    );
    expect(() => Dataset.fromMatrix(train.X, train.y, { nFeatures: 54, maxBins: 300 })).to.throw(
      RangeError,
      'options.maxBins',
    );
  });
});
