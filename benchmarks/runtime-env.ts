// What a runtime environment costs: `npm run bench:runtime-env`.
// A head (no CPUs) and one worker node (2 CPUs) on loopback; for each kind of job, a fresh
// working dir (new contents, so every node sets up a new copy) and a driver that times
// `init` (pack + store), the job's first task (the node pulls, unpacks, installs, and the
// thread imports a .ts helper) and the next tasks of the same function. A job without a
// runtime environment is measured the same way, beside them, as today's cost.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { get, init, remote, shutdown } from '@de2/core';

const LATER = Number(process.env.DE2_BENCH_LATER ?? 50);
const ROUNDS = Number(process.env.DE2_BENCH_ROUNDS ?? 3);
const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'packages/core/bin/de2-node.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-bench-renv-'));

function startNode(args: string[], env: NodeJS.ProcessEnv, ready: RegExp) {
  const child = spawn(process.execPath, [bin, 'start', ...args, '--block'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const match = new Promise<RegExpExecArray>((resolve, reject) => {
    const on = (c: Buffer) => {
      out += c.toString();
      const m = ready.exec(out);
      if (m) resolve(m);
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('exit', (code) => reject(new Error(`de2-node exited with ${code}: ${out}`)));
  });
  return { child, match };
}

/** A project: a .ts helper, optional filler files, optional npm dependency (a local tarball). */
function makeProject(name: string, fillerMiB: number, withDependency: boolean): string {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
  const dep = withDependency
    ? "import { shout } from 'tiny-shout';\n"
    : 'const shout = (s: string): string => s;\n';
  fs.writeFileSync(
    path.join(dir, 'lib/helper.ts'),
    `${dep}export const work = (x: number): string => shout(String(x + 1));\n`,
  );
  fs.writeFileSync(path.join(dir, 'nonce.txt'), randomBytes(8).toString('hex')); // a new copy every time
  for (let i = 0; i < fillerMiB; i++) {
    // Source-like text (compresses as code does), 1 MiB per file.
    const line = `export const v${i} = ${JSON.stringify(randomBytes(24).toString('base64'))};\n`;
    fs.writeFileSync(path.join(dir, `lib/filler-${i}.js`), line.repeat(Math.ceil(2 ** 20 / line.length)));
  }
  if (withDependency) {
    const tiny = path.join(root, `${name}-tiny`);
    fs.mkdirSync(tiny);
    fs.writeFileSync(
      path.join(tiny, 'package.json'),
      JSON.stringify({ name: 'tiny-shout', version: '1.0.0', type: 'module', main: 'index.js' }),
    );
    // Its own contents per project: a new lockfile (integrity) every time, so a new install.
    fs.writeFileSync(
      path.join(tiny, 'index.js'),
      `export const shout = (s) => s.toUpperCase(); // ${name}\n`,
    );
    fs.mkdirSync(path.join(dir, 'vendor'));
    execFileSync('npm', ['pack', '--silent', '--pack-destination', path.join(dir, 'vendor')], { cwd: tiny });
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name,
        private: true,
        type: 'module',
        dependencies: { 'tiny-shout': 'file:vendor/tiny-shout-1.0.0.tgz' },
      }),
    );
    execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir });
  }
  return dir;
}

interface Row {
  job: string;
  initMs: number;
  firstMs: number;
  laterMs: number;
}

async function measure(address: string, token: string, job: string, dir: string | undefined): Promise<Row> {
  const t0 = performance.now();
  await init({ address, token, ...(dir ? { runtimeEnv: { workingDir: dir } } : {}) });
  const t1 = performance.now();
  // With a working dir the task imports its helper (relative, TypeScript); without, a node: module.
  const withEnv = remote(async (x: number) =>
    ((await import('./lib/helper.ts' as string)) as { work: (x: number) => string }).work(x),
  );
  const plain = remote(async (x: number) => (await import('node:path')).basename(String(x + 1)));
  const f = dir ? withEnv : plain;
  const t2 = performance.now();
  await get(f.remote(1));
  const t3 = performance.now();
  for (let i = 0; i < LATER; i++) await get(f.remote(i));
  const t4 = performance.now();
  await shutdown();
  return { job, initMs: t1 - t0, firstMs: t3 - t2, laterMs: (t4 - t3) / LATER };
}

const home = path.join(root, 'home');
const env = { ...process.env, DE2_HOME: home, DE2_ADDRESS: '', DE2_TOKEN: '' };
const head = startNode(
  ['--head', '--port', '0', '--host', '127.0.0.1', '--num-cpus', '0', '--no-dashboard'],
  env,
  /--address (\S+) --token/,
);
const children = [head.child];
try {
  const address = (await head.match)[1]!;
  const token = fs.readFileSync(path.join(home, 'token'), 'utf8').trim();
  const worker = startNode(
    ['--address', address, '--host', '127.0.0.1', '--num-cpus', '2'],
    { ...env, DE2_TOKEN: token },
    /joined the cluster/,
  );
  children.push(worker.child);
  await worker.match;
  const rows: Row[] = [];
  // Warm the worker's threads once (a node's first task ever is not what is measured here).
  await measure(address, token, 'warm-up', undefined);
  for (let r = 0; r < ROUNDS; r++) {
    rows.push(await measure(address, token, 'no runtimeEnv', undefined));
    rows.push(await measure(address, token, 'workingDir, 2 files', makeProject(`small-${r}`, 0, false)));
    const dep = makeProject(`dep-${r}`, 0, true);
    rows.push(await measure(address, token, 'workingDir + npm dependency', dep));
    // A new version of the same project: other code, the same lockfile (installed before).
    fs.writeFileSync(path.join(dep, 'nonce.txt'), randomBytes(8).toString('hex'));
    rows.push(await measure(address, token, 'same, new code, same lockfile', dep));
    rows.push(
      await measure(address, token, 'workingDir, 20 MiB of files', makeProject(`big-${r}`, 20, false)),
    );
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const jobs = [...new Set(rows.map((r) => r.job))];
  console.log(
    `load average: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (${os.cpus().length} CPUs)`,
  );
  console.log(`median of ${ROUNDS} jobs each; later task = mean of ${LATER} tasks run one after another`);
  console.log('| job | init (pack + store) | first task | later task |');
  console.log('|---|---|---|---|');
  const summary = jobs.map((job) => {
    const of = rows.filter((r) => r.job === job);
    const s = {
      job,
      initMs: median(of.map((r) => r.initMs)),
      firstMs: median(of.map((r) => r.firstMs)),
      laterMs: median(of.map((r) => r.laterMs)),
    };
    console.log(
      `| ${job} | ${s.initMs.toFixed(0)} ms | ${s.firstMs.toFixed(0)} ms | ${s.laterMs.toFixed(2)} ms |`,
    );
    return s;
  });
  fs.mkdirSync(path.join(repo, 'benchmarks/results'), { recursive: true });
  fs.writeFileSync(
    path.join(repo, 'benchmarks/results/runtime-env.json'),
    JSON.stringify(
      { at: new Date().toISOString(), loadavg: os.loadavg(), rounds: ROUNDS, later: LATER, summary, rows },
      null,
      2,
    ),
  );
} finally {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
}
