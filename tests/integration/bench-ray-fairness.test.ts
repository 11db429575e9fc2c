// bench:ray compares de2 with a Python program (Ray Tune + scikit-learn). The comparison is
// fair only if both train and test on the same rows and search the same grid: the Python
// side re-implements the example's stratified split, so this checks, with plain python3
// (no Ray, no numpy), that its split and trial parameters are exactly de2's.
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SAMPLE_PATH } from '../../examples/covertype/index.js';
import { gridConfigs } from '../../examples/random-forest/grids.js';
import { splitSummary } from '../../benchmarks/ray/split-hash.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const program = path.join(root, 'benchmarks/ray/tune_forest.py');

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Plan {
  split: Awaited<ReturnType<typeof splitSummary>>;
  trials: { config: Record<string, unknown>; params: Record<string, unknown> }[];
}

describe('bench:ray: the Python program gets the rows, split and grid de2 gets', function () {
  let dir: string;
  before(function () {
    if (!hasPython()) {
      console.log('    python3 not found: bench:ray fairness checks skipped');
      this.skip();
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'de2-bench-ray-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  async function plan(data: string, configs: unknown[], extra: string[] = []): Promise<Plan> {
    const configsPath = path.join(dir, 'configs.json');
    writeFileSync(configsPath, JSON.stringify(configs));
    const { stdout } = await run('python3', [
      program,
      '--plan',
      '--data',
      data,
      '--configs',
      configsPath,
      ...extra,
    ]);
    return JSON.parse(stdout) as Plan;
  }

  it('the committed sample, default split: same train and test rows (sha256 of each), same 16 trials', async () => {
    const configs = gridConfigs('small', false);
    const p = await plan(SAMPLE_PATH, configs);
    expect(p.split).to.deep.equal(await splitSummary(SAMPLE_PATH));
    expect(p.split).to.include({ rows: 20000, train: 16000, test: 4000 });
    expect(p.trials.map((t) => t.config)).to.deep.equal(configs);
    for (const { config, params } of p.trials) {
      expect(params).to.deep.equal({
        n_estimators: config.nEstimators,
        max_depth: config.maxDepth,
        max_features: config.maxFeatures,
        min_samples_leaf: config.minSamplesLeaf,
        n_jobs: 1,
        random_state: 0,
      });
    }
  });

  it('another seed and test fraction on an uneven small file: still the same rows', async () => {
    // 203 rows of the sample with uneven classes, so that the largest-remainder shares matter.
    const lines = gunzipSync(readFileSync(SAMPLE_PATH)).toString().split('\n');
    const small = path.join(dir, 'small.data');
    writeFileSync(
      small,
      lines
        .filter((_, i) => i % 97 === 3)
        .slice(0, 203)
        .join('\n') + '\n',
    );
    expect(readFileSync(small, 'utf8').trim().split('\n')).to.have.length(203);
    const p = await plan(small, gridConfigs('tiny', false), ['--seed', '7', '--test-fraction', '0.35']);
    expect(p.split).to.deep.equal(await splitSummary(small, 0.35, 7));
    expect(p.trials.every((t) => t.params.random_state === 7)).to.equal(true);
  });
});
