import { expect } from 'chai';
import {
  choice,
  generateVariants,
  grid,
  gridVariants,
  loguniform,
  qrandint,
  quniform,
  randint,
  randn,
  sampleFrom,
  uniform,
} from '@de2/tune';

function draws(domain: unknown, n = 3000, seed = 1): unknown[] {
  return generateVariants({ v: domain }, { numSamples: n, seed }).map((c) => c.v);
}

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

  it('numSamples repeats the whole grid and draws the random parts each time', () => {
    const configs = generateVariants(
      { a: grid([1, 2, 3]), b: grid(['x', 'y']), r: uniform(0, 1) },
      { numSamples: 3, seed: 7 },
    );
    expect(configs).to.have.length(18);
    const keys = configs.map((c) => `${String(c.a)}${String(c.b)}`);
    const once = ['1x', '1y', '2x', '2y', '3x', '3y'];
    expect(keys).to.deep.equal([...once, ...once, ...once]);
    expect(new Set(configs.map((c) => c.r)).size).to.equal(18);
  });

  it('rejects a bad numSamples', () => {
    expect(() => generateVariants({}, { numSamples: 0 })).to.throw(RangeError, 'options.numSamples');
  });
});

describe('random domains', () => {
  it('uniform stays in [lo, hi) and covers it', () => {
    const v = draws(uniform(-2, 3)) as number[];
    expect(Math.min(...v))
      .to.be.at.least(-2)
      .and.below(-1.9);
    expect(Math.max(...v))
      .to.be.below(3)
      .and.above(2.9);
  });

  it('quniform gives multiples of q within [lo, hi]', () => {
    const v = draws(quniform(0, 1, 0.1)) as number[];
    for (const x of v) {
      expect(x).to.be.within(0, 1);
      expect(Math.abs(x * 10 - Math.round(x * 10))).to.be.below(1e-9);
    }
    expect(new Set(v).size).to.equal(11);
  });

  it('loguniform is uniform in log space', () => {
    const v = draws(loguniform(1e-4, 1)) as number[];
    for (const x of v) expect(x).to.be.within(1e-4, 1);
    const belowMiddle = v.filter((x) => x < 1e-2).length / v.length; // 1e-2 is the log-midpoint
    expect(belowMiddle).to.be.within(0.45, 0.55);
  });

  it('randint excludes hi, qrandint includes hi', () => {
    const r = draws(randint(3, 7)) as number[];
    expect([...new Set(r)].sort()).to.deep.equal([3, 4, 5, 6]);
    const q = draws(qrandint(0, 20, 5)) as number[];
    expect([...new Set(q)].sort((a, b) => a - b)).to.deep.equal([0, 5, 10, 15, 20]);
  });

  it('randn has the given mean and standard deviation', () => {
    const v = draws(randn(10, 2), 5000) as number[];
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(mean).to.be.closeTo(10, 0.15);
    expect(sd).to.be.closeTo(2, 0.15);
  });

  it('choice picks every value', () => {
    expect(new Set(draws(choice(['a', 'b', 'c']), 300))).to.deep.equal(new Set(['a', 'b', 'c']));
  });

  it('a seed makes the configs reproducible; another seed changes them', () => {
    const space = {
      lr: loguniform(1e-4, 1),
      layers: randint(1, 9),
      nested: { p: uniform(0, 1) },
      g: grid([1, 2]),
    };
    const a = generateVariants(space, { numSamples: 4, seed: 42 });
    expect(generateVariants(space, { numSamples: 4, seed: 42 })).to.deep.equal(a);
    expect(generateVariants(space, { numSamples: 4, seed: 43 })).to.not.deep.equal(a);
  });

  it('sampleFrom sees the other resolved values, nested ones included', () => {
    const configs = generateVariants(
      {
        width: grid([2, 8]),
        model: { depth: randint(1, 4) },
        units: sampleFrom((c) => (c.width as number) * 10),
      },
      { seed: 3 },
    );
    expect(configs.map((c) => c.units)).to.deep.equal([20, 80]);
    for (const c of configs) expect((c.model as { depth: number }).depth).to.be.within(1, 3);
  });

  it('rejects bad bounds with the argument named', () => {
    expect(() => uniform(2, 1)).to.throw(RangeError, 'lo must be less than hi');
    expect(() => loguniform(0, 1)).to.throw(RangeError, 'lo must be greater than 0');
    expect(() => randint(0.5, 3)).to.throw(TypeError, 'integers');
    expect(() => quniform(0, 1, 0)).to.throw(RangeError, 'q must be greater than 0');
    expect(() => choice([])).to.throw(RangeError, 'non-empty');
  });
});
