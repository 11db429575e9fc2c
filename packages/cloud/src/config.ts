import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ClusterConfigError } from './errors.js';
import { Problems, isCidr, isPlainObject } from './config-checks.js';

/** Where the VMs get de2 from: a git repository (cloned and built) or an npm tarball of @de2/core. */
export type InstallSource = { kind: 'git'; url: string; ref?: string } | { kind: 'tarball'; url: string };

/** Options passed to every `de2-node start` of the cluster. */
export interface NodeOptions {
  /** `--num-cpus`: CPUs each node offers (default: all of the machine's). */
  numCpus?: number;
  /** `--object-store-memory` in bytes (default: de2-node's, 30% of RAM). */
  objectStoreMemory?: number;
  /** `--resources`: custom resources each node offers, e.g. `{ gpu: 1 }`. */
  resources?: Record<string, number>;
}

interface CommonConfig {
  /** Lowercase letters, digits and '-': prefixes VM and security group names. */
  name: string;
  /** Workers started by `up` besides the head. @default 0 */
  workers: number;
  /** The head's de2 port. @default 6379 (local: 0 picks a free port) */
  port: number;
  node: NodeOptions;
}

/** cluster.yaml of an OpenStack (SSC) cluster. */
export interface OpenStackClusterConfig extends CommonConfig {
  provider: 'openstack';
  head: { flavor: string };
  worker: { flavor: string };
  image: string;
  network: string;
  keyPair: string;
  /** Created if missing (and then deleted by `down`). @default `de2-<name>` */
  securityGroup: string;
  /** CIDR allowed to SSH in. @default the cluster network's CIDR */
  sshFrom?: string;
  de2: InstallSource;
}

/** cluster.yaml of a cluster of local de2-node processes. */
export interface LocalClusterConfig extends CommonConfig {
  provider: 'local';
}

/** What `de2-cloud up` reads from cluster.yaml. */
export type ClusterConfig = OpenStackClusterConfig | LocalClusterConfig;

const KNOWN_KEYS = [
  'name',
  'provider',
  'workers',
  'port',
  'flavor',
  'head',
  'worker',
  'image',
  'network',
  'keyPair',
  'securityGroup',
  'sshFrom',
  'de2',
  'node',
] as const;

/** Parses and validates cluster.yaml text; throws ClusterConfigError listing every problem. */
export function parseClusterConfig(text: string): ClusterConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new ClusterConfigError([`the file is not YAML: ${(e as Error).message.split('\n')[0]}`]);
  }
  return validateClusterConfig(raw);
}

/** Reads and validates a cluster.yaml file. */
export async function loadClusterConfig(path: string): Promise<ClusterConfig> {
  return parseClusterConfig(await readFile(path, 'utf8'));
}

/** Validates a parsed cluster.yaml (or a config built in code); throws ClusterConfigError listing every problem. */
export function validateClusterConfig(raw: unknown): ClusterConfig {
  if (!isPlainObject(raw)) {
    throw new ClusterConfigError(['the file must be a YAML mapping (key: value lines)']);
  }
  const p = new Problems();
  // Only the key is named, never its value: a misplaced `password:` must not end up in a log.
  p.unknownKeys(raw, KNOWN_KEYS, '');
  const name = raw.name;
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]{0,30}$/.test(name)) {
    p.add("'name' is required: up to 31 lowercase letters, digits and '-', starting with a letter");
  }
  const provider = raw.provider ?? 'openstack';
  if (provider !== 'openstack' && provider !== 'local') {
    p.add(`'provider' must be 'openstack' or 'local', got ${p.show(provider)}`);
  }
  const workers = p.integer(raw, 'workers', 0, 0, 1000) ?? 0;
  const port = p.integer(raw, 'port', 6379, provider === 'local' ? 0 : 1, 65535) ?? 6379;
  const node = nodeOptions(raw.node, p);
  const common = { name: name as string, workers, port, node };
  if (provider === 'local') {
    p.throwIfAny();
    return { provider: 'local', ...common };
  }
  const flavor = p.optionalString(raw, 'flavor');
  const headFlavor = flavorOf(raw.head, 'head', flavor, p);
  const workerFlavor = flavorOf(raw.worker, 'worker', flavor, p);
  const image = p.requiredString(raw, 'image', "the image name, e.g. 'Ubuntu 22.04'");
  const network = p.requiredString(raw, 'network', 'the name of the network the VMs attach to');
  const keyPair = p.requiredString(raw, 'keyPair', 'the name of your key pair, for SSH');
  const securityGroup = p.optionalString(raw, 'securityGroup') ?? `de2-${String(name)}`;
  const sshFrom = p.optionalString(raw, 'sshFrom');
  if (sshFrom !== undefined && !isCidr(sshFrom)) {
    p.add(`'sshFrom' must be an IPv4 CIDR such as 192.0.2.0/24, got ${p.show(sshFrom)}`);
  }
  const de2 = installSource(raw.de2, p);
  p.throwIfAny();
  return {
    provider: 'openstack',
    ...common,
    head: { flavor: headFlavor as string },
    worker: { flavor: workerFlavor as string },
    image: image as string,
    network: network as string,
    keyPair: keyPair as string,
    securityGroup,
    ...(sshFrom === undefined ? {} : { sshFrom }),
    de2: de2 as InstallSource,
  };
}

