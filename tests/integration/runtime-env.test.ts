/**
 * A user's own project on a cluster, three machines on one: the packages are packed and
 * installed from their tarballs into an app folder and into a "VM" folder that the head
 * and the worker run from; the worker runs in a mount namespace with a tmpfs over the apps,
 * so it cannot read them. The app has a TypeScript helper and an npm dependency that no
 * node has installed; it runs with plain `init({ runtimeEnv: { workingDir: '.' } })` and
 * DE2_ADDRESS set.
 */
import { expect } from 'chai';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeEnvError, get, init, nodes, remote, shutdown } from '@de2/core';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux mount namespaces';
  if (process.getuid?.() !== 0) return 'needs root (unshare -m and mount -t tmpfs)';
  const probe = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /mnt'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare -m with a tmpfs mount failed: ${probe.stderr.trim()}`;
  return undefined;
}

const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const SCORE_TS = `import { shout } from 'tiny-shout';
import { readFileSync } from 'node:fs';

interface Weights {
  w: number;
}
const weights: Weights = JSON.parse(readFileSync(new URL('./weights.json', import.meta.url), 'utf8'));

export function score(x: number): number {
  return x * weights.w;
}
export const label = (x: number): string => shout(\`x\${x}\`);
`;

// Plain JavaScript run by plain node: what a user's program looks like after its build.
const MAIN_MJS = `import { init, remote, get, shutdown } from '@de2/core';
import { Tuner, grid } from '@de2/tune';

const info = await init({ runtimeEnv: { workingDir: '.' } });
const probe = remote(async (x, appDir) => {
  const { score, label } = await import('./lib/score.ts');
  const fs = await import('node:fs');
  const { workingDir } = await import('@de2/core');
  const dir = workingDir();
  return {
    x,
    score: score(x),
    label: label(x),
    marker: fs.readFileSync(dir + '/marker.txt', 'utf8').trim(),
    ignoredShipped: fs.existsSync(dir + '/secret.txt'),
    appVisible: fs.existsSync(appDir + '/marker.txt'),
    dir,
    depPath: fs.realpathSync(dir + '/node_modules/tiny-shout'),
  };
});
const tasks = await get([1, 2, 3].map((x) => probe.remote(x, process.cwd())));
const results = await new Tuner(
  async (config) => {
    const { score, label } = await import('./lib/score.ts');
    return { s: score(config.x), l: label(config.x) };
  },
  {
    paramSpace: { x: grid([1, 2, 3, 4]) },
    tuneConfig: { metric: 's', mode: 'max' },
    runConfig: { storagePath: './results', progress: 'none' },
  },
).fit();
const trials = [...results].map((r) => ({ status: r.status, x: r.config.x, metrics: r.metrics, error: r.error?.message }));
console.log('RESULT ' + JSON.stringify({ address: info.address, packed: info.packedWorkingDir, tasks, trials }));
await shutdown();
`;

interface AppResult {
  address: string;
  packed: { hash: string; bytes: number; files: number };
  tasks: {
    x: number;
    score: number;
    label: string;
    marker: string;
    ignoredShipped: boolean;
    appVisible: boolean;
    dir: string;
    depPath: string;
  }[];
  trials: { status: string; x: number; metrics?: { s: number; l: string }; error?: string }[];
}

function runApp(dir: string, env: NodeJS.ProcessEnv): Promise<AppResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['main.mjs'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('RESULT '.length)) as AppResult);
      else reject(new Error(`${dir}/main.mjs exited with ${code}:\n${out}`));
    });
  });
}

function startNode(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, wrap: string[] = []) {
  const command = [...wrap, process.execPath, ...args];
  const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const match = new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = ready.exec(output);
      if (m) resolve(m);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
  return { child, match };
}

