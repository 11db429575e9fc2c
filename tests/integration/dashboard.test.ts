/// <reference lib="dom" />
// The page functions below run in Chromium, hence the DOM types.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'puppeteer-core';
import { get, init, nodes, remote, shutdown } from '@de2/core';
import { Tuner, grid, type TrialContext } from '@de2/tune';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';
import { chromiumPath, launchBrowser, type TestBrowser } from '../helpers/browser.js';

/** Where `DE2_DASHBOARD_SCREENSHOTS=docs` saves the pages the README shows. */
const screenshots = process.env.DE2_DASHBOARD_SCREENSHOTS;
const XSS_NAME = '<img src=x onerror=alert(1)>';

/**
 * A trial that reports once, waits for the test's gate file (fs.watch: an event, not a
 * timer), then reports three more times. It runs on the worker nodes, so it captures nothing.
 */
async function gatedTrial(config: { lr: number; gate: string }, ctx: TrialContext): Promise<void> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  await ctx.report({ score: config.lr });
  await new Promise<void>((resolve) => {
    const check = () => {
      if (!fs.existsSync(config.gate)) return;
      watcher.close();
      resolve();
    };
    const watcher = fs.watch(path.dirname(config.gate), check);
    check();
  });
  for (let i = 2; i <= 4; i++) await ctx.report({ score: config.lr * i - 0.01 * i * i });
}

