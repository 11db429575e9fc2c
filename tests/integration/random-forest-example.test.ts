// examples/random-forest.ts end to end, as a user runs it: a child process (tsx), on the
// embedded cluster and on a 2-node cluster of real de2-node processes, on a tiny grid.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';

const root = path.join(import.meta.dirname, '..', '..');
const script = path.join(root, 'examples', 'random-forest.ts');
const sample = path.join(root, 'examples', 'data', 'covtype.sample.data.gz');

interface Run {
  code: number | null;
  pid: number;
  stdout: string;
  stderr: string;
}

// No DE2_ADDRESS from the caller's shell: without --address the example must run embedded.
const plainEnv = { ...process.env, DE2_ADDRESS: '', DE2_TOKEN: '' };

function runExample(args: string[], env: NodeJS.ProcessEnv = plainEnv): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, pid: child.pid!, stdout, stderr }));
  });
}

interface Summary {
  bestConfig: { nEstimators: number; maxDepth: number | null };
  bestAccuracy: number;
  bestTrialId: string;
  trials: number;
  terminated: number;
  stoppedEarly: number;
  errors: {
    trialId: string;
    config: { rf: { nEstimators: number; maxDepth: number | null } };
    error: string;
  }[];
}

interface Report {
  accuracy: number;
  trees: number;
  node: string;
  trialId: string;
}

