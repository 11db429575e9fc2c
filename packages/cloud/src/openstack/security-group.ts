import { objectPort } from '../user-data.js';
import { UnsafeSecurityGroupError } from '../errors.js';
import type { ProviderContext } from '../provider.js';
import type { OpenStackApi, SecurityGroup, SecurityGroupRule } from './api.js';

/** The description of groups de2-cloud creates: how `down` recognises its own group if state is lost. */
export function groupDescription(cluster: string): string {
  return `de2-cloud: cluster ${cluster}`;
}

const WORLD = new Set(['0.0.0.0/0', '::/0']);

function coversPort(rule: SecurityGroupRule, port: number): boolean {
  const protocolMatches =
    rule.protocol == null || rule.protocol === 'tcp' || rule.protocol === '6' || rule.protocol === 'any';
  const min = rule.port_range_min ?? 1;
  const max = rule.port_range_max ?? 65535;
  return protocolMatches && min <= port && port <= max;
}

/** A rule that lets anyone on the internet reach `port`. */
export function opensToWorld(rule: SecurityGroupRule, port: number): boolean {
  if (rule.direction !== undefined && rule.direction !== 'ingress') return false;
  const fromAnywhere =
    (rule.remote_ip_prefix == null && rule.remote_group_id == null) ||
    (rule.remote_ip_prefix != null && WORLD.has(rule.remote_ip_prefix));
  return fromAnywhere && coversPort(rule, port);
}

function hasRule(group: SecurityGroup, port: number, cidr: string): boolean {
  return (group.securityGroupRules ?? []).some(
    (r) =>
      (r.direction ?? 'ingress') === 'ingress' &&
      r.remote_ip_prefix === cidr &&
      (r.protocol === 'tcp' || r.protocol === '6') &&
      r.port_range_min === port &&
      r.port_range_max === port,
  );
}

/**
 * Creates the cluster's security group, or reuses the one with that name: it opens the de2 port
 * to the network's CIDRs only, and SSH to `sshFrom` (default: the same CIDRs). A reused group that
 * opens the de2 port to the world is refused. Records what it created in the state.
 */
export async function ensureSecurityGroup(
  api: OpenStackApi,
  ctx: ProviderContext,
  name: string,
  port: number,
  cidrs: readonly string[],
  sshFrom: string | undefined,
): Promise<void> {
  const wanted: { port: number; cidr: string }[] = [
    ...cidrs.map((cidr) => ({ port, cidr })),
    // Object transfer between nodes: de2-node --object-port (the de2 port + 1).
    ...cidrs.map((cidr) => ({ port: objectPort(port), cidr })),
    ...(sshFrom === undefined ? cidrs : [sshFrom]).map((cidr) => ({ port: 22, cidr })),
  ];
  for (const w of wanted) {
    // A network CIDR of /0 would make the de2 port world-open: never create such a rule.
    if (w.port !== 22 && (WORLD.has(w.cidr) || w.cidr.endsWith('/0'))) {
      throw new UnsafeSecurityGroupError(`refusing to open port ${port} to ${w.cidr}`);
    }
  }
  const matches = (await api.securityGroups()).filter((g) => g.name === name);
  if (matches.length > 1) {
    throw new UnsafeSecurityGroupError(
      `${matches.length} security groups are named '${name}': set securityGroup to a unique name`,
    );
  }
  let group = matches[0];
  if (group !== undefined) {
    const open = (group.securityGroupRules ?? []).find((r) => opensToWorld(r, port));
    if (open !== undefined) {
      throw new UnsafeSecurityGroupError(
        `security group '${name}' opens port ${port} to the whole internet (rule ${open.id}); ` +
          'remove that rule or name another securityGroup in cluster.yaml',
      );
    }
    ctx.log(`security group '${name}' exists: reusing it`);
    ctx.state.securityGroup = { id: group.id, name, created: false, addedRuleIds: [] };
  } else {
    ctx.log(`creating security group '${name}'`);
    group = await api.createSecurityGroup(name, groupDescription(ctx.config.name));
    ctx.state.securityGroup = { id: group.id, name, created: true, addedRuleIds: [] };
  }
  await ctx.save();
  const record = ctx.state.securityGroup;
  for (const w of wanted) {
    if (hasRule(group, w.port, w.cidr)) continue;
    ctx.log(`  allowing tcp port ${w.port} from ${w.cidr}`);
    const rule = await api.createSecurityGroupRule({
      securityGroupId: group.id,
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: 'tcp',
      portRangeMin: w.port,
      portRangeMax: w.port,
      remoteIpPrefix: w.cidr,
    });
    // Rules in a group we created go with the group; in a reused one, down deletes them one by one.
    if (!record.created) {
      record.addedRuleIds.push(rule.id);
      await ctx.save();
    }
  }
}
