import { parseArgs } from 'node:util';
import { addWorkers, down, status, up, type ClusterInfo, type ClusterStatus } from './cluster.js';
import { loadClusterConfig } from './config.js';
import { CloudError, ClusterConfigError, CredentialsError } from './errors.js';
import { INTERRUPTED } from './abort.js';
import { isDriver } from './join.js';
import type { CloudOptions } from './options.js';

const USAGE = `Usage: de2-cloud <command> [CLUSTER.yaml] [options]

Commands (CLUSTER.yaml defaults to ./cluster.yaml):
  up [CLUSTER.yaml]              create the head and workers and wait until they joined
  add-workers --count N          add N workers to the running cluster
  status                         VMs with state and addresses next to the nodes the head sees
  down                           delete what up created (safe to run twice)
  validate                       check CLUSTER.yaml and print what it means

Options:
  --state-dir DIR                where cluster state and token live (default: ~/.de2/clusters)
  --no-wait                      up/add-workers: do not wait for the nodes to join
  --poll-interval SECONDS        how often to poll OpenStack and the head (default: 5)
  --json                         status: print JSON
  -h, --help                     show this help

OpenStack credentials come from the environment: source your project's *-openrc.sh first.
`;

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Merged into the options of every command (tests: a join check, short timeouts). */
  options?: CloudOptions;
}

function printInfo(out: (l: string) => void, c: ClusterInfo): void {
  const n = c.nodes?.filter((x) => x.alive && !isDriver(x)).length;
  const joined = n === undefined ? '' : `, ${n} node${n === 1 ? '' : 's'} joined`;
  out(`cluster '${c.name}' is up: head ${c.head.host}:${c.head.port}${joined}`);
  for (const vm of c.vms) out(`  ${vm.role.padEnd(6)} ${vm.name.padEnd(28)} ${vm.privateIp ?? ''}`);
  out(`token: ${c.tokenPath} (mode 0600: it admits anyone who holds it)`);
  out('run a program against it from a machine on the cluster network, e.g. the DE2 example:');
  out(`  export DE2_ADDRESS=${c.head.host}:${c.head.port} DE2_TOKEN="$(cat ${c.tokenPath})"`);
  out("  npx tsx examples/random-forest.ts   # a program that calls init({ address: 'auto' })");
  out(`state: ${c.statePath}`);
}

function printStatus(out: (l: string) => void, s: ClusterStatus): void {
  out(
    `cluster '${s.name}' (${s.provider})${s.head === undefined ? '' : `: head ${s.head.host}:${s.head.port}`}`,
  );
  out(`  ${'ROLE'.padEnd(6)} ${'NAME'.padEnd(28)} ${'STATE'.padEnd(8)} ${'ADDRESSES'.padEnd(20)} NODE`);
  for (const vm of s.vms) {
    const node = vm.node === undefined ? '-' : `${vm.node.nodeId} ${vm.node.alive ? 'alive' : 'dead'}`;
    out(
      `  ${vm.role.padEnd(6)} ${vm.name.padEnd(28)} ${vm.state.padEnd(8)} ${vm.addresses.join(',').padEnd(20)} ${node}`,
    );
  }
  if (s.nodes !== undefined) {
    out(`nodes the head sees: ${s.nodes.filter((n) => n.alive).length} alive of ${s.nodes.length}`);
    for (const n of s.nodes) out(`  ${n.nodeId} ${n.address} ${n.alive ? 'alive' : 'dead'}`);
  } else if (s.nodesError !== undefined) {
    out(`the head could not be asked: ${s.nodesError}`);
  }
}

function seconds(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a number of seconds >= 0`);
  return n * 1000;
}

/**
 * Runs `up`/`add-workers` so that Ctrl-C stops them and deletes what they created; a second
 * Ctrl-C quits at once (then `de2-cloud down` deletes what is left).
 */
async function interruptible<T>(
  err: (l: string) => void,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    err(
      'interrupted: deleting what this command created (Ctrl-C again to quit now, then run de2-cloud down)',
    );
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 bad usage or configuration). */
export async function main(argv: string[], io: CliIo = {}): Promise<number> {
  const out = io.out ?? ((l: string) => console.log(l));
  const err = io.err ?? ((l: string) => console.error(l));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        count: { type: 'string' },
        'state-dir': { type: 'string' },
        'no-wait': { type: 'boolean' },
        'poll-interval': { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    err(`de2-cloud: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, file = 'cluster.yaml', extra] = positionals;
  if (values.help || command === undefined || command === 'help') {
    out(USAGE);
    return 0;
  }
  if (!['up', 'add-workers', 'status', 'down', 'validate'].includes(command) || extra !== undefined) {
    err(`de2-cloud: unknown command or extra argument: ${positionals.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  try {
    const config = await loadClusterConfig(file);
    const pollIntervalMs = seconds(values['poll-interval'], '--poll-interval');
    const options: CloudOptions = {
      ...io.options,
      log: out,
      ...(values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] }),
      ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
      ...(values['no-wait'] ? { waitForJoin: false } : {}),
    };
    switch (command) {
      case 'validate':
        out(`${file} is valid:\n${JSON.stringify(config, null, 2)}`);
        return 0;
      case 'up':
        printInfo(out, await interruptible(err, (signal) => up(config, { ...options, signal })));
        return 0;
      case 'add-workers': {
        const count = Number(values.count);
        if (values.count === undefined || !Number.isInteger(count) || count < 1) {
          err('de2-cloud add-workers: --count N (a whole number >= 1) is required');
          return 2;
        }
        printInfo(
          out,
          await interruptible(err, (signal) => addWorkers(config, count, { ...options, signal })),
        );
        return 0;
      }
      case 'status': {
        const s = await status(config, { ...options, log: () => {} });
        if (values.json) out(JSON.stringify(s, null, 2));
        else printStatus(out, s);
        return 0;
      }
      default:
        await down(config, options);
        return 0;
    }
  } catch (e) {
    // Only messages are printed: error objects from pkgcloud carry request details.
    if (e instanceof ClusterConfigError || e instanceof CredentialsError) {
      err(`de2-cloud: ${e.message}`);
      return 2;
    }
    if (e instanceof CloudError) {
      err(`de2-cloud ${command} failed (${e.code}): ${e.message}`);
      return (e.cause as Error | undefined)?.message === INTERRUPTED ? 130 : 1;
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      err(`de2-cloud: ${(e as Error).message}`);
      return 2;
    }
    err(`de2-cloud ${command} failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
