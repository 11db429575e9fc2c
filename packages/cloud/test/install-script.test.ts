// Opt-in (needs the npm registry, about 30 s): runs the install script that a VM's user data
// writes, on a clone of this repository's committed HEAD, with the VM's paths moved into a
// temporary folder, and starts a head from what it installed.
//   DE2_CLOUD_INSTALL_TEST=1 npx mocha test/install-script.test.ts
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { VM_PATHS, renderUserData } from '../src/user-data.js';

const enabled = process.env.DE2_CLOUD_INSTALL_TEST === '1';
const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

describe('the VM install script (opt-in: DE2_CLOUD_INSTALL_TEST=1, uses the npm registry)', function () {
  this.timeout(300_000);
  let dir: string;

  before(async function () {
    if (!enabled) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'de2-cloud-install-'));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('installs only what a node needs, and the installed de2-node starts a head', async () => {
    const userData = parse(
      renderUserData({
        cluster: 'install-test',
        role: 'head',
        port: 6379,
        install: { kind: 'git', url: `file://${repoRoot}` },
        node: {},
        token: 'unused',
      }),
    ) as { write_files: { path: string; content: string }[] };
    const script = userData.write_files.find((f) => f.path === VM_PATHS.installScript)!.content;
    const opt = join(dir, 'opt', 'de2');
    const bin = join(dir, 'bin', 'de2-node');
    const moved = script.replaceAll('/opt/de2', opt).replaceAll(VM_PATHS.bin, bin);
    // Nothing left that writes outside the temporary folder.
    expect(moved).to.not.match(/(^|[\s'"])\/(opt|usr)\//m);
    for (const d of ['bin', 'opt', 'global']) await mkdir(join(dir, d));
    await writeFile(join(dir, 'install.sh'), moved);
    // `npm install -g` goes into the temporary folder; Node.js 20 is already here, so the
    // NodeSource step is skipped as on a VM that has it.
    const { stdout } = await run('bash', [join(dir, 'install.sh')], {
      env: { ...process.env, npm_config_prefix: join(dir, 'global') },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stdout).to.match(/de2-node \d+\.\d+\.\d+ \(protocol \d+\)/);
    // A node's dependencies only: no cloud SDK, no build or dev tools in the tree.
    for (const absent of ['pkgcloud', 'lerna', 'typescript', 'eslint', 'mocha', 'tsx'])
      expect(existsSync(join(opt, 'node_modules', absent)), absent).to.equal(false);
    for (const present of ['socket.io', 'piscina', 'flatbuffers'])
      expect(existsSync(join(opt, 'node_modules', present)), present).to.equal(true);

    const home = join(dir, 'home');
    const head = spawn(
      bin,
      ['start', '--head', '--port', '0', '--host', '127.0.0.1', '--num-cpus', '1', '--block'],
      {
        env: { ...process.env, DE2_HOME: home, DE2_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const address = await new Promise<string>((resolveAddress, reject) => {
        let out = '';
        const onData = (chunk: Buffer) => {
          out += chunk.toString();
          const m = /listening on (\S+)/.exec(out);
          if (m) resolveAddress(m[1]!);
        };
        head.stdout.on('data', onData);
        head.stderr.on('data', onData);
        head.once('exit', (code) => reject(new Error(`the head exited with ${code}:\n${out}`)));
      });
      const token = (await readFile(join(home, 'token'), 'utf8')).trim();
      const status = await run(bin, ['status', '--address', address, '--json'], {
        env: { ...process.env, DE2_TOKEN: token },
      });
      const nodes = (JSON.parse(status.stdout) as { nodes: { alive: boolean; isDriver?: boolean }[] }).nodes;
      expect(nodes.filter((n) => n.alive && n.isDriver !== true)).to.have.length(1);
    } finally {
      head.kill('SIGTERM');
      if (head.exitCode === null) await new Promise((r) => head.once('exit', r));
    }
  });
});
