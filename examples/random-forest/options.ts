// Command-line flags of examples/random-forest.ts: parsed and checked once, before anything runs.
import { parseArgs } from 'node:util';

export const GRIDS = ['tiny', 'small', 'full', 'seed'] as const;
export type GridName = (typeof GRIDS)[number];
export const SCHEDULERS = ['fifo', 'asha'] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

export interface ExampleOptions {
  readonly address: string | undefined;
  readonly token: string | undefined;
  readonly data: string | undefined;
  readonly fetch: boolean;
  readonly rows: number | undefined;
  readonly grid: GridName;
  readonly scheduler: SchedulerName;
  readonly maxConcurrent: number | undefined;
  readonly includeOomTrial: boolean;
  readonly memoryMb: number | undefined;
  readonly testFraction: number;
  readonly seed: number;
  readonly storagePath: string;
  readonly name: string | undefined;
  readonly numCpus: number | undefined;
  readonly progress: 'auto' | 'table' | 'lines' | 'none';
  /** Serve the embedded cluster's dashboard and keep it up after the experiment, until Ctrl+C. */
  readonly dashboard: boolean;
  readonly dashboardPort: number;
  readonly help: boolean;
}

export const USAGE = `Usage: npx tsx examples/random-forest.ts [options]

Grid search of a random forest on the UCI Covertype data with de2 Tune (the DE2 assignment).
With no options: an embedded de2 cluster on this machine, the committed 20,000-row sample,
the small grid (16 configurations), FIFO.

  --address HOST:PORT     run on a running cluster (npx de2-node start --head) instead
                          (default: DE2_ADDRESS when it is set, else an embedded cluster)
  --token TOKEN           the cluster's token (default: DE2_TOKEN, else ~/.de2/token)
  --data PATH             a Covertype file: UCI covtype.data(.gz) or Kaggle train.csv
  --fetch                 download the full UCI file (581,012 rows) into the cache and use it
  --rows N                use a stratified sample of N rows of the data
  --grid small|full|tiny|seed
                          small: 16 configurations (default); full: 48, the assignment-sized
                          grid, with the out-of-memory trial; tiny: 4, for tests; seed: the
                          assignment's own grid, maxDepth [10, 20, null] x ccpAlpha [0, 1e-4,
                          1e-3] (100 trees), with the seed's troublesome trial (maxDepth null,
                          ccpAlpha 1e-4, 400 trees) and the out-of-memory one (4000 trees)
  --scheduler fifo|asha   asha grows forests in steps of trees and stops weak ones early
  --max-concurrent N      at most N trials at once (default: as many as the CPUs fit)
  --include-oom-trial     add the seed's troublesome trial (maxDepth null, 4000 trees)
  --memory-mb N           memory budget of every trial in MiB, heap + ArrayBuffers (default:
                          40 + 0.2 per tree of the grid's largest forest, per 16,000 training
                          rows); a trial over it ends as ERROR with OutOfMemoryError, alone
  --test-fraction F       share of rows held out for the accuracy (default 0.2)
  --seed N                seed of the split, the sample and the forests (default 0)
  --storage-path DIR      where results are written (default ./results)
  --name NAME             the experiment's folder name (default covertype-rf-<time>)
  --num-cpus N            CPUs of the embedded cluster (default: all)
  --progress MODE         auto|table|lines|none (default auto)
  --dashboard             serve the embedded cluster's dashboard (prints its URL) and keep it
                          up after the experiment until Ctrl+C (on a cluster the head serves
                          it: \`npx de2-node status\` on the head prints where)
  --dashboard-port N      its port (default 8265; 0: any free port)
  --help                  this text
`;

