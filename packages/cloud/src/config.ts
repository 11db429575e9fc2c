import { parse } from 'yaml';

/** What `de2-cloud up` reads from cluster.yaml. */
export interface ClusterConfig {
  name: string;
  provider: 'openstack' | 'local';
  workers: number;
  port: number;
}

const KNOWN_KEYS = ['name', 'provider', 'workers', 'port'] as const;

/** A cluster.yaml problem, with every mistake found listed. */
export class ClusterConfigError extends Error {
  readonly code = 'CLUSTER_CONFIG';
  constructor(readonly problems: string[]) {
    super(`cluster.yaml is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ClusterConfigError';
  }
}

/** Parses and validates cluster.yaml text; throws ClusterConfigError listing every problem. */
export function parseClusterConfig(text: string): ClusterConfig {
  const raw: unknown = parse(text);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ClusterConfigError(['the file must be a YAML mapping (key: value lines)']);
  }
  const input = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(input)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      problems.push(`unknown key '${key}' (known keys: ${KNOWN_KEYS.join(', ')})`);
    }
  }
  if (typeof input.name !== 'string' || !/^[a-z][a-z0-9-]{0,30}$/.test(input.name)) {
    problems.push("'name' is required: lowercase letters, digits and '-', starting with a letter");
  }
  const provider = input.provider ?? 'openstack';
  if (provider !== 'openstack' && provider !== 'local') {
    problems.push(`'provider' must be 'openstack' or 'local', got '${String(provider)}'`);
  }
  const workers = input.workers ?? 0;
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 0) {
    problems.push(`'workers' must be a whole number >= 0, got ${String(workers)}`);
  }
  const port = input.port ?? 6379;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push(`'port' must be a port number (1-65535), got ${String(port)}`);
  }
  if (problems.length > 0) throw new ClusterConfigError(problems);
  return {
    name: input.name as string,
    provider: provider as ClusterConfig['provider'],
    workers: workers as number,
    port: port as number,
  };
}
