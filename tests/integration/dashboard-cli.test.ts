import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { De2Home } from '../helpers/de2-node.js';

describe('de2-node: the head serves the dashboard', function () {
  this.timeout(60_000);
  let home: De2Home;
  beforeEach(() => {
    home = new De2Home();
  });
  afterEach(() => home.cleanup());
  const startHead = (...dashboardArgs: string[]) =>
    home.cli(['start', '--head', '--port', '0', '--host', '127.0.0.1', ...dashboardArgs]);

  it('start --head prints its URL and the SSH tunnel; status prints it too; it asks for the token', async () => {
    const head = await startHead('--dashboard-port', '0');
    expect(head.code, head.stderr).to.equal(0);
    const url = /Dashboard:\s+(http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(head.stdout);
    expect(url, head.stdout).to.not.equal(null);
    expect(head.stdout).to.contain(`ssh -L ${url![2]}:localhost:${url![2]} `);

    const status = await home.cli(['status']);
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout).to.contain(`Dashboard: ${url![1]}`);
    const json = JSON.parse((await home.cli(['status', '--json'])).stdout) as { dashboardUrl: string };
    expect(json.dashboardUrl).to.equal(url![1]);

    const page = await fetch(url![1]!);
    expect(page.status).to.equal(401);
    expect(await page.text()).to.contain('name="token"');
    expect((await fetch(new URL('/api/nodes', url![1]))).status).to.equal(401);
  });

  it('--no-dashboard serves none; a dashboard port in use leaves the head up without one, saying why', async () => {
    const off = await startHead('--no-dashboard');
    expect(off.code, off.stderr).to.equal(0);
    expect(off.stdout).to.match(/Dashboard:\s+off/);
    await home.cli(['stop']);

    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const head = await startHead('--dashboard-port', String(port));
      expect(head.code, head.stderr).to.equal(0);
      expect(head.stdout).to.match(/Dashboard:\s+off/);
      const status = await home.cli(['status']);
      expect(status.code, status.stderr).to.equal(0);
      const log = /Logs:\s+(\S+)/.exec(head.stdout)![1]!;
      expect(readFileSync(log, 'utf8')).to.contain(
        `dashboard not started on 127.0.0.1:${port}: the port is in use`,
      );
    } finally {
      taken.close();
    }
  });
});
