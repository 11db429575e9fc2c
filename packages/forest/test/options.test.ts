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

  it('default the scikit-learn parameters users tune as scikit-learn does', () => {
    expect(resolveForestOptions()).to.include({
      ccpAlpha: 0,
      minImpurityDecrease: 0,
      maxLeafNodes: null,
      classWeight: null,
      oobScore: false,
    });
  });

  it('reject an option the forest does not know, naming it (and the likely one meant)', () => {
    const bad = (o: object) => () => resolveForestOptions(o as never);
    expect(bad({ ccpAlfa: 0.001 })).to.throw(
      TypeError,
      'options.ccpAlfa is not an option of RandomForestClassifier',
    );
    expect(bad({ ccp_alpha: 0.001 })).to.throw(TypeError, 'did you mean ccpAlpha?');
    expect(bad({ n_estimators: 10 })).to.throw(TypeError, 'did you mean nEstimators?');
    expect(bad({ nJobs: 2 })).to.throw(TypeError, 'known: nEstimators');
  });

  it('reject bad values of the new options, naming them', () => {
    const bad = (o: object) => () => resolveForestOptions(o as never);
    expect(bad({ ccpAlpha: -0.1 })).to.throw(RangeError, 'options.ccpAlpha must be a finite number >= 0');
    expect(bad({ ccpAlpha: '0.1' })).to.throw(TypeError, 'options.ccpAlpha must be a number');
    expect(bad({ minImpurityDecrease: Infinity })).to.throw(RangeError, 'options.minImpurityDecrease');
    expect(bad({ maxLeafNodes: 1 })).to.throw(RangeError, 'options.maxLeafNodes must be between 2');
    expect(bad({ maxLeafNodes: 2.5 })).to.throw(TypeError, 'options.maxLeafNodes must be an integer');
    expect(bad({ classWeight: 'auto' })).to.throw(TypeError, "options.classWeight must be 'balanced'");
    expect(bad({ classWeight: { 1: -2 } })).to.throw(
      RangeError,
      'options.classWeight[1] must be a finite number > 0',
    );
    expect(bad({ classWeight: { a: 2 } })).to.throw(
      TypeError,
      'options.classWeight keys must be integer class labels',
    );
    expect(bad({ oobScore: 1 })).to.throw(TypeError, 'options.oobScore must be true or false');
    expect(bad({ oobScore: true, bootstrap: false })).to.throw(
      RangeError,
      'options.oobScore needs options.bootstrap',
    );
    expect(resolveForestOptions({ classWeight: new Map([[3, 2]]) }).classWeight).to.deep.equal({ 3: 2 });
  });
});
