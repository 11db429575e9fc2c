import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, init, remote, shutdown } from '@de2/core';
import {
  ProvisionError,
  addWorkers,
  down,
  parseClusterConfig,
  status,
  up,
  type ClusterInfo,
} from '@de2/cloud';
import { isDriver } from '../src/join.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('local provider: de2-node processes on this machine', function () {
  this.timeout(120_000);
  const config = parseClusterConfig(
    'name: local-test\nprovider: local\nworkers: 2\nport: 0\nnode: { numCpus: 1 }\n',
  );
  const abortConfig = parseClusterConfig('name: local-abort\nprovider: local\nworkers: 1\nport: 0\n');
  let stateDir: string;
  let lines: string[];
  let options: {
    stateDir: string;
    log: (l: string) => void;
    pollIntervalMs: number;
    activeTimeoutMs: number;
  };

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'de2-cloud-local-'));
    lines = [];
    options = { stateDir, log: (l) => lines.push(l), pollIntervalMs: 50, activeTimeoutMs: 60_000 };
  });
  after(async () => {
    await down(config, options).catch(() => {});
    await down(abortConfig, options).catch(() => {}); // only if the test failed
    await down(parseClusterConfig('name: local-orphan\nprovider: local\n'), options).catch(() => {});
    await rm(stateDir, { recursive: true, force: true });
  });

  let info: ClusterInfo;

  it('brings up a 3-node cluster that runs a task', async () => {
    // As if de2-cloud ran inside a de2 node: its session folder must not become the nodes'.
    const outerSession = join(stateDir, 'outer-session');
    process.env.DE2_SESSION_DIR = outerSession;
    try {
      info = await up(config, options);
    } finally {
      delete process.env.DE2_SESSION_DIR;
    }
    expect(existsSync(outerSession), 'no node wrote into an inherited session folder').to.equal(false);
    expect(info.vms.map((v) => v.name)).to.deep.equal([
      'local-test-head',
      'local-test-worker-1',
      'local-test-worker-2',
    ]);
    expect(info.head.host).to.equal('127.0.0.1');
    expect(info.head.port).to.be.greaterThan(0);
    expect(lines.filter((l) => /joined 127\.0\.0\.1:\d+/.test(l))).to.have.length(2);
    // Every node listens on loopback only, workers included (their object servers too).
    for (const vm of process.platform === 'linux' ? info.vms : []) {
      const argv = (await readFile(`/proc/${vm.pid}/cmdline`, 'utf8')).split('\0');
      expect(argv[argv.indexOf('--host') + 1], vm.name).to.equal('127.0.0.1');
    }
    // up returns once the head itself lists every node, not only once each node said it joined.
    expect(info.nodes?.filter((n) => n.alive && !isDriver(n))).to.have.length(3);
    const token = (await readFile(info.tokenPath, 'utf8')).trim();
    // The token is a secret: not in the progress lines, the state file or any node's log.
    const logDir = join(stateDir, 'local-test', 'logs');
    const logs = await Promise.all((await readdir(logDir)).map((f) => readFile(join(logDir, f), 'utf8')));
    expect(logs).to.have.length(3);
    for (const text of [lines.join('\n'), await readFile(info.statePath, 'utf8'), ...logs])
      expect(text).to.not.contain(token);
    await init({ address: `${info.head.host}:${info.head.port}`, token });
    try {
      const square = remote((x: number) => x * x);
      expect(await get(square.remote(12))).to.equal(144);
    } finally {
      await shutdown();
    }
  });

  it('status shows every process running; add-workers starts another that joins', async () => {
    const s = await status(config, options);
    expect(s.vms.map((v) => v.state)).to.deep.equal(['RUNNING', 'RUNNING', 'RUNNING']);
    // The default join check: the real `de2-node status --address HOST:PORT --json`.
    expect(s.nodesError).to.equal(undefined);
    expect(s.nodes?.filter((n) => n.alive && !isDriver(n))).to.have.length(3);
    // Each process next to the node the head sees for it (all share 127.0.0.1: matched by node id).
    const ids = s.vms.map((v) => v.node?.nodeId);
    expect(ids.every((id) => id !== undefined && s.nodes!.some((n) => n.nodeId === id && n.alive))).to.equal(
      true,
    );
    expect(new Set(ids).size).to.equal(3);
    const more = await addWorkers(config, 1, options);
    expect(more.vms.map((v) => v.name)).to.include('local-test-worker-3');
    expect(more.nodes?.filter((n) => n.alive && !isDriver(n))).to.have.length(4);
    expect(lines.some((l) => /local-test-worker-3: joined/.test(l))).to.equal(true);
  });

  it('down stops every process, and a second down has nothing to do', async () => {
    const pids = (await status(config, options)).vms.map((v) => Number(v.id?.replace('pid ', '')));
    expect(pids.every((p) => p > 0 && alive(p))).to.equal(true);
    const result = await down(config, options);
    expect(result.deleted).to.have.length(4);
    expect(pids.filter(alive)).to.deep.equal([]);
    expect((await down(config, options)).deleted).to.deep.equal([]);
  });

  it('stopWithProcess: the nodes stop when the process that started them is killed (SIGKILL)', async () => {
    // Another process brings up a head and a worker, prints their pids, and is then killed.
    const program = `
      import { parseClusterConfig, up } from '@de2/cloud';
      const config = parseClusterConfig('name: local-orphan\\nprovider: local\\nworkers: 1\\nport: 0\\n');
      const info = await up(config, { stateDir: process.argv[1], log: () => {}, stopWithProcess: true });
      console.log(JSON.stringify(info.vms.map((v) => v.pid)));
      setInterval(() => {}, 60_000);`;
    const launcher = spawn(process.execPath, ['--input-type=module', '-e', program, stateDir], {
      cwd: import.meta.dirname,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(launcher.stdout, 'data')) as [Buffer];
    const pids = JSON.parse(line.toString()) as number[];
    expect(pids).to.have.length(2);
    expect(pids.every(alive)).to.equal(true);
    const exited = once(launcher, 'exit');
    launcher.kill('SIGKILL');
    await exited;
    await waitUntil('the orphaned nodes have stopped', () => !pids.some(alive));
    await waitUntil(
      'the state file is gone',
      () => !existsSync(join(stateDir, 'local-orphan', 'state.json')),
    );
  });

  it('stopWithProcess: a normal down ends the watchdog too', async function () {
    if (process.platform !== 'linux') this.skip(); // finds the watchdog through /proc
    const config = parseClusterConfig('name: local-watched\nprovider: local\nport: 0\n');
    await up(config, { ...options, stopWithProcess: true });
    const watchdogs = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
            return argv.some((a) => a.endsWith('watchdog.js')) && argv.includes(stateDir);
          } catch {
            return false; // exited meanwhile
          }
        });
    expect(watchdogs()).to.have.length(1);
    await down(config, options);
    await waitUntil('the watchdog has exited', () => watchdogs().length === 0);
  });

  it('Ctrl-C (options.signal) while a node starts stops it and leaves nothing running', async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const error = await up(abortConfig, {
      stateDir,
      pollIntervalMs: 50,
      signal: controller.signal,
      log: (l) => {
        log.push(l);
        // The head's process is spawned right after this line; the abort lands while it boots.
        if (l.startsWith('starting local-abort-head')) setTimeout(() => controller.abort(), 0);
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ProvisionError);
    expect((error as ProvisionError).message).to.match(/^up failed: interrupted/);
    // It stopped waiting at once: the head never got to report that it listens.
    expect(log.some((l) => /local-abort-head: listening/.test(l))).to.equal(false);
    const stopped = log.map((l) => /^stopping local-abort-head \(pid (\d+)\)/.exec(l)).find(Boolean);
    expect(stopped, log.join('\n')).to.not.equal(undefined);
    expect(alive(Number(stopped![1]))).to.equal(false);
    await expectNoState(join(stateDir, 'local-abort', 'state.json'));
  });
});

/** Resolves once `check()` is true, polling (a process's exit in another process group has no event here). */
async function waitUntil(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function expectNoState(path: string): Promise<void> {
  const e = await readFile(path, 'utf8').then(
    () => undefined,
    (x: NodeJS.ErrnoException) => x,
  );
  expect(e?.code).to.equal('ENOENT');
}