describe('dashboard in a real Chromium (a head and 2 workers)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let url: string;
  let chromium: TestBrowser;
  let scratch: string;
  const pageErrors: string[] = [];

  before(async function () {
    if (!existsSync(chromiumPath)) {
      throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH)`);
    }
    scratch = mkdtempSync(join(tmpdir(), 'de2-dashboard-'));
    cluster = await startTestCluster({
      workers: 2,
      headCpus: 1,
      workerCpus: 1,
      headArgs: ['--dashboard-port', '0'],
    });
    const match = /Dashboard:\s+(http:\/\/\S+)/.exec(cluster.head.output());
    if (!match) throw new Error(`the head printed no dashboard URL:\n${cluster.head.output()}`);
    url = match[1]!;
    await init({ address: cluster.address, token: cluster.token, logToDriver: false });
    chromium = await launchBrowser();
  });

  after(async () => {
    await shutdown();
    await chromium?.close();
    await cluster?.teardown();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(pageErrors, 'errors in the pages').to.deep.equal([]);
  });

  /** A page logged in with `?token=` (once: the cookie replaces it), rendered. */
  async function open(path: string): Promise<Page> {
    const page = await chromium.browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('dialog', (d) => {
      pageErrors.push(`a dialog opened: ${d.message()}`);
      void d.dismiss();
    });
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${new URL(path, url).href}${path.includes('?') ? '&' : '?'}token=${cluster.token}`);
    expect(page.url(), 'the token leaves the address bar').not.to.include('token=');
    await page.waitForSelector('#app[data-ready="true"]');
    return page;
  }

  it('without the token the page asks for it and the API answers 401; the token logs in with an HttpOnly SameSite=Strict cookie', async () => {
    const context = await chromium.browser.createBrowserContext();
    try {
      const page = await context.newPage();
      const response = await page.goto(url);
      expect(response?.status()).to.equal(401);
      expect(await page.$('input[name="token"]'), 'a token field').not.to.equal(null);
      expect(await page.$('#app'), 'no dashboard before logging in').to.equal(null);
      const api = await page.evaluate(async () => {
        const nodes = await fetch('/api/nodes');
        const kill = await fetch('/api/actors/kill', { method: 'POST', body: '{"actorId":"x"}' });
        return { nodes: nodes.status, kill: kill.status, body: await nodes.json() };
      });
      expect(api.nodes).to.equal(401);
      expect(api.kill).to.equal(401);
      expect((api.body as { error: string }).error).to.match(/cluster token/);

      await page.type('input[name="token"]', 'not-the-token');
      await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
      expect(await page.$eval('[role="alert"]', (e) => e.textContent)).to.match(/wrong/);

      await page.type('input[name="token"]', cluster.token);
      await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
      await page.waitForSelector('#nodes tbody tr');
      const cookie = (await context.cookies()).find((c) => c.name === 'de2_dashboard');
      expect(cookie?.httpOnly).to.equal(true);
      expect(cookie?.sameSite).to.equal('Strict');
      expect(cookie?.value).not.to.include(cluster.token);
      expect(await page.evaluate(() => document.cookie), 'scripts cannot read it').not.to.include(
        'de2_dashboard',
      );
    } finally {
      await context.close();
    }
  });

  it('shows the head and both workers alive, with CPU, memory and object-store bars', async () => {
    const page = await open('/');
    await page.waitForFunction(() => document.querySelectorAll('#nodes tr[data-state="alive"]').length === 3);
    const rows = await page.$$eval('#nodes tbody tr', (trs) =>
      trs.map((tr) => ({
        id: tr.getAttribute('data-node-id'),
        bars: tr.querySelectorAll('.bar svg').length,
      })),
    );
    const expected = (await nodes()).filter((n) => !n.isDriver).map((n) => n.nodeId);
    expect(rows.map((r) => r.id).sort()).to.deep.equal(expected.sort());
    expect(rows.map((r) => r.bars)).to.deep.equal([3, 3, 3]);
    expect(await page.$eval('#live', (e) => e.textContent)).to.equal('live');
    if (screenshots) {
      // A little work on the cluster, for the picture.
      const busy = remote(async (ms: number) => {
        const end = Date.now() + ms;
        while (Date.now() < end);
        return ms;
      }).options({ name: 'trainForest' });
      const refs = [1, 2, 3].map(() => busy.remote(1500));
      await page.waitForFunction(() => document.querySelectorAll('#tasks tbody tr').length >= 3);
      await page.screenshot({ path: join(screenshots, 'dashboard-cluster.png'), fullPage: true });
      await get(refs);
    }
    await page.close();
  });

  it('a task named <img src=x onerror=alert(1)> and its output show as text', async () => {
    const page = await open('/');
    const evil = remote((text: string) => {
      console.log(`printed ${text}`);
      return 1;
    }).options({ name: XSS_NAME });
    expect(await get(evil.remote(XSS_NAME))).to.equal(1);
    // Arrives over the live connection: no reload.
    await page.waitForFunction(
      (name) => [...document.querySelectorAll('#functions td.name')].some((td) => td.textContent === name),
      {},
      XSS_NAME,
    );
    expect(await page.$$('main img')).to.have.length(0);

    // The node that ran it shows the line in its log tail, as text too.
    const withLine = [];
    for (const n of (await nodes()).filter((x) => !x.isDriver)) {
      const lines = await page.evaluate(
        async (id) => (await (await fetch(`/api/logs?node=${encodeURIComponent(id)}`)).json()).lines,
        n.nodeId,
      );
      if ((lines as { text: string }[]).some((l) => l.text === `printed ${XSS_NAME}`))
        withLine.push(n.nodeId);
    }
    expect(withLine).to.have.length(1);
    await page.goto(new URL(`/logs?node=${encodeURIComponent(withLine[0]!)}`, url).href);
    await page.waitForSelector('#app[data-ready="true"]');
    expect(await page.$eval('#log', (e) => e.textContent)).to.include(`printed ${XSS_NAME}`);
    expect(await page.$$('main img')).to.have.length(0);
    await page.close();
  });

  it('kills an actor only by POST with the CSRF header; the actors page shows it dead', async () => {
    const Counter = remote(
      class Counter {
        n = 0;
        inc() {
          return ++this.n;
        }
      },
    );
    const counter = Counter.remote();
    expect(await get(counter.inc.remote())).to.equal(1);
    const page = await open('/actors');
    await page.waitForSelector('#actors tr.alive');
    const actorId = await page.$eval('#actors tr.alive', (tr) => tr.getAttribute('data-actor-id'));
    const statuses = await page.evaluate(async (id) => {
      const body = JSON.stringify({ actorId: id });
      const noCsrf = await fetch('/api/actors/kill', { method: 'POST', body });
      const viaGet = await fetch(`/api/actors/kill?actorId=${id}`);
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
      const ok = await fetch('/api/actors/kill', { method: 'POST', body, headers: { 'X-CSRF-Token': csrf } });
      return [noCsrf.status, viaGet.status, ok.status];
    }, actorId);
    expect(statuses).to.deep.equal([403, 404, 200]);
    await page.waitForSelector(`#actors tr.dead[data-actor-id="${actorId}"]`);
    const restarts = await page.$eval(
      `#actors tr[data-actor-id="${actorId}"] td.num`,
      (td) => td.textContent,
    );
    expect(restarts).to.equal('0');
    await page.close();
  });

  it("fills in a running Tune experiment's table live, with a chart point per report", async () => {
    const page = await open('/experiments');
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    const gate = join(scratch, 'go');
    const fit = new Tuner(gatedTrial, {
      paramSpace: { lr: grid([0.5, 0.8]), gate },
      tuneConfig: { metric: 'score', mode: 'max' },
      runConfig: { name: 'dashboard-test', storagePath: scratch, progress: 'none' },
    }).fit();
    try {
      // Both trials have reported once and wait for the gate: the page shows them running.
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll('table.trials tbody tr')];
        return (
          rows.length === 2 &&
          rows.every(
            (r) =>
              r.querySelector('.status')?.textContent === 'RUNNING' &&
              r.querySelector('.iteration')?.textContent === '1',
          )
        );
      });
      expect(await page.$$('svg[id^="chart-"] circle.point')).to.have.length(2);
    } finally {
      writeFileSync(gate, 'go');
    }
    const results = await fit;
    expect(results.getBestResult().config.lr).to.equal(0.8);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('table.trials tbody tr')].every(
        (r) =>
          r.querySelector('.status')?.textContent === 'TERMINATED' &&
          r.querySelector('.iteration')?.textContent === '4',
      ),
    );
    const chart = await page.evaluate(() => {
      const trials = [...document.querySelectorAll('table.trials tbody tr')].map((r) =>
        r.getAttribute('data-trial-id')!,
      );
      return {
        perTrial: trials.map(
          (id) => document.querySelectorAll(`svg[id^="chart-"] g[data-series="${id}"] circle.point`).length,
        ),
        best: document.querySelectorAll('svg[id^="best-"] circle.point').length,
        config: document.querySelector('table.trials td.config')?.textContent,
        nodes: [...document.querySelectorAll('table.trials td.node')].map((td) => td.textContent),
        loadedOnce: (window as unknown as { loadedOnce?: boolean }).loadedOnce,
      };
    });
    expect(chart.perTrial).to.deep.equal([4, 4]);
    expect(chart.best).to.equal(8);
    expect(chart.config).to.match(/lr=0\.[58]/);
    // Which node ran each trial: one of the cluster's (the driver's own node runs none).
    const nodeIds = (await nodes()).filter((n) => !n.isDriver).map((n) => n.nodeId);
    for (const node of chart.nodes) expect(nodeIds).to.include(node);
    expect(chart.loadedOnce, 'the page was not reloaded').to.equal(true);
    if (screenshots)
      await page.screenshot({ path: join(screenshots, 'dashboard-experiment.png'), fullPage: true });
    await page.close();
  });

  it('a killed worker turns dead on the open page, without a reload, within the heartbeat timeout; its actor restarts', async () => {
    const victim = /de2 worker node (\S+) joined/.exec(cluster.workers[0]!.output())![1]!;
    // An actor on the worker about to die, allowed one restart elsewhere.
    const Survivor = remote(
      class Survivor {
        ping() {
          return 'pong';
        }
      },
      { name: 'survivor', maxRestarts: 1, schedulingStrategy: { nodeId: victim, soft: true } },
    );
    const survivor = Survivor.remote();
    expect(await get(survivor.ping.remote())).to.equal('pong');
    const actors = await open('/actors');
    const survivorRow = (state: string, restarts: string, where: 'on' | 'off') =>
      actors.waitForFunction(
        (s, r, w, node) =>
          [...document.querySelectorAll('#actors tr')].some(
            (tr) =>
              tr.children[2]?.textContent === 'survivor' &&
              tr.querySelector('.state')?.textContent === s &&
              tr.querySelector('.num')?.textContent === r &&
              (tr.children[4]?.textContent === node) === (w === 'on'),
          ),
        {},
        state,
        restarts,
        where,
        victim,
      );
    await survivorRow('alive', '0', 'on');

    const page = await open('/');
    await page.waitForFunction(() => document.querySelectorAll('#nodes tr[data-state="alive"]').length === 3);
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    cluster.workers[0]!.process.kill('SIGKILL');
    // The head notices a dead node within its heartbeat timeout (2 s pings, 8 s to answer).
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#nodes tr[data-state="dead"]').length === 1 &&
        document.querySelectorAll('#nodes tr[data-state="alive"]').length === 2,
      { timeout: 10_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).to.equal(
      true,
    );
    await survivorRow('alive', '1', 'off');
    expect(await get(survivor.ping.remote())).to.equal('pong');
    await page.close();
    await actors.close();
  });
});
