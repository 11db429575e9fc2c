import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { RandomForestClassifier, type RandomForestOptions } from '@de2/forest';
import { covtype, stratifiedSplit } from './helpers.js';

/**
 * scikit-learn's accuracy, nodes per tree (and oob_score_ where asked) for each configuration, averaged over its runs
 * (random_state 0, 1, 2), written by `npm run bench:forest -- --params --write-fixture`.
 */
const FIXTURE = new URL('./fixtures/sklearn-params.json', import.meta.url);
const fixture = existsSync(FIXTURE)
  ? (JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
      sklearn: string;
      trees: number;
      configs: Record<
        string,
        { options: RandomForestOptions; accuracy: number; meanNodes: number; oob?: number }
      >;
    })
  : null;

describe(`forest parameters against scikit-learn ${fixture?.sklearn} on the real Covertype sample`, function () {
  this.timeout(300_000);
  const { train, test } = stratifiedSplit(covtype(), 0.2, 0);
  for (const [name, ref] of Object.entries(fixture?.configs ?? {})) {
    it(`${name}: test accuracy within 1 point, nodes per tree within 10%${ref.oob === undefined ? '' : ', out-of-bag score within 1 point'}`, () => {
      const rf = new RandomForestClassifier({
        nEstimators: fixture!.trees,
        maxDepth: null,
        seed: 0,
        ...ref.options,
      });
      rf.fit(train.X, train.y, train.nFeatures);
      const acc = rf.score(test.X, test.y, test.nFeatures);
      expect(Math.abs(acc - ref.accuracy), `accuracy ${acc} vs scikit-learn ${ref.accuracy}`).to.be.at.most(
        0.01,
      );
      const nodes = rf.nodeCount / rf.nTrees;
      expect(nodes / ref.meanNodes, `nodes per tree ${nodes} vs scikit-learn ${ref.meanNodes}`).to.be.within(
        0.9,
        1.1,
      );
      if (ref.oob !== undefined) {
        const oob = rf.oobScore;
        expect(
          Math.abs(oob - ref.oob),
          `oobScore ${oob} vs scikit-learn's oob_score_ ${ref.oob}`,
        ).to.be.at.most(0.01);
      }
    });
  }
});
