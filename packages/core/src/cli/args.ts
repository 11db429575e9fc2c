import { parseArgs } from 'node:util';
import { isHostPort } from '../transport/local-address.js';

/** A parsed `de2-node` command line. */
export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'start'; options: StartOptions }
  | { kind: 'status'; address: string | undefined; token: string | undefined; json: boolean }
  | { kind: 'stop'; force: boolean };

export interface StartOptions {
  head: boolean;
  /** HOST:PORT of the head, for a worker node. */
  address: string | undefined;
  port: number;
  /** Port other nodes pull this node's objects from (0: any free port). */
  objectPort: number;
  host: string;
  numCpus: number | undefined;
  objectStoreMemory: number | undefined;
  /** The node's memory limit in bytes (logical `memory` and the memory monitor). */
  memory: number | undefined;
  resources: Record<string, number>;
  token: string | undefined;
  /** A file holding the token (kept off the command line, unlike --token). */
  tokenFile: string | undefined;
  /** Head only: make a fresh token even if one is found (--new-token). */
  newToken: boolean;
  /** Seconds a node keeps running without its head, waiting for it to come back (--head-grace-s). */
  headGraceS: number | undefined;
  /** Head only: most bytes of lineage kept (--max-lineage-bytes; else DE2_MAX_LINEAGE_BYTES). */
  maxLineageBytes: number | undefined;
  block: boolean;
  /** Head only: where its dashboard listens (undefined: --no-dashboard). */
  dashboard: { port: number; host: string } | undefined;
}

/** A command line that cannot be run; the message says what to change. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function positiveInt(name: string, raw: string | undefined, min = 1): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be a whole number >= ${min}, got '${raw}'`);
  return n;
}

function parseResources(raw: string | undefined): Record<string, number> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new UsageError(`--resources must be a JSON object such as '{"gpu":1}', got '${raw}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`--resources must be a JSON object such as '{"gpu":1}', got '${raw}'`);
  }
  for (const [key, amount] of Object.entries(value)) {
    if (typeof amount !== 'number' || !(amount >= 0)) {
      throw new UsageError(`--resources: '${key}' must be a number >= 0, got ${JSON.stringify(amount)}`);
    }
  }
  return value as Record<string, number>;
}

/** Checks HOST:PORT; returns it unchanged. */
export function checkAddress(address: string, flag = '--address'): string {
  if (!isHostPort(address)) {
    throw new UsageError(`${flag} must be HOST:PORT, such as 10.0.0.5:6379, got '${address}'`);
  }
  return address;
}

/** Parses argv (without `node` and the script); throws UsageError on a bad line. */
export function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        head: { type: 'boolean' },
        address: { type: 'string' },
        port: { type: 'string' },
        'object-port': { type: 'string' },
        host: { type: 'string' },
        'num-cpus': { type: 'string' },
        'object-store-memory': { type: 'string' },
        memory: { type: 'string' },
        resources: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'new-token': { type: 'boolean' },
        'head-grace-s': { type: 'string' },
        'max-lineage-bytes': { type: 'string' },
        block: { type: 'boolean' },
        'dashboard-port': { type: 'string' },
        'dashboard-host': { type: 'string' },
        'no-dashboard': { type: 'boolean' },
        json: { type: 'boolean' },
        force: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) return { kind: 'version' };
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') return { kind: 'help' };
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  switch (command) {
    case 'start': {
      if (values.head === (values.address !== undefined)) {
        throw new UsageError(
          'start needs exactly one of --head (a new cluster) or --address HOST:PORT (join one)',
        );
      }
      const dashboardFlag = ['dashboard-port', 'dashboard-host', 'no-dashboard'].find((f) => f in values);
      if (!values.head && dashboardFlag) {
        throw new UsageError(`--${dashboardFlag} is for the head (start --head): workers serve no dashboard`);
      }
      if (values['max-lineage-bytes'] !== undefined && !values.head) {
        throw new UsageError(
          '--max-lineage-bytes is for the head (start --head): the head keeps the lineage',
        );
      }
      if (values['new-token'] && !values.head) {
        throw new UsageError(
          '--new-token is for the head (start --head): a worker uses the token it is given',
        );
      }
      const tokenFlags = ['token', 'token-file', 'new-token'].filter((f) => f in values);
      if (tokenFlags.length > 1) {
        throw new UsageError(
          `give one of --token, --token-file or --new-token, not ${tokenFlags.map((f) => `--${f}`).join(' and ')}`,
        );
      }
      if (values['no-dashboard'] && (values['dashboard-port'] ?? values['dashboard-host']) !== undefined) {
        throw new UsageError('--no-dashboard cannot go with --dashboard-port or --dashboard-host');
      }
      return {
        kind: 'start',
        options: {
          head: values.head === true,
          address: values.address === undefined ? undefined : checkAddress(values.address),
          port: positiveInt('port', values.port, 0) ?? 6379,
          objectPort: positiveInt('object-port', values['object-port'], 0) ?? 0,
          host: values.host ?? '0.0.0.0',
          numCpus: positiveInt('num-cpus', values['num-cpus'], 0),
          objectStoreMemory: positiveInt('object-store-memory', values['object-store-memory']),
          memory: positiveInt('memory', values.memory),
          resources: parseResources(values.resources),
          token: values.token,
          tokenFile: values['token-file'],
          newToken: values['new-token'] === true,
          headGraceS: positiveInt('head-grace-s', values['head-grace-s'], 0),
          maxLineageBytes: positiveInt(
            'max-lineage-bytes',
            values['max-lineage-bytes'] ?? process.env.DE2_MAX_LINEAGE_BYTES,
            0,
          ),
          block: values.block === true,
          dashboard: values['no-dashboard']
            ? undefined
            : {
                port: positiveInt('dashboard-port', values['dashboard-port'], 0) ?? 8265,
                host: values['dashboard-host'] ?? '127.0.0.1',
              },
        },
      };
    }
    case 'status':
      return {
        kind: 'status',
        address: values.address === undefined ? undefined : checkAddress(values.address),
        token: values.token,
        json: values.json === true,
      };
    case 'stop':
      return { kind: 'stop', force: values.force === true };
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}
