import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('installed CLIs', () => {
  it('npx de2-node --help works from the repository root', async () => {
    const { stdout } = await run('npx', ['--no-install', 'de2-node', '--help'], { cwd: root });
    expect(stdout).to.contain('Usage: de2-node');
  });

  it('npx de2-cloud --help works from the repository root', async () => {
    const { stdout } = await run('npx', ['--no-install', 'de2-cloud', '--help'], { cwd: root });
    expect(stdout).to.contain('Usage: de2-cloud');
  });
});