function flavorOf(section: unknown, key: 'head' | 'worker', fallback: string | undefined, p: Problems) {
  if (section === undefined) {
    if (fallback === undefined) p.add(`'${key}.flavor' (or 'flavor' for both) is required, e.g. ssc.small`);
    return fallback;
  }
  if (!isPlainObject(section)) {
    p.add(`'${key}' must be a mapping such as { flavor: ssc.small }`);
    return undefined;
  }
  p.unknownKeys(section, ['flavor'], `${key}.`);
  const flavor = p.optionalString(section, 'flavor', `${key}.`) ?? fallback;
  if (flavor === undefined) p.add(`'${key}.flavor' (or 'flavor' for both) is required, e.g. ssc.small`);
  return flavor;
}

const GIT_URL = /^(https?:\/\/|git:\/\/|ssh:\/\/|git@[\w.-]+:)\S+$/;
const TARBALL_URL = /^https?:\/\/\S+\.(tgz|tar\.gz)(\?\S*)?$/;

function installSource(raw: unknown, p: Problems): InstallSource | undefined {
  const hint =
    "'de2' is required: { git: https://.../de2.git, ref: main } or { tarball: https://.../de2-core.tgz }";
  if (raw === undefined) return void p.add(hint);
  if (!isPlainObject(raw)) return void p.add(hint);
  p.unknownKeys(raw, ['git', 'ref', 'tarball', 'kind', 'url'], 'de2.');
  // The resolved form ({ kind, url }) is accepted too, so a validated config validates again.
  const git = raw.kind === 'git' ? raw.url : raw.git;
  const tarball = raw.kind === 'tarball' ? raw.url : raw.tarball;
  if ((git === undefined) === (tarball === undefined))
    return void p.add(`exactly one of 'de2.git' and 'de2.tarball' must be set`);
  if (git !== undefined) {
    if (typeof git !== 'string' || !GIT_URL.test(git))
      return void p.add(`'de2.git' must be a git URL, got ${p.show(git)}`);
    const ref = p.optionalString(raw, 'ref', 'de2.');
    if (ref !== undefined && !/^[\w./-]+$/.test(ref))
      p.add(`'de2.ref' must be a branch, tag or commit, got ${p.show(ref)}`);
    return { kind: 'git', url: git, ...(ref === undefined ? {} : { ref }) };
  }
  if (raw.ref !== undefined) p.add(`'de2.ref' only applies to 'de2.git'`);
  if (typeof tarball !== 'string' || !TARBALL_URL.test(tarball)) {
    return void p.add(`'de2.tarball' must be an http(s) URL of a .tgz, got ${p.show(tarball)}`);
  }
  return { kind: 'tarball', url: tarball };
}

function nodeOptions(raw: unknown, p: Problems): NodeOptions {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) {
    p.add("'node' must be a mapping such as { numCpus: 2 }");
    return {};
  }
  p.unknownKeys(raw, ['numCpus', 'objectStoreMemory', 'resources'], 'node.');
  const numCpus = p.integer(raw, 'numCpus', undefined, 1, 4096, 'node.');
  const objectStoreMemory = p.integer(
    raw,
    'objectStoreMemory',
    undefined,
    1,
    Number.MAX_SAFE_INTEGER,
    'node.',
  );
  const out: NodeOptions = {};
  if (numCpus !== undefined) out.numCpus = numCpus;
  if (objectStoreMemory !== undefined) out.objectStoreMemory = objectStoreMemory;
  if (raw.resources !== undefined) {
    const r = raw.resources;
    const ok =
      isPlainObject(r) &&
      Object.entries(r).every(([k, v]) => /^[\w.-]+$/.test(k) && typeof v === 'number' && v >= 0);
    if (ok) out.resources = { ...(r as Record<string, number>) };
    else p.add("'node.resources' must map resource names to numbers >= 0, e.g. { gpu: 1 }");
  }
  return out;
}
