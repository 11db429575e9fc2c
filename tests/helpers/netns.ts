// Nodes on addresses of their own on one machine: each node in its own network namespace
// (`ip netns`), joined by a veth pair to one bridge, with addresses of a private test range
// (10.213.X.0/24, X free on this machine) that exist only inside what this file creates.
// Traffic goes to those addresses only. Needs root (CAP_NET_ADMIN) and iproute2.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetnsOptions {
  /** Namespaces to create, one per node. */
  count: number;
  /** Shape each node's link with `tc netem` like VMs of one cloud region (1 Gbit/s, 0.5 ms). */
  netem?: { rate: string; delay: string };
}

export interface Netns {
  /** The namespaces' names, in order. */
  names: string[];
  /** The address of namespace i (on its eth0). */
  addresses: string[];
  /** The bridge's address: what this process (outside every namespace) is reached at. */
  bridgeAddress: string;
  /** How the links are shaped ('none' without `netem` in the options). */
  shaping: string;
  /** `ip netns exec NAME` before a command: runs it inside namespace i. */
  exec(i: number): string[];
  /** Deletes every namespace, veth and the bridge. Safe to call twice; never throws. */
  cleanup(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Why namespaces cannot be made here (not root, no `ip`, no permission), or undefined if they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0)
    return 'network namespaces need root (CAP_NET_ADMIN); run as root to include this test';
  const name = `de2p${randomBytes(3).toString('hex')}`;
  const probe = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (probe.error) return `iproute2 is missing (${probe.error.message}): apt-get install iproute2`;
  if (probe.status !== 0) return `ip netns add failed: ${probe.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', name]);
  return undefined;
}

/**
 * Shapes what namespace `name` sends (node to node: one shaped link, `delay` one way): netem
 * for rate and delay; a kernel without netem (sch_netem) gets the rate alone, through tbf.
 */
function shape(name: string, { rate, delay }: { rate: string; delay: string }): string {
  const tc = (...args: string[]) =>
    spawnSync('ip', ['netns', 'exec', name, 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', ...args], {
      encoding: 'utf8',
    });
  const netem = tc('netem', 'delay', delay, 'rate', rate);
  if (netem.status === 0) return `netem: ${rate}, ${delay} one way`;
  const tbf = tc('tbf', 'rate', rate, 'burst', '256kb', 'latency', '10ms');
  if (tbf.status !== 0)
    throw new Error(`tc could not shape the link: ${netem.stderr.trim()}; ${tbf.stderr.trim()}`);
  return `tbf: ${rate}, no added delay (this kernel has no netem: ${netem.stderr.trim()})`;
}

/** A /24 of 10.213.0.0/16 that no route of this machine uses yet. */
function freeSubnet(): number {
  const routes = execFileSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' });
  const used = new Set([...routes.matchAll(/10\.213\.(\d+)\./g)].map((m) => Number(m[1])));
  for (let tries = 0; tries < 256; tries++) {
    const x = randomBytes(1)[0]!;
    if (!used.has(x)) return x;
  }
  throw new Error('no free 10.213.X.0/24 subnet left on this machine');
}

/**
 * Creates `count` namespaces on one bridge. On any failure it removes what it made and
 * rethrows; call `cleanup()` when done (also on failure of what runs inside).
 */
export function createNetns(options: NetnsOptions): Netns {
  const id = randomBytes(2).toString('hex');
  const subnet = freeSubnet();
  const bridge = `de2br${id}`;
  const names = Array.from({ length: options.count }, (_, i) => `de2-${id}-${i + 1}`);
  const hostEnds = names.map((_, i) => `de2v${id}${i + 1}`);
  const addresses = names.map((_, i) => `10.213.${subnet}.${11 + i}`);
  const bridgeAddress = `10.213.${subnet}.1`;
  const made = { bridge: false, names: [] as string[], links: [] as string[] };
  let shaping = 'none';
  const cleanup = () => {
    for (const link of made.links) spawnSync('ip', ['link', 'del', link]);
    for (const name of made.names) spawnSync('ip', ['netns', 'del', name]);
    if (made.bridge) spawnSync('ip', ['link', 'del', bridge]);
    made.links = [];
    made.names = [];
    made.bridge = false;
  };
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    made.bridge = true;
    ip('addr', 'add', `${bridgeAddress}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    names.forEach((name, i) => {
      ip('netns', 'add', name);
      made.names.push(name);
      ip('link', 'add', hostEnds[i]!, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name);
      made.links.push(hostEnds[i]!);
      ip('link', 'set', hostEnds[i]!, 'master', bridge, 'up');
      const inside = (...args: string[]) => ip('netns', 'exec', name, 'ip', ...args);
      inside('addr', 'add', `${addresses[i]}/24`, 'dev', 'eth0');
      inside('link', 'set', 'eth0', 'up');
      inside('link', 'set', 'lo', 'up');
      if (options.netem) shaping = shape(name, options.netem);
    });
  } catch (error) {
    cleanup();
    throw error;
  }
  return {
    names,
    addresses,
    bridgeAddress,
    shaping,
    exec: (i) => ['ip', 'netns', 'exec', names[i]!],
    cleanup,
  };
}
