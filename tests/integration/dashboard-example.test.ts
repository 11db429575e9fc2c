// `npm run example -- --dashboard`: the embedded cluster's dashboard shows the experiment and
// stays up after it, until Ctrl+C.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..', '..');
const script = path.join(root, 'examples', 'random-forest.ts');

describe('random-forest example --dashboard', function () {
  this.timeout(120_000);
  let storage: string;
  before(() => {
    storage = mkdtempSync(path.join(tmpdir(), 'de2-rf-dashboard-'));
  });
  after(() => rmSync(storage, { recursive: true, force: true }));

  it('prints the dashboard URL, which shows the finished experiment until Ctrl+C', async () => {
    const args = ['--grid', 'tiny', '--rows', '4000', '--num-cpus', '2', '--progress', 'none'];
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        script,
        ...args,
        '--storage-path',
        storage,
        '--name',
        'rf',
        '--dashboard',
        '--dashboard-port',
        '0',
      ],
      {
        cwd: root,
        env: { ...process.env, DE2_ADDRESS: '', DE2_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const exited = once(child, 'exit');
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const m = /the dashboard stays up at (\S+); press Ctrl\+C/.exec(output);
          if (m) resolve(m[1]!);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`the example exited (${code}) first:\n${output}`)));
      });
      expect(output).to.contain(`dashboard: ${url}`);
      const base = new URL(url);
      const token = base.searchParams.get('token');
      expect(token, 'the printed link carries the token').to.match(/^[0-9a-f]{64}$/);
      expect((await fetch(new URL('/api/experiments', base))).status).to.equal(401);
      const reply = await fetch(new URL('/api/experiments', base), {
        headers: { Authorization: `Bearer ${token}` },
      });
      const { experiments } = (await reply.json()) as {
        experiments: { name: string; status: string; trials: { status: string; points: unknown[] }[] }[];
      };
      expect(experiments.map((e) => [e.name, e.status])).to.deep.equal([['rf', 'finished']]);
      expect(experiments[0]!.trials).to.have.length(4);
      for (const t of experiments[0]!.trials) {
        expect(t.status).to.equal('TERMINATED');
        expect(t.points.length).to.be.greaterThan(0);
      }
      child.kill('SIGINT');
      const [code] = await exited;
      expect(code, output).to.equal(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
