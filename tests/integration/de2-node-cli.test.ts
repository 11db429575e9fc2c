import { expect } from 'chai';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { De2Home } from '../helpers/de2-node.js';

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
