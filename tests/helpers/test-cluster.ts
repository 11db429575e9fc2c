import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { De2Home, de2NodeBin } from './de2-node.js';
import type { Netns } from './netns.js';

export interface TestClusterOptions {
  /** Worker nodes besides the head. @default 2 */
  workers?: number;
  /** CPUs the head offers (0: the head runs no tasks). @default 1 */
  headCpus?: number;
  /** CPUs each worker offers. @default 1 */
  workerCpus?: number;
  /** Extra flags for each worker, by index. */
  workerArgs?: (index: number) => string[];
  /** Extra environment of the head process (e.g. DE2_INFEASIBLE_TIMEOUT_MS). */
  headEnv?: NodeJS.ProcessEnv;
  /** Extra flags for the head (e.g. --dashboard-port 0). @default ['--no-dashboard'] */
  headArgs?: string[];
  /** Run node i (the head is 0) in namespace i, listening on its address there. */
  netns?: Netns;
}

export interface TestNode {
  process: ChildProcess;
  /** Everything the node printed so far. */
  output: () => string;
}

export interface TestCluster {
  /** HOST:PORT of the head. */
  address: string;
  token: string;
  home: De2Home;
  head: TestNode;
  workers: TestNode[];
  /** Starts one more worker node and waits until it has joined. */
  addWorker(args?: string[]): Promise<TestNode>;
  /** Kills every node (SIGKILL) and removes the temporary ~/.de2. Safe to call twice. */
  teardown(): Promise<void>;
}

/** Starts `de2-node start ... --block` as a child and resolves once its output matches `ready`. */
export async function startNode(
  env: NodeJS.ProcessEnv,
  args: string[],
  ready: RegExp,
  /** A command that runs the node inside something (`ip netns exec NAME`). */
  wrap: string[] = [],
): Promise<TestNode & { match: RegExpExecArray }> {
  const command = [...wrap, process.execPath, de2NodeBin, 'start', ...args, '--block'];
  const child = spawn(command[0]!, command.slice(1), {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = ready.exec(output);
      if (m) resolve(m);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`de2-node ${args.join(' ')} exited with ${code}:\n${output}`)),
    );
  });
  return { process: child, output: () => output, match };
}

/**
 * Starts a real cluster of `de2-node` processes on loopback: a head on a free port and
 * `workers` worker nodes, under a private DE2_HOME. Always call `teardown()` (in `after`).
 */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const home = new De2Home();
  const nodes: TestNode[] = [];
  const netns = options.netns;
  const host = (i: number) => netns?.addresses[i] ?? '127.0.0.1';
  try {
    const head = await startNode(
      { ...home.env, ...options.headEnv },
      [
        '--head',
        '--port',
        '0',
        '--host',
        host(0),
        '--num-cpus',
        String(options.headCpus ?? 1),
        // Tests never take the fixed dashboard port (8265) from each other or from a user.
        ...(options.headArgs ?? ['--no-dashboard']),
      ],
      /--address (\S+) --token/,
      netns?.exec(0),
    );
    nodes.push(head);
    const address = head.match[1]!;
    // In the foreground the head names its token file rather than printing the token.
    const token = readFileSync(join(home.dir, 'token'), 'utf8').trim();
    const addWorker = async (args: string[] = []): Promise<TestNode> => {
      const i = nodes.length;
      const worker = await startNode(
        home.env,
        [
          '--address',
          address,
          '--token',
          token,
          '--host',
          host(i),
          '--num-cpus',
          String(options.workerCpus ?? 1),
          ...args,
        ],
        /joined the cluster/,
        netns?.exec(i),
      );
      nodes.push(worker);
      return worker;
    };
    const workers: TestNode[] = [];
    for (let i = 0; i < (options.workers ?? 2); i++)
      workers.push(await addWorker(options.workerArgs?.(i) ?? []));
    let tornDown = false;
    return {
      address,
      token,
      home,
      head,
      workers,
      addWorker: async (args) => {
        const w = await addWorker(args);
        workers.push(w);
        return w;
      },
      async teardown() {
        if (tornDown) return;
        tornDown = true;
        await killAll(nodes);
        await home.cleanup();
      },
    };
  } catch (error) {
    await killAll(nodes);
    await home.cleanup();
    throw error;
  }
}

async function killAll(nodes: TestNode[]): Promise<void> {
  await Promise.all(
    nodes.map(async ({ process: child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}
