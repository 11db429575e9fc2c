import { expect } from 'chai';
import { init, shutdown } from '@de2/core';
import { Tuner, grid, type TrialContext } from '@de2/tune';
import { Capture, tempDir } from './helpers.js';

async function slowTrials(output: Capture, mode: 'table' | 'lines' | 'auto' | 'none') {
  return new Tuner(
    async (config: { lr: number }, ctx: TrialContext) => {
      for (let i = 1; i <= 3; i++) {
        await new Promise((r) => setTimeout(r, 60));
        await ctx.report({ loss: config.lr / i });
      }
    },
    {
      paramSpace: { lr: grid([0.1, 0.2, 0.3]) },
      tuneConfig: { metric: 'loss', mode: 'min', maxConcurrentTrials: 2 },
      runConfig: { storagePath: tempDir(), progress: { mode, output, intervalMs: 40 } },
    },
  ).fit();
}

describe('progress output', function () {
  this.timeout(60_000);
  before(async () => {
    await init({ numCpus: 2 });
  });
  after(async () => {
    await shutdown();
  });

  it('on a terminal: a table redrawn in place, then a summary with the best config', async () => {
    const out = new Capture(true);
    await slowTrials(out, 'auto');
    const text = out.text;
    // Redraws move the cursor up over the previous table and clear below it.
    expect(text).to.match(/\x1b\[\d+A\x1b\[0J/);
    expect(text).to.include('Trial status:');
    expect(text).to.include('Logical resource usage:');
    expect(text).to.match(/│ Trial name\s+status\s+lr\s+iter\s+total time \(s\)\s+loss/);
    expect(text).to.match(/train\w*_\w+_00002\s+TERMINATED\s+0\.3\s+3/);
    expect(text).to.include('RUNNING');
    expect(text).to.include('Current best trial:');
    expect(text).to.match(/Best trial \w+_00000: loss=0\.033333 config=\{"lr":0\.1\}/);
  });

  it('not on a terminal: one line per finished trial, status lines, a summary', async () => {
    const out = new Capture(false);
    await slowTrials(out, 'auto');
    const lines = out.text.trim().split('\n');
    expect(out.text).to.not.include('\x1b[');
    const finished = lines.filter((l) => /^Trial \w+ TERMINATED iter=3/.test(l));
    expect(finished).to.have.length(3);
    expect(lines.some((l) => l.startsWith('[tune] Trial status:'))).to.equal(true);
    expect(lines.at(-1)).to.match(/^Results: /);
    expect(out.text).to.match(/Tune finished after .*: 3 trials \(3 TERMINATED\)/);
  });

  it("progress: 'none' prints nothing", async () => {
    const out = new Capture(true);
    await slowTrials(out, 'none');
    expect(out.text).to.equal('');
  });
});
