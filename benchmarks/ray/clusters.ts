// The two clusters of bench:ray's cluster microbenchmarks, on loopback: a de2 head (0 CPUs)
// and 2 worker nodes (1 CPU each), and the same with `ray start`. Ray's processes are
// stopped by the process groups they were started in: `ray stop` would stop every Ray
// process of this machine's user, including clusters that are not ours.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { startTestCluster, type TestCluster } from '../../tests/helpers/test-cluster.js';
import { killGroup, liveGroups } from './procs.js';

export interface RunningCluster {
  address: string;
  token?: string;
  startSeconds: number;
  stop(): Promise<void>;
}

export async function startDe2Cluster(): Promise<RunningCluster> {
  const t0 = performance.now();
  const cluster: TestCluster = await startTestCluster({ workers: 2, headCpus: 0, workerCpus: 1 });
  return {
    address: cluster.address,
    token: cluster.token,
    startSeconds: (performance.now() - t0) / 1000,
    stop: () => cluster.teardown(),
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs one `ray start ...` in a new process group (the daemons it leaves stay in it). */
async function rayStart(
  rayBin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  groups: number[],
): Promise<void> {
  const child = spawn(rayBin, ['start', ...args], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  groups.push(child.pid!);
  liveGroups.add(child.pid!);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`ray start ${args.join(' ')} exited with ${code}:\n${output.slice(-3000)}`);
}

/** `ray start --head` plus 2 `ray start --address`, all on 127.0.0.1, under `tempDir`. */
export async function startRayCluster(
  rayBin: string,
  tempDir: string,
  env: NodeJS.ProcessEnv,
): Promise<RunningCluster> {
  const groups: number[] = [];
  const stop = async () => {
    for (const g of groups) killGroup(g);
    rmSync(tempDir, { recursive: true, force: true });
  };
  const t0 = performance.now();
  try {
    const port = await freePort();
    const common = [
      '--node-ip-address',
      '127.0.0.1',
      '--object-store-memory',
      String(2e9),
      '--disable-usage-stats',
    ];
    await rayStart(
      rayBin,
      [
        '--head',
        '--port',
        String(port),
        '--num-cpus',
        '0',
        '--temp-dir',
        tempDir,
        '--include-dashboard=false',
        ...common,
      ],
      env,
      groups,
    );
    for (let i = 0; i < 2; i++) {
      await rayStart(rayBin, ['--address', `127.0.0.1:${port}`, '--num-cpus', '1', ...common], env, groups);
    }
    return { address: `127.0.0.1:${port}`, startSeconds: (performance.now() - t0) / 1000, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
