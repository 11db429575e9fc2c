// --pin-cpus: each local node gets cores of its own (taskset from util-linux), so that N nodes
// of K CPUs on one machine compare like N machines of K cores: node i runs on cores
// [i*K, (i+1)*K) of the cores this process may use, the driver on the next one if there is one.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The cores this process may run on (its affinity, e.g. inside a container), in order. */
export function allowedCores(): number[] {
  const status = readFileSync('/proc/self/status', 'utf8');
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  if (!list) return os.cpus().map((_, i) => i);
  const cores: number[] = [];
  for (const part of list.split(',')) {
    const [from, to] = part.split('-').map(Number) as [number, number | undefined];
    for (let c = from; c <= (to ?? from); c++) cores.push(c);
  }
  return cores;
}

export interface PinPlan {
  /** Cores of node i (node 0 is the head, which runs tasks too). */
  nodes: number[][];
  /** The driver's core, or undefined when every core is a node's (the driver then shares them). */
  driver: number[] | undefined;
  /** One line for the output: what went where. */
  summary: string;
}

/**
 * Cores for `nodes` nodes of `cpusPerNode` CPUs each. Throws (saying what is missing and what
 * to run instead) when the machine has fewer cores than the nodes' CPUs together.
 */
export function planPins(nodes: number, cpusPerNode: number, cores = allowedCores()): PinPlan {
  const needed = nodes * cpusPerNode;
  if (cores.length < needed) {
    const fit = Math.floor(cores.length / cpusPerNode);
    throw new RangeError(
      `--pin-cpus: ${nodes} nodes x ${cpusPerNode} CPUs need ${needed} cores of their own, but this ` +
        `process may use ${cores.length} (${cores.join(',')}). Use at most --local-nodes ${Math.max(1, fit)} ` +
        `with --cpus-per-node ${cpusPerNode}, a machine with more cores, or drop --pin-cpus ` +
        `(then the nodes share the cores and the figures show this machine's limit, not de2's).`,
    );
  }
  const plan = Array.from({ length: nodes }, (_, i) => cores.slice(i * cpusPerNode, (i + 1) * cpusPerNode));
  const spare = cores.slice(needed);
  const driver = spare.length > 0 ? [spare[0]!] : undefined;
  const where = plan.map((c, i) => `node ${i + 1}: core ${c.join(',')}`).join('; ');
  const summary =
    `${where}; ` +
    (driver
      ? `driver: core ${driver.join(',')}`
      : `driver: no core left, it shares the nodes' cores (it mostly waits; Tune's bookkeeping is small)`);
  return { nodes: plan, driver, summary };
}

/** Pins every thread of `pid` (threads started later inherit it) to `cores`. */
export function pin(pid: number, cores: number[]): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cores.join(','), String(pid)], { stdio: 'pipe' });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT')
      throw new Error('--pin-cpus needs taskset (util-linux): apt-get install util-linux', { cause: e });
    throw new Error(
      `taskset could not pin pid ${pid} to cores ${cores.join(',')}: ${e.stderr ?? e.message}`,
      {
        cause: e,
      },
    );
  }
}
