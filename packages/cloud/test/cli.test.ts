import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.js';
import { CREDENTIALS, FakeOpenStack } from './helpers/fake-openstack.js';
import { harness, type Harness } from './helpers/setup.js';

const BIN = fileURLToPath(new URL('../bin/de2-cloud.js', import.meta.url));

const YAML = `name: covtype
workers: 2
flavor: ssc.small
image: Ubuntu 22.04 - 2024.01
network: uppmax-internal
keyPair: alice-key
de2:
  git: https://github.com/example/de2.git
`;

interface Run {
  code: number;
  output: string;
}

/** Runs the real de2-cloud executable in a child process. */
function cli(args: string[], env: Record<string, string | undefined>, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH, ...env }, cwd },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('de2-cloud CLI', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await writeFile(join(h.stateDir, 'cluster.yaml'), YAML);
  });
  afterEach(async () => {
    await h.close();
  });

  it('up, status, add-workers, down, down: progress lines, exit 0, and no secret in any output or state file', async () => {
    const env = h.os.env() as Record<string, string>;
    const flags = ['--state-dir', join(h.stateDir, 'state'), '--poll-interval', '0.005', '--no-wait'];
    const runs: Run[] = [];
    const commands = [
      ['up'],
      ['status'],
      ['add-workers', '--count', '1'],
      ['down'],
      ['down'],
      ['status', '--json'],
    ];
    for (const args of commands.slice(0, 3)) {
      const run = await cli([...(args as string[]), ...flags], env, h.stateDir);
      expect(run.code, `${args.join(' ')}:\n${run.output}`).to.equal(0);
      runs.push(run);
    }
    const json = await cli(['status', '--json', ...flags], env, h.stateDir);
    expect(json.code).to.equal(0);
    const parsed = JSON.parse(json.output) as {
      vms: { name: string; state: string }[];
      head: { port: number };
    };
    expect(parsed.vms.map((v) => v.state)).to.deep.equal(['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE']);
    expect(parsed.head.port).to.equal(6379);
    runs.push(json);
    for (const args of commands.slice(3, 5)) {
      const run = await cli([...(args as string[]), ...flags], env, h.stateDir);
      expect(run.code, `${args.join(' ')}:\n${run.output}`).to.equal(0);
      runs.push(run);
    }
    const [upRun, statusRun, addRun, , downRun, again] = runs.map((r) => r.output);
    expect(upRun).to.contain('creating VM covtype-head (ssc.small, Ubuntu 22.04 - 2024.01)');
    expect(upRun).to.match(/covtype-head: BUILD[\s\S]*covtype-head: ACTIVE 127\.0\.1\.\d+/);
    expect(upRun).to.match(/cluster 'covtype' is up: head 127\.0\.1\.\d+:6379/);
    expect(upRun).to.contain(`token: ${join(h.stateDir, 'state', 'covtype', 'token')}`);
    expect(statusRun).to.match(/head\s+covtype-head\s+ACTIVE\s+127\.0\.1\.\d+/);
    expect(statusRun).to.match(/worker\s+covtype-worker-2\s+ACTIVE/);
    expect(addRun).to.contain('creating VM covtype-worker-3');
    expect(downRun).to.contain('deleted: ');
    expect(again).to.contain('nothing to delete');
    expect(h.os.servers.size).to.equal(0);

    // The token was written during up; its value must appear nowhere else.
    const token = /DE2_TOKEN=(\S+)/.exec(
      Buffer.from(
        (h.os.bodiesOf('POST', /\/servers$/)[0]?.server as { user_data: string }).user_data,
        'base64',
      ).toString(),
    )?.[1];
    expect(token).to.have.length.greaterThan(20);
    const everything = runs.map((r) => r.output).join('\n');
    expect(everything).not.to.contain(CREDENTIALS.password);
    expect(everything).not.to.contain(token);
    for (const f of await filesUnder(h.stateDir)) {
      const text = await readFile(f, 'utf8');
      expect(text, f).not.to.contain(CREDENTIALS.password);
    }
  });

  it('a failed up (quota) exits 1, says why and what it deleted, and prints no secret', async () => {
    const os = new FakeOpenStack({ maxServers: 1, limitsShowQuota: false });
    await os.start();
    try {
      const run = await cli(
        ['up', '--state-dir', join(h.stateDir, 's'), '--poll-interval', '0.005', '--no-wait'],
        os.env() as Record<string, string>,
        h.stateDir,
      );
      expect(run.code).to.equal(1);
      expect(run.output).to.contain('de2-cloud up failed (PROVISION_FAILED)');
      expect(run.output).to.contain('Quota exceeded for instances');
      expect(run.output).to.contain('Everything it had created was deleted.');
      expect(run.output).not.to.contain(CREDENTIALS.password);
      expect(os.servers.size).to.equal(0);
    } finally {
      await os.close();
    }
  });

  it('Ctrl-C during up deletes what it created and exits 130', async () => {
    const os = new FakeOpenStack({ buildPolls: 1e9 });
    await os.start();
    try {
      const args = [BIN, 'up', '--state-dir', join(h.stateDir, 's'), '--poll-interval', '0.01', '--no-wait'];
      const child = spawn(process.execPath, args, {
        cwd: h.stateDir,
        env: { PATH: process.env.PATH, ...os.env() },
      });
      let output = '';
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('covtype-head: BUILD')) {
            child.stdout.off('data', onData);
            resolve();
          }
        };
        child.stdout.on('data', onData);
      });
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.kill('SIGINT');
      expect(await exited).to.equal(130);
      expect(output).to.contain('interrupted: deleting what this command created');
      expect(output).to.contain('up failed: interrupted');
      expect(os.servers.size).to.equal(0);
      expect([...os.groups.values()].map((g) => g.name)).to.deep.equal(['default']);
    } finally {
      await os.close();
    }
  });

  it('bad usage, a bad cluster.yaml and missing credentials exit 2 with the reason', async () => {
    const env = h.os.env() as Record<string, string>;
    expect((await cli(['frobnicate'], env, h.stateDir)).code).to.equal(2);
    const noCount = await cli(['add-workers'], env, h.stateDir);
    expect(noCount.code).to.equal(2);
    expect(noCount.output).to.contain('--count N');
    const valid = await cli(['validate'], env, h.stateDir);
    expect(valid.code).to.equal(0);
    expect(valid.output).to.contain('cluster.yaml is valid').and.to.contain('"securityGroup": "de2-covtype"');
    await writeFile(
      join(h.stateDir, 'bad.yaml'),
      `${YAML.replace('workers: 2', 'workers: many')}flavour: x\n`,
    );
    const bad = await cli(['up', 'bad.yaml'], env, h.stateDir);
    expect(bad.code).to.equal(2);
    expect(bad.output).to.contain("unknown key 'flavour'").and.to.contain("'workers' must be a whole number");
    const noCreds = await cli(['up'], { ...env, OS_AUTH_URL: '', OS_USERNAME: '' }, h.stateDir);
    expect(noCreds.code).to.equal(2);
    expect(noCreds.output).to.contain('OS_AUTH_URL, OS_USERNAME not set');
    expect(h.os.requests).to.have.length(0);
  });

  it('main() runs in-process with a join check and prints how to connect', async () => {
    const lines: string[] = [];
    const code = await main(['up', join(h.stateDir, 'cluster.yaml')], {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      options: h.options,
    });
    expect(code, lines.join('\n')).to.equal(0);
    const text = lines.join('\n');
    expect(text).to.contain('nodes joined: 3/3');
    expect(text).to.match(/cluster 'covtype' is up: head 127\.0\.1\.\d+:6379, 3 nodes joined/);
    expect(text).to.match(/export DE2_ADDRESS=127\.0\.1\.\d+:6379 DE2_TOKEN="\$\(cat \S+token\)"/);
    expect(
      await main(['down', join(h.stateDir, 'cluster.yaml')], {
        out: () => {},
        err: () => {},
        options: h.options,
      }),
    ).to.equal(0);
  });
});
