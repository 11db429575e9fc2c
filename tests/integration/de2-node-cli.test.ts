import { expect } from 'chai';
import { readFileSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { De2Home } from '../helpers/de2-node.js';
import { startNode } from '../helpers/test-cluster.js';

describe('de2-node start / stop', function () {
  this.timeout(60_000);
  let home: De2Home;
  beforeEach(() => {
    home = new De2Home();
  });
  afterEach(() => home.cleanup());

  it('starts a head in the background on a free port and prints how to join it', async () => {
    const head = await home.cli(['start', '--head', '--port', '0', '--host', '127.0.0.1', '--num-cpus', '1']);
    expect(head.code, head.stderr).to.equal(0);
    const join_ = /npx de2-node start --address (127\.0\.0\.1:(\d+)) --token (\S+)/.exec(head.stdout);
    expect(join_, head.stdout).to.not.equal(null);
    expect(Number(join_![2])).to.be.greaterThan(0);
    expect(head.stdout).to.contain("init({ address: 'auto' })").and.contain('npx de2-node status');

    const tokenFile = join(home.dir, 'token');
    expect(statSync(tokenFile).mode & 0o777).to.equal(0o600);
    expect(readFileSync(tokenFile, 'utf8').trim()).to.equal(join_![3]);

    const sessionDir = /Session folder: (\S+)/.exec(head.stdout)![1]!;
    const record = JSON.parse(readFileSync(join(sessionDir, 'node.json'), 'utf8')) as {
      pid: number;
      role: string;
    };
    expect(record.role).to.equal('head');
    expect(() => process.kill(record.pid, 0)).to.not.throw();
    expect(readFileSync(join(sessionDir, 'logs', 'node.log'), 'utf8')).to.contain('listening');

    const stop = await home.cli(['stop']);
    expect(stop.stdout).to.contain('stopped head');
    expect(() => process.kill(record.pid, 0)).to.throw();
    expect(existsSync(join(sessionDir, 'node.json'))).to.equal(false);
  });

  it('a worker with the token joins; with a wrong or missing token it exits with a clear message', async () => {
    const head = await home.cli(['start', '--head', '--port', '0', '--host', '127.0.0.1']);
    const [, address, token] = /--address (\S+) --token (\S+)/.exec(head.stdout)!;

    const wrong = await home.cli(['start', '--address', address!, '--token', 'not-the-token']);
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.contain('refused the cluster token');

    const other = new De2Home(); // a machine that never saw the token
    try {
      const missing = await other.cli(['start', '--address', address!]);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.contain('no cluster token').and.contain('--token');
    } finally {
      await other.cleanup();
    }

    const worker = await home.cli(['start', '--address', address!, '--token', token!]);
    expect(worker.code, worker.stderr).to.equal(0);
    expect(worker.stdout).to.contain(`joined the cluster at ${address}`);
    const stop = await home.cli(['stop']);
    expect(stop.stdout).to.contain('stopped head').and.contain('stopped worker');
  });

  it('a restarted head keeps its token; --new-token makes a fresh one', async () => {
    const args = [
      'start',
      '--head',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--num-cpus',
      '0',
      '--no-dashboard',
    ];
    const tokenOf = (stdout: string) => /--token (\S+)/.exec(stdout)![1]!;
    const first = await home.cli(args);
    expect(first.code, first.stderr).to.equal(0);
    await home.cli(['stop']);
    const again = await home.cli(args);
    expect(again.code, again.stderr).to.equal(0);
    expect(tokenOf(again.stdout), 'the token found in ~/.de2/token').to.equal(tokenOf(first.stdout));
    await home.cli(['stop']);
    const fresh = await home.cli([...args, '--new-token']);
    expect(fresh.code, fresh.stderr).to.equal(0);
    expect(tokenOf(fresh.stdout)).to.not.equal(tokenOf(first.stdout));
    expect(readFileSync(join(home.dir, 'token'), 'utf8').trim()).to.equal(tokenOf(fresh.stdout));
  });

  it('keeps the token off the command line of the nodes it starts (--token, --token-file)', async () => {
    const head = await home.cli([
      'start',
      '--head',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--num-cpus',
      '0',
      '--no-dashboard',
    ]);
    const [, address, token] = /--address (\S+) --token (\S+)/.exec(head.stdout)!;
    const other = new De2Home(); // another machine: the token only in a file, or on the command line
    try {
      const file = join(other.dir, 'cluster-token');
      writeFileSync(file, `${token}\n`, { mode: 0o600 });
      const viaFile = await other.cli([
        'start',
        '--address',
        address!,
        '--token-file',
        file,
        '--num-cpus',
        '1',
      ]);
      expect(viaFile.code, viaFile.stderr).to.equal(0);
      const viaFlag = await other.cli(['start', '--address', address!, '--token', token!, '--num-cpus', '1']);
      expect(viaFlag.code, viaFlag.stderr).to.equal(0);
      const pids = [
        ...viaFile.stdout.matchAll(/Session folder: (\S+)/g),
        ...viaFlag.stdout.matchAll(/Session folder: (\S+)/g),
      ].map(([, dir]) => (JSON.parse(readFileSync(join(dir!, 'node.json'), 'utf8')) as { pid: number }).pid);
      expect(pids).to.have.length(2);
      for (const pid of pids) {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        expect(cmdline, 'the node runs').to.contain('--address');
        expect(cmdline).to.not.contain(token!);
      }
      // In the foreground (--block, as under systemd) the process hides it from its own arguments.
      const blocking = await startNode(
        other.env,
        ['--address', address!, '--token', token!, '--num-cpus', '1'],
        /joined the cluster/,
      );
      try {
        const cmdline = readFileSync(`/proc/${blocking.process.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        expect(cmdline).to.contain('--token ***').and.not.contain(token!);
      } finally {
        blocking.process.kill('SIGKILL');
      }
      const missing = await other.cli([
        'start',
        '--address',
        address!,
        '--token-file',
        join(other.dir, 'nope'),
      ]);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.contain('cannot read the token file');
    } finally {
      await other.cleanup();
    }
  });

  it('rejects bad flags with a message saying what to change', async () => {
    const both = await home.cli(['start', '--head', '--address', '1.2.3.4:5']);
    expect(both.code).to.equal(2);
    expect(both.stderr).to.contain('exactly one of --head');
    const resources = await home.cli(['start', '--head', '--resources', '{"gpu":"x"}']);
    expect(resources.stderr).to.contain("'gpu' must be a number");
    const address = await home.cli(['start', '--address', 'nohostport']);
    expect(address.stderr).to.contain('--address must be HOST:PORT');
  });
});
