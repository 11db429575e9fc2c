/// <reference lib="dom" />
// Regenerates the README's dashboard pictures (docs/dashboard-cluster.png and
// docs/dashboard-experiment.png) from a real run: a head and 2 workers on loopback, the
// Covertype example (small grid, ASHA) as their driver, and Debian's Chromium.
// Run: npm run docs:screenshots   (about 1-3 minutes)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchBrowser } from '../tests/helpers/browser.js';
import { startTestCluster } from '../tests/helpers/test-cluster.js';

const root = path.join(import.meta.dirname, '..');
const docs = path.join(root, 'docs');
const storage = mkdtempSync(path.join(tmpdir(), 'de2-screenshots-'));
const cluster = await startTestCluster({
  workers: 2,
  headCpus: 1,
  workerCpus: 1,
  headArgs: ['--dashboard-port', '0'],
});
const chromium = await launchBrowser();
try {
  const url = /Dashboard:\s+(http:\/\/\S+)/.exec(cluster.head.output())![1]!;
  const example = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'examples', 'random-forest.ts'),
      ...['--address', cluster.address, '--token', cluster.token, '--grid', 'small', '--rows', '4000'],
      ...['--scheduler', 'asha', '--progress', 'lines', '--storage-path', storage, '--name', 'covertype-rf'],
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const finished = new Promise<number | null>((resolve) => example.once('exit', resolve));

  const page = await chromium.browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${url}?token=${cluster.token}`);
  // Every node busy with a trial.
  await page.waitForFunction(() => document.querySelectorAll('#tasks tbody tr').length >= 3, {
    timeout: 120_000,
  });
  await page.screenshot({ path: path.join(docs, 'dashboard-cluster.png'), fullPage: true });
  console.log('saved docs/dashboard-cluster.png');

  await page.goto(new URL('/experiments', url).href);
  const code = await finished;
  if (code !== 0) throw new Error(`the example exited with ${code}`);
  await page.waitForFunction(() =>
    document.querySelector('article.experiment h2')?.textContent?.includes('finished'),
  );
  await page.screenshot({ path: path.join(docs, 'dashboard-experiment.png'), fullPage: true });
  console.log('saved docs/dashboard-experiment.png');
} finally {
  await chromium.close();
  await cluster.teardown();
  rmSync(storage, { recursive: true, force: true });
}
