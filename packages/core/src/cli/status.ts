import { randomBytes } from 'node:crypto';
import type { ClusterStatusReply } from '../cluster/query-status.js';
import { queryStatus } from '../cluster/query-status.js';

export { queryStatus };

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function bytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)}GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)}MiB`;
  return `${Math.round(n)}B`;
}

function amount(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : n.toFixed(1);
}

/** `ray status`-like text for a cluster status reply. */
export function formatStatus(
  address: string,
  status: ClusterStatusReply,
  now = new Date(),
  dashboardUrl?: string,
): string {
  const nodes = status.nodes.filter((n) => !n.isDriver);
  const alive = nodes.filter((n) => n.alive);
  const dead = nodes.filter((n) => !n.alive);
  const drivers = status.nodes.filter((n) => n.isDriver && n.alive);
  const sum = (key: string, of: 'resources' | 'available') =>
    alive.reduce((total, n) => total + (n[of][key] ?? 0), 0);
  const line = '-'.repeat(60);
  const out = [
    `======== de2 cluster status: ${now.toISOString().replace('T', ' ').slice(0, 19)} (head ${address}) ========`,
    'Node status',
    line,
    'Healthy:',
    ...(alive.length === 0 ? [' (none)'] : []),
    ...alive.map(
      (n) =>
        ` ${n.nodeId}  ${n.address.padEnd(21)}  ${amount(n.resources.CPU ?? 0)} CPU, ${n.runningTasks} running`,
    ),
    'Dead:',
    ...(dead.length === 0 ? [' (none)'] : dead.map((n) => ` ${n.nodeId}  ${n.address}`)),
    `Drivers connected: ${drivers.length}`,
    '',
    'Resources',
    line,
    'Usage:',
    ` ${amount(sum('CPU', 'resources') - sum('CPU', 'available'))}/${amount(sum('CPU', 'resources'))} CPU`,
    ` ${bytes(sum('memory', 'resources') - sum('memory', 'available'))}/${bytes(sum('memory', 'resources'))} memory`,
    ` ${bytes(alive.reduce((t, n) => t + n.objectStoreUsed, 0))}/${bytes(sum('objectStoreMemory', 'resources'))} object store`,
  ];
  const custom = new Set(alive.flatMap((n) => Object.keys(n.resources)));
  for (const key of ['CPU', 'memory', 'objectStoreMemory']) custom.delete(key);
  for (const key of [...custom].sort()) {
    out.push(
      ` ${amount(sum(key, 'resources') - sum(key, 'available'))}/${amount(sum(key, 'resources'))} ${key}`,
    );
  }
  const running = alive.reduce((t, n) => t + n.runningTasks, 0);
  out.push(`Tasks: ${running} running, ${status.pendingTasks} pending`, '', 'Demands:');
  if (status.demands.length === 0) out.push(' (no resource demands)');
  for (const d of status.demands) {
    out.push(
      ` ${JSON.stringify(d.resources)}: ${d.count} ${d.infeasible ? 'infeasible (no node can ever run it; add one that offers this)' : 'pending'}`,
    );
  }
  out.push(
    '',
    dashboardUrl
      ? `Dashboard: ${dashboardUrl}`
      : 'Dashboard: on the head machine, http://127.0.0.1:8265/ unless started otherwise (run status there to see it)',
  );
  return out.join('\n');
}

/** A fresh id for the short-lived connection `status` makes. */
export function statusNodeId(): string {
  return `status-${randomBytes(4).toString('hex')}`;
}
