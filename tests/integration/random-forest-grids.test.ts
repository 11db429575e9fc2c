// The example's grids (no cluster): the seed grid is the assignment's own search, with its
// troublesome trial, and `--grid seed` selects it.
import { expect } from 'chai';
import { RandomForestClassifier } from '@de2/forest';
import {
  GRID_SPECS,
  OOM_CONFIG,
  SEED_TROUBLESOME_CONFIG,
  defaultMemoryMb,
  gridConfigs,
} from '../../examples/random-forest/grids.js';
import { parseOptions } from '../../examples/random-forest/options.js';

describe('examples/random-forest grids', () => {
  it("seed: maxDepth [10, 20, null] x ccpAlpha [0, 1e-4, 1e-3], then the seed's trial and the 4,000-tree one", () => {
    const configs = gridConfigs('seed', false);
    expect(configs).to.have.length(11);
    const pairs = configs.slice(0, 9).map((c) => `${c.maxDepth}/${c.ccpAlpha}`);
    expect(new Set(pairs)).to.deep.equal(
      new Set([
        '10/0',
        '10/0.0001',
        '10/0.001',
        '20/0',
        '20/0.0001',
        '20/0.001',
        'null/0',
        'null/0.0001',
        'null/0.001',
      ]),
    );
    expect(configs[9]).to.deep.equal(SEED_TROUBLESOME_CONFIG);
    expect(SEED_TROUBLESOME_CONFIG).to.include({
      maxDepth: null,
      nEstimators: Math.max(...GRID_SPECS.full.nEstimators),
    });
    expect(SEED_TROUBLESOME_CONFIG.ccpAlpha).to.be.greaterThan(0);
    expect(configs[10]).to.deep.equal(OOM_CONFIG);
    // Every config is a valid forest (ccpAlpha reaches the forest; an unknown option would throw).
    for (const c of configs) expect(() => new RandomForestClassifier(c)).to.not.throw();
    // The other grids do not set ccpAlpha: the Ray side of bench:ray searches them as they were.
    expect(gridConfigs('small', false).every((c) => !('ccpAlpha' in c))).to.equal(true);
    // Room for the seed's 400-tree trial (40 MiB + 0.2 MiB a tree), as the full grid has.
    expect(defaultMemoryMb('seed', 16_000)).to.equal(120);
    expect(defaultMemoryMb('seed', 16_000)).to.equal(defaultMemoryMb('full', 16_000));
  });

  it('--grid seed selects it', () => {
    expect(parseOptions(['--grid', 'seed']).grid).to.equal('seed');
    expect(() => parseOptions(['--grid', 'sed'])).to.throw('--grid');
  });
});
