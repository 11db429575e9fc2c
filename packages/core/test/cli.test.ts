import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/de2-node.js', import.meta.url));

describe('de2-node CLI', () => {
  it('prints usage for --help', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help']);
    expect(stdout).to.contain('Usage: de2-node').and.contain('start --head');
  });

  it('exits with 2 and the usage for an unknown command', async () => {
    const error = await run(process.execPath, [bin, 'frobnicate']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(error?.code).to.equal(2);
    expect(error?.stderr).to.contain("unknown command 'frobnicate'");
  });
});