describe('runtime environments: your own project on a cluster (packed tarballs, a worker that cannot see the app)', function () {
  this.timeout(240_000);
  const why = unavailable();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-runtime-env-'));
  const apps = path.join(root, 'apps');
  const children: ChildProcess[] = [];
  let address = '';
  let token = '';
  let workerHome = '';
  let baseEnv: NodeJS.ProcessEnv = {};

  before(async function () {
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    // The packages as a user gets them.
    const pk = path.join(root, 'pk');
    fs.mkdirSync(pk);
    run('npm', ['pack', '--workspaces', '--pack-destination', pk, '--silent'], repo);
    const tgz = (name: string) =>
      path.join(
        pk,
        fs.readdirSync(pk).find((f) => f.startsWith(`de2-${name}-`))!,
      );

    // A dependency no node has: a tiny package packed into the app's own vendor folder.
    const tiny = path.join(root, 'tiny-shout');
    fs.mkdirSync(tiny);
    fs.writeFileSync(
      path.join(tiny, 'package.json'),
      JSON.stringify({ name: 'tiny-shout', version: '1.0.0', type: 'module', main: 'index.js' }),
    );
    fs.writeFileSync(path.join(tiny, 'index.js'), 'export const shout = (s) => s.toUpperCase() + "!";\n');
    const app = path.join(apps, 'app1');
    fs.mkdirSync(path.join(app, 'vendor'), { recursive: true });
    run('npm', ['pack', '--pack-destination', path.join(app, 'vendor'), '--silent'], tiny);
    fs.mkdirSync(path.join(app, 'lib'));
    fs.writeFileSync(path.join(app, 'lib', 'score.ts'), SCORE_TS);
    fs.writeFileSync(path.join(app, 'lib', 'weights.json'), JSON.stringify({ w: 7 }));
    fs.writeFileSync(path.join(app, 'marker.txt'), 'app-1\n');
    fs.writeFileSync(path.join(app, 'secret.txt'), 'stays home\n');
    fs.writeFileSync(path.join(app, '.gitignore'), 'node_modules/\nresults/\nsecret.txt\n');
    fs.writeFileSync(path.join(app, 'main.mjs'), MAIN_MJS);
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'app1',
        private: true,
        type: 'module',
        dependencies: {
          '@de2/core': `file:${tgz('core')}`,
          '@de2/tune': `file:${tgz('tune')}`,
          'tiny-shout': 'file:vendor/tiny-shout-1.0.0.tgz',
        },
      }),
    );
    const npmFlags = ['--prefer-offline', '--no-audit', '--no-fund', '--silent'];
    run('npm', ['install', ...npmFlags], app);
    // A second app beside it: the same program and files, other contents.
    const app2 = path.join(apps, 'app2');
    fs.cpSync(app, app2, { recursive: true, verbatimSymlinks: true });
    fs.writeFileSync(path.join(app2, 'lib', 'weights.json'), JSON.stringify({ w: 11 }));
    fs.writeFileSync(path.join(app2, 'marker.txt'), 'app-2\n');

    // The "VM": @de2/core alone, installed from its tarball; the head and the worker run from it.
    const vm = path.join(root, 'vm');
    fs.mkdirSync(vm);
    fs.writeFileSync(path.join(vm, 'package.json'), JSON.stringify({ name: 'vm', private: true }));
    run('npm', ['install', ...npmFlags, tgz('core')], vm);
    const bin = path.join(vm, 'node_modules', '@de2', 'core', 'bin', 'de2-node.js');

    const headHome = path.join(root, 'head-home');
    workerHome = path.join(root, 'worker-home');
    const clean = { ...process.env, DE2_ADDRESS: '', DE2_TOKEN: '', DE2_RUNTIME_ENV: '' };
    const head = startNode(
      [
        bin,
        'start',
        '--head',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--num-cpus',
        '0',
        '--no-dashboard',
        '--block',
      ],
      { ...clean, DE2_HOME: headHome },
      /--address (\S+) --token/,
    );
    children.push(head.child);
    address = (await head.match)[1]!;
    token = fs.readFileSync(path.join(headHome, 'token'), 'utf8').trim();
    // The worker: its own mount namespace, where the apps' folder is an empty tmpfs.
    const worker = startNode(
      [bin, 'start', '--address', address, '--host', '127.0.0.1', '--num-cpus', '2', '--block'],
      { ...clean, DE2_HOME: workerHome, DE2_TOKEN: token },
      /joined the cluster/,
      ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs none "$0" && exec "$@"', apps],
    );
    children.push(worker.child);
    await worker.match;
    baseEnv = { ...clean, DE2_HOME: path.join(root, 'driver-home'), DE2_ADDRESS: address, DE2_TOKEN: token };
  });

  after(async () => {
    await shutdown();
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('runs the app (TypeScript helper, npm dependency, Tune grid) on a worker that cannot read it; a second job beside it sees only its own files', async () => {
    const [one, two] = await Promise.all([
      runApp(path.join(apps, 'app1'), baseEnv),
      runApp(path.join(apps, 'app2'), baseEnv),
    ]);
    expect(one.address, 'DE2_ADDRESS was used').to.equal(address);
    for (const [r, w, marker] of [
      [one, 7, 'app-1'],
      [two, 11, 'app-2'],
    ] as const) {
      expect(r.tasks.map((t) => t.score)).to.deep.equal([1, 2, 3].map((x) => x * w));
      expect(r.tasks.map((t) => t.label)).to.deep.equal(['X1!', 'X2!', 'X3!']);
      for (const t of r.tasks) {
        expect(t.marker, 'each job reads its own copy').to.equal(marker);
        expect(t.appVisible, "the worker cannot see the app's folder").to.equal(false);
        expect(t.ignoredShipped, '.gitignore is honoured').to.equal(false);
        expect(t.dir.startsWith(workerHome), `${t.dir} is the worker's copy`).to.equal(true);
      }
      expect(r.trials.map((t) => t.status)).to.deep.equal([
        'TERMINATED',
        'TERMINATED',
        'TERMINATED',
        'TERMINATED',
      ]);
      expect(r.trials.map((t) => t.metrics?.s)).to.deep.equal([1, 2, 3, 4].map((x) => x * w));
      expect(r.trials.map((t) => t.metrics?.l)).to.deep.equal(['X1!', 'X2!', 'X3!', 'X4!']);
    }
    expect(one.packed.hash).to.not.equal(two.packed.hash);
    expect(one.tasks[0]!.dir).to.not.equal(two.tasks[0]!.dir);
    // Same lockfile: the packages are installed once on the node, and both copies use them.
    expect(one.tasks[0]!.depPath).to.equal(two.tasks[0]!.depPath);
    expect(one.tasks[0]!.depPath.startsWith(one.tasks[0]!.dir)).to.equal(false);
    // Both drivers are gone: the worker removes their copies (once their tasks are over).
    for (const dir of [one.tasks[0]!.dir, two.tasks[0]!.dir]) {
      const deadline = Date.now() + 30_000;
      while (fs.existsSync(dir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(fs.existsSync(dir), `${dir} removed when its job ended`).to.equal(false);
    }
  });

  it('an over-size working dir fails at init, naming the biggest file and how to leave it out', async () => {
    const dir = path.join(root, 'big-app');
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'main.js'), 'export {};\n');
    fs.writeFileSync(path.join(dir, 'data', 'big.bin'), '');
    fs.truncateSync(path.join(dir, 'data', 'big.bin'), 101 * 2 ** 20); // sparse: costs no disk
    const error = await init({ address, token, runtimeEnv: { workingDir: dir } }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RuntimeEnvError);
    expect((error as Error).message).to.match(/over the limit of 100\.0 MiB/);
    expect((error as Error).message).to.include('data/big.bin (101.0 MiB)');
    expect((error as Error).message).to.include('excludes');
    // Left out as the message says, the same folder is accepted.
    await init({ address, token, runtimeEnv: { workingDir: dir, excludes: ['data/'] } });
    await shutdown();
  });

  it("a dependency that cannot be installed fails the tasks with the node, the package and npm's message, within the bound", async () => {
    // One "registry" that refuses connections, one that accepts and never answers.
    const refused = net.createServer();
    await new Promise<void>((r) => refused.listen(0, '127.0.0.1', r));
    const refusedPort = (refused.address() as net.AddressInfo).port;
    await new Promise<void>((r) => refused.close(() => r()));
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      const ghostApp = (name: string, port: number) => {
        const dir = path.join(root, name);
        fs.mkdirSync(dir);
        fs.writeFileSync(
          path.join(dir, 'package.json'),
          JSON.stringify({ name, dependencies: { 'ghost-dep': '1.0.0' } }),
        );
        fs.writeFileSync(
          path.join(dir, 'package-lock.json'),
          JSON.stringify({
            name,
            lockfileVersion: 3,
            requires: true,
            packages: {
              '': { name, dependencies: { 'ghost-dep': '1.0.0' } },
              'node_modules/ghost-dep': {
                version: '1.0.0',
                resolved: `http://127.0.0.1:${port}/ghost-dep/-/ghost-dep-1.0.0.tgz`,
                integrity: `sha512-${Buffer.alloc(64).toString('base64')}`,
              },
            },
          }),
        );
        return dir;
      };
      const useDep = remote(async () => (await import('ghost-dep' as string)) as unknown);

      await init({ address, token, runtimeEnv: { workingDir: ghostApp('ghost-refused', refusedPort) } });
      const worker = (await nodes()).find((n) => !n.isDriver && (n.resources.CPU ?? 0) > 0)!;
      const refusedError = await get(useDep.remote()).catch((e: unknown) => e);
      expect(refusedError).to.be.instanceOf(RuntimeEnvError);
      const m1 = (refusedError as Error).message;
      expect(m1).to.include(`node ${worker.nodeId}`);
      expect(m1).to.include('ghost-dep@1.0.0');
      expect(m1).to.include('ECONNREFUSED');
      await shutdown();

      const bound = 3_000;
      await init({
        address,
        token,
        runtimeEnv: { workingDir: ghostApp('ghost-silent', silentPort), installTimeoutMs: bound },
      });
      const t0 = Date.now();
      const hangError = await get(useDep.remote()).catch((e: unknown) => e);
      const took = Date.now() - t0;
      expect(hangError).to.be.instanceOf(RuntimeEnvError);
      const m2 = (hangError as Error).message;
      expect(m2).to.include(`node ${worker.nodeId}`);
      expect(m2).to.include('ghost-dep');
      expect(took, m2).to.be.below(bound + 15_000);
      await shutdown();
    } finally {
      silent.close();
    }
  });
});