/** Every report of every trial, read back from the trial folders the example wrote. */
function reports(dir: string): Report[] {
  return readdirSync(dir)
    .filter((d) => existsSync(path.join(dir, d, 'result.jsonl')))
    .flatMap((d) =>
      readFileSync(path.join(dir, d, 'result.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Report),
    );
}

/** The best accuracy among trials that finished, from their last reports on disk. */
function bestOnDisk(dir: string, summary: Summary): number {
  const errored = new Set(summary.errors.map((e) => e.trialId));
  const last = new Map<string, Report>();
  for (const r of reports(dir)) if (!errored.has(r.trialId)) last.set(r.trialId, r);
  return Math.max(...[...last.values()].map((r) => r.accuracy));
}

describe('examples/random-forest.ts', function () {
  this.timeout(120_000);
  let storage: string;

  before(() => {
    storage = mkdtempSync(path.join(tmpdir(), 'de2-rf-example-'));
  });
  after(() => rmSync(storage, { recursive: true, force: true }));

  function common(name: string): string[] {
    return [
      '--grid',
      'tiny',
      '--rows',
      '4000',
      '--storage-path',
      storage,
      '--name',
      name,
      '--progress',
      'lines',
    ];
  }

  function readSummary(name: string): Summary {
    return JSON.parse(readFileSync(path.join(storage, name, 'summary.json'), 'utf8')) as Summary;
  }

  it('runs the tiny grid on the embedded cluster and prints and writes the best configuration', async () => {
    const run = await runExample([...common('embedded'), '--num-cpus', '2']);
    expect(run.code, run.stderr + run.stdout).to.equal(0);
    expect(run.stdout).to.match(/embedded cluster: 1 node\(s\), 2 CPUs/);
    expect(run.stdout).to.match(/stratified sample of 4000; train 3200 \/ test 800 rows/);
    const summary = readSummary('embedded');
    expect(summary.trials).to.equal(4);
    expect(summary.terminated, JSON.stringify(summary.errors)).to.equal(4);
    // What is printed is what is on disk: the best of the trials' own reports.
    const dir = path.join(storage, 'embedded');
    expect(summary.bestAccuracy).to.equal(bestOnDisk(dir, summary));
    expect(run.stdout).to.contain(`best config: ${JSON.stringify(summary.bestConfig)}`);
    expect(run.stdout).to.contain(`best test accuracy: ${summary.bestAccuracy.toFixed(4)}`);
    expect(run.stdout).to.contain(`results written to ${dir}`);
    expect(run.stdout).to.match(/wall time: [\d.]+ s for the search/);
    // Plausible for a forest on 3,200 Covertype rows (a majority guess gets about 0.3).
    expect(summary.bestAccuracy).to.be.within(0.6, 1);
    expect(existsSync(path.join(dir, 'results.csv'))).to.equal(true);
  });

  it('ends the huge unbounded forest as an ERROR with OutOfMemoryError and finishes the rest', async () => {
    const run = await runExample([
      ...common('oom'),
      '--num-cpus',
      '2',
      '--include-oom-trial',
      '--memory-mb',
      '32',
    ]);
    expect(run.code, run.stderr + run.stdout).to.equal(0);
    const summary = readSummary('oom');
    expect(summary.trials).to.equal(5);
    expect(summary.terminated, JSON.stringify(summary.errors)).to.equal(4);
    expect(summary.errors).to.have.length(1);
    expect(summary.errors[0]!.error).to.equal('OutOfMemoryError');
    expect(summary.errors[0]!.config.rf).to.include({ nEstimators: 4000, maxDepth: null });
    expect(run.stdout).to.match(/ERROR \S+ \{"nEstimators":4000,"maxDepth":null.*OutOfMemoryError/);
    // The errored forest never counts as the best, however far it got.
    expect(summary.bestConfig.nEstimators).to.be.at.most(20);
  });

  /** The head's token, from its file (a head started with --block may print only the file's name). */
  function token(cluster: TestCluster): string {
    return readFileSync(path.join(cluster.home.dir, 'token'), 'utf8').trim();
  }

  describe('on a 2-node cluster', () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startTestCluster({ workers: 1, headCpus: 1, workerCpus: 1 });
    });
    after(async () => {
      await cluster?.teardown();
    });

    it('runs with --address, --data and ASHA: trials on both nodes, forests grown by steps', async () => {
      const run = await runExample(
        [
          ...common('cluster'),
          '--address',
          cluster.address,
          '--token',
          token(cluster),
          '--scheduler',
          'asha',
          '--data',
          sample,
        ],
        cluster.home.env,
      );
      expect(run.code, run.stderr + run.stdout).to.equal(0);
      expect(run.stdout).to.contain(`cluster at ${cluster.address}: 2 node(s), 2 CPUs`);
      expect(run.stdout).to.contain(`data: ${sample}: 20000 rows, stratified sample of 4000`);
      const dir = path.join(storage, 'cluster');
      const summary = readSummary('cluster');
      expect(summary.errors).to.deep.equal([]);
      expect(readFileSync(path.join(dir, 'summary.json'), 'utf8')).not.to.contain(token(cluster));
      expect(summary.bestAccuracy).to.equal(bestOnDisk(dir, summary));
      const all = reports(dir);
      // Trials ran in the two node processes, not in the driver.
      const where = new Set(all.map((r) => r.node));
      expect(where.size).to.equal(2);
      for (const w of where) expect(w.endsWith(`:${run.pid}`)).to.equal(false);
      // ASHA's unit is trees: every trial reported at 10 trees, and the 20-tree forests that
      // went on were grown from 10 (addTrees), so their reports read 10 then 20.
      const byTrial = new Map<string, number[]>();
      for (const r of all) byTrial.set(r.trialId, [...(byTrial.get(r.trialId) ?? []), r.trees]);
      expect([...byTrial.values()].every((t) => t[0] === 10)).to.equal(true);
      expect([...byTrial.values()].some((t) => t.join() === '10,20')).to.equal(true);
    });
  });

  describe('flags', () => {
    const cases: [string[], RegExp][] = [
      [['--grid', 'huge'], /--grid must be one of tiny, small, full, seed, got "huge"/],
      [['--scheduler', 'hyperband'], /--scheduler must be one of fifo, asha/],
      [['--rows', '12abc'], /--rows must be a positive integer, got "12abc"/],
      [['--max-concurrent', '0'], /--max-concurrent must be a positive integer/],
      [['--address', 'no-port'], /--address must be HOST:PORT, got "no-port"/],
      [['--bogus'], /Unknown option '--bogus'.*--help/],
      [['--token', 'abc'], /--token needs --address/],
    ];
    it('refuse bad values with a message naming the flag, exit code 2, before starting anything', async () => {
      const runs = await Promise.all(cases.map(([args]) => runExample(args)));
      runs.forEach((run, i) => {
        expect(run.code, cases[i]![0].join(' ')).to.equal(2);
        expect(run.stderr).to.match(cases[i]![1]);
        expect(run.stdout).to.equal('');
      });
    });

    it('a --rows beyond the data fails with exit code 1 before any cluster starts', async () => {
      const run = await runExample(['--rows', '50000']);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(/--rows 50000 is more than the 20000 rows of .*covtype\.sample\.data\.gz/);
      expect(run.stdout).not.to.contain('embedded cluster');
    });

    it('--help prints the options', async () => {
      const run = await runExample(['--help']);
      expect(run.code).to.equal(0);
      for (const flag of ['--address', '--data', '--rows', '--grid', '--scheduler', '--max-concurrent'])
        expect(run.stdout).to.contain(flag);
    });
  });
});
