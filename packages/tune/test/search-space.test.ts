import { expect } from 'chai';
import { grid, gridVariants } from '@de2/tune';

describe('grid search space', () => {
  it('forms the cartesian product, last grid fastest, nested objects included', () => {
    const variants = gridVariants({ a: grid([1, 2]), fixed: 'x', inner: { b: grid([true, false]) } });
    expect(variants).to.deep.equal([
      { a: 1, fixed: 'x', inner: { b: true } },
      { a: 1, fixed: 'x', inner: { b: false } },
      { a: 2, fixed: 'x', inner: { b: true } },
      { a: 2, fixed: 'x', inner: { b: false } },
    ]);
  });

  it('rejects an empty grid', () => {
    expect(() => grid([])).to.throw(RangeError, 'non-empty');
  });
});
