import { expect } from 'chai';
import { chaosTable, runChaos } from '../../benchmarks/chaos/run-chaos.js';

// The short version of `npm run chaos`: fewer and longer trials, one worker killed, one
// stalled, one cut off (where namespaces can be made) and the head restarted, in an order
// drawn from the seed. The full run and its published table: benchmarks/README.md.
describe('chaos: a Tune experiment through every kind of fault (short version)', function () {
  this.timeout(300_000);

  it('ends every trial TERMINATED once with its right metric, within the bound, leaving no process', async () => {
    const report = await runChaos({
      seed: 7,
      trials: 18,
      trialMs: 4000,
      kills: 1,
      boundMs: 180_000,
      log: () => {},
    });
    console.log(chaosTable(report).replace(/^/gm, '      '));
    expect(report.errors).to.deep.equal([]);
    expect(report.faults.map((f) => f.kind).sort()).to.deep.equal(
      ['kill-worker', ...(report.netns ? ['partition-worker'] : []), 'restart-head', 'stall-worker'].sort(),
    );
    for (const f of report.faults) expect(f.ok, `${f.kind}: ${f.outcome}`).to.equal(true);
    expect(report.terminated).to.equal(18);
    expect(report.rightMetric).to.equal(18);
    expect(report.processesLeft).to.equal(0);
  });
});
