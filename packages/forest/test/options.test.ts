import { expect } from 'chai';
import { resolveForestOptions } from '@de2/forest';

describe('forest options', () => {
  it("default to scikit-learn's", () => {
    const o = resolveForestOptions();
    expect(o).to.include({ nEstimators: 100, criterion: 'gini', maxDepth: null, minSamplesSplit: 2 });
    expect(o).to.include({ minSamplesLeaf: 1, maxFeatures: 'sqrt', bootstrap: true, maxBins: 255 });
  });

  it('reject bad values with an error naming the option', () => {
    expect(() => resolveForestOptions({ nEstimators: 0 })).to.throw(RangeError, 'options.nEstimators');
    expect(() => resolveForestOptions({ maxDepth: 2.5 })).to.throw(TypeError, 'options.maxDepth');
    expect(() => resolveForestOptions({ maxFeatures: 1.5 })).to.throw(RangeError, 'options.maxFeatures');
    expect(() => resolveForestOptions({ criterion: 'mse' as 'gini' })).to.throw(
      TypeError,
      'options.criterion',
    );
    expect(() => resolveForestOptions({ maxBins: 256 })).to.throw(RangeError, 'options.maxBins');
  });
});
