import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { TrialStatus, Tuner } from '@de2/tune';
import { tempDir } from './helpers.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'grid-driver.ts');

interface State {
  finished: boolean;
  trials: { id: string; status: string; config: { x: number } }[];
}

function run(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function readState(dir: string): State | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'grid', 'experiment-state.json'), 'utf8')) as State;
  } catch {
    return undefined;
  }
}

/** Polls the state file (which the driver rewrites after every change) until `enough` holds. */
async function waitForState(
  dir: string,
  enough: (s: State) => boolean,
  exited: Promise<unknown>,
): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    const s = readState(dir);
    if (s && enough(s)) return;
    if (done) throw new Error('the driver exited before the state was reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const terminated = (s: State) => s.trials.filter((t) => t.status === TrialStatus.TERMINATED);

function checkComplete(dir: string, log: string, finishedBefore: number[]): void {
  const state = readState(dir);
  expect(state?.finished).to.equal(true);
  const xs = state!.trials.map((t) => t.config.x).sort((a, b) => a - b);
  expect(xs).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(terminated(state!)).to.have.length(10);
  const starts = fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('start '));
  for (const x of finishedBefore) {
    expect(
      starts.filter((l) => l === `start ${x}`),
      `trial x=${x} ran again`,
    ).to.have.length(1);
  }
}

describe('Tuner.restore', function () {
  this.timeout(90_000);

  it('continues a grid after the driver is killed with SIGKILL: one finished trial per point, none rerun', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'runs.log');
    const first = run(['fresh', dir, log]);
    await waitForState(dir, (s) => terminated(s).length >= 4, first.exited);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = readState(dir)!;
    const finishedBefore = terminated(atKill).map((t) => t.config.x);
    expect(finishedBefore.length).to.be.within(4, 9);
    expect(atKill.finished).to.equal(false);
    expect(Tuner.canRestore(path.join(dir, 'grid'))).to.equal(true);

    const second = run(['restore', dir, log]);
    expect(await second.exited, second.output()).to.equal(0);
    expect(second.output()).to.include('RESULT 10 10');
    checkComplete(dir, log, finishedBefore);
  });

  it('stops gracefully on SIGINT, says how to resume, and resumes', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'runs.log');
    const first = run(['fresh', dir, log]);
    await waitForState(dir, (s) => terminated(s).length >= 2, first.exited);
    first.child.kill('SIGINT');
    expect(await first.exited, first.output()).to.equal(0);
    expect(first.output()).to.include('Tuner.restore(');
    const atStop = readState(dir)!;
    expect(atStop.finished).to.equal(false);
    expect(atStop.trials.some((t) => t.status === TrialStatus.RUNNING)).to.equal(false);
    const finishedBefore = terminated(atStop).map((t) => t.config.x);

    const second = run(['restore', dir, log]);
    expect(await second.exited, second.output()).to.equal(0);
    checkComplete(dir, log, finishedBefore);
  });
});