/** A bad command line: the message says which flag and what it must be. */
export class UsageError extends Error {
  readonly code = 'EXAMPLE_USAGE';
  override readonly name = 'UsageError';
}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${flag} must be a positive integer, got "${value}"`);
  }
  return n;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], def: T): T {
  if (value === undefined) return def;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** Parses argv (without node and the script); throws UsageError on anything unknown or malformed. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ExampleOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        address: { type: 'string' },
        token: { type: 'string' },
        data: { type: 'string' },
        fetch: { type: 'boolean' },
        rows: { type: 'string' },
        grid: { type: 'string' },
        scheduler: { type: 'string' },
        'max-concurrent': { type: 'string' },
        'include-oom-trial': { type: 'boolean' },
        'memory-mb': { type: 'string' },
        'test-fraction': { type: 'string' },
        seed: { type: 'string' },
        'storage-path': { type: 'string' },
        name: { type: 'string' },
        'num-cpus': { type: 'string' },
        progress: { type: 'string' },
        dashboard: { type: 'boolean' },
        'dashboard-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // node:util's messages name the flag ("Unknown option '--foo'"); keep them, add the hint.
    throw new UsageError(`${(error as Error).message}. Run with --help for the options.`);
  }
  // As de2-cloud prints it: export DE2_ADDRESS (and DE2_TOKEN), then run the example.
  const address = values.address ?? (env.DE2_ADDRESS || undefined);
  if (address !== undefined && !/^[^\s:]+:\d{1,5}$/.test(address)) {
    const from = values.address === undefined ? 'DE2_ADDRESS' : '--address';
    throw new UsageError(`${from} must be HOST:PORT, got "${address}"`);
  }
  if (values.token !== undefined && address === undefined) {
    throw new UsageError('--token needs --address');
  }
  if (values.data !== undefined && values.fetch)
    throw new UsageError('--data and --fetch exclude each other');
  const testFraction = values['test-fraction'] === undefined ? 0.2 : Number(values['test-fraction']);
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new UsageError(
      `--test-fraction must be a number between 0 and 1, got "${values['test-fraction']}"`,
    );
  }
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!/^\d+$/.test(values.seed ?? '0') || seed > 2 ** 32 - 1) {
    throw new UsageError(`--seed must be an integer from 0 to 4294967295, got "${values.seed}"`);
  }
  if (values.name !== undefined && (values.name === '' || /[\\/]/.test(values.name))) {
    throw new UsageError(`--name must be a folder name without slashes, got "${values.name}"`);
  }
  const numCpus = positiveInt('num-cpus', values['num-cpus']);
  if (numCpus !== undefined && address !== undefined) {
    throw new UsageError('--num-cpus sets the embedded cluster; with --address the cluster has its own');
  }
  if (values.dashboard && address !== undefined) {
    throw new UsageError(
      "--dashboard is for the embedded cluster: a cluster's head serves its own (run `npx de2-node status` on the head for its URL)",
    );
  }
  const dashboardPort = values['dashboard-port'] === undefined ? 8265 : Number(values['dashboard-port']);
  if (!/^\d+$/.test(values['dashboard-port'] ?? '0') || dashboardPort > 65535) {
    throw new UsageError(
      `--dashboard-port must be a port from 0 (any free one) to 65535, got "${values['dashboard-port']}"`,
    );
  }
  if (values['dashboard-port'] !== undefined && !values.dashboard)
    throw new UsageError('--dashboard-port needs --dashboard');
  return {
    address,
    token: values.token,
    data: values.data,
    fetch: values.fetch ?? false,
    rows: positiveInt('rows', values.rows),
    grid: oneOf('grid', values.grid, GRIDS, 'small'),
    scheduler: oneOf('scheduler', values.scheduler, SCHEDULERS, 'fifo'),
    maxConcurrent: positiveInt('max-concurrent', values['max-concurrent']),
    includeOomTrial: values['include-oom-trial'] ?? false,
    memoryMb: positiveInt('memory-mb', values['memory-mb']),
    testFraction,
    seed,
    storagePath: values['storage-path'] ?? 'results',
    name: values.name,
    numCpus,
    progress: oneOf('progress', values.progress, ['auto', 'table', 'lines', 'none'] as const, 'auto'),
    dashboard: values.dashboard ?? false,
    dashboardPort,
    help: values.help ?? false,
  };
}
