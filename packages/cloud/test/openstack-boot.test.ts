import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { down, status, up } from '@de2/cloud';
import { isDriver } from '../src/join.js';
import { VM_PATHS } from '../src/user-data.js';
import { de2NodeBin } from './helpers/de2-node.js';
import type { FakeServer } from './helpers/fake-openstack.js';
import { clusterConfig, harness, type Harness } from './helpers/setup.js';

/** A free TCP port for the head (the cluster's port is fixed in cluster.yaml, as on a VM). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface WriteFile {
  path: string;
  content: string;
}

/**
 * "Boots" a fake VM the way systemd would after cloud-init: runs the ExecStart line of the
 * de2-node.service that the user data installs, with the EnvironmentFile it writes.
 */
function boot(server: FakeServer, home: string): ChildProcess {
  const userData = Buffer.from(server.body.user_data as string, 'base64').toString('utf8');
  const files = (parse(userData) as { write_files: WriteFile[] }).write_files;
  const unit = files.find((f) => f.path === VM_PATHS.unit)?.content ?? '';
  const env = files.find((f) => f.path === VM_PATHS.envFile)?.content ?? '';
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
  const [bin, ...args] = exec.split(' ');
  expect(bin).to.equal(VM_PATHS.bin);
  const token = /^DE2_TOKEN=(.*)$/m.exec(env)?.[1] ?? '';
  // Real VMs each have the object port to themselves; these "VMs" share one machine.
  const objectPort = args.indexOf('--object-port');
  expect(objectPort).to.be.greaterThan(0);
  args[objectPort + 1] = '0';
  return spawn(process.execPath, [de2NodeBin(), ...args], {
    stdio: 'ignore',
    env: { ...process.env, DE2_TOKEN: token, DE2_HOME: join(home, server.name) },
  });
}

describe('openstack provider with booting VMs: user data starts de2-node, nodes join', function () {
  this.timeout(60_000);
  let h: Harness;
  let home: string;
  const running = new Map<string, ChildProcess>();

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'de2-cloud-vms-'));
    h = await harness({
      onActive: (s) => running.set(s.id, boot(s, home)),
      onDelete: (s) => {
        running.get(s.id)?.kill('SIGTERM');
        running.delete(s.id);
      },
    });
  });
  afterEach(async () => {
    for (const child of running.values()) child.kill('SIGKILL');
    running.clear();
    await h.close();
    await rm(home, { recursive: true, force: true });
  });

  it('up waits through the real de2-node status until head and 2 workers joined; down stops them', async () => {
    const config = clusterConfig({ port: await freePort(), node: { numCpus: 1 } });
    // The default join check: `de2-node status --address HEAD:PORT --json` with the cluster token.
    const { joinCheck: _testCheck, ...options } = h.options;
    const info = await up(config, { ...options, pollIntervalMs: 100, joinTimeoutMs: 30_000 });
    expect(info.nodes?.filter((n) => n.alive && !isDriver(n))).to.have.length(3);
    expect(h.lines).to.include('nodes joined: 3/3');
    const s = await status(config, options);
    expect(s.nodes?.filter((n) => n.alive && !isDriver(n))).to.have.length(3);
    await down(config, options);
    expect(running.size).to.equal(0);
  });
});
