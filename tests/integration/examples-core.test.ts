// Smoke test: each core example runs to the end and prints what it should.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.join(import.meta.dirname, '..', '..');

async function example(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(root, 'examples', name)], {
    cwd: root,
  });
  return stdout;
}

describe('core examples', () => {
  it('examples/tasks.ts', async () => {
    const out = await example('tasks.ts');
    expect(out).to.contain('square(4) = 16').and.contain('sum of squares = 30').and.contain('fib(8) = 21');
    expect(out).to.contain('ready: 1, pending: 1');
  });

  it('examples/actors.ts', async () => {
    const out = await example('actors.ts');
    expect(out)
      .to.contain('counter = 3')
      .and.contain('through getActor = 14')
      .and.contain('after kill: ActorDiedError');
  });

  it('examples/objects.ts', async () => {
    const out = await example('objects.ts');
    expect(out)
      .to.contain('sum = 45000000')
      .and.contain('length through a nested ref = 10000000')
      .and.contain('last square = 999998000001');
  });
});
