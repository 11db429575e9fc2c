// Neutron (network v2.0) routes of the fake OpenStack: networks, subnets, security groups and rules.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { send, type FakeOpenStack, type FakeRule } from './fake-openstack.js';

function neutronError(res: ServerResponse, status: number, type: string, message: string): true {
  send(res, status, { NeutronError: { type, message, detail: '' } });
  return true;
}

function groupView(os: FakeOpenStack, id: string): Record<string, unknown> {
  const g = os.groups.get(id);
  return {
    ...g,
    tenant_id: 'p',
    project_id: 'p',
    security_group_rules: [...os.rules.values()].filter((r) => r.security_group_id === id),
  };
}

const CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

function createRule(os: FakeOpenStack, body: unknown, res: ServerResponse): true {
  const r = (body as { security_group_rule?: Record<string, unknown> } | undefined)?.security_group_rule;
  if (r === undefined) return neutronError(res, 400, 'HTTPBadRequest', 'Resource body required');
  if (r.direction !== 'ingress' && r.direction !== 'egress')
    return neutronError(res, 400, 'HTTPBadRequest', 'Invalid direction');
  if (r.ethertype !== 'IPv4' && r.ethertype !== 'IPv6')
    return neutronError(res, 400, 'HTTPBadRequest', 'Invalid ethertype');
  if (typeof r.security_group_id !== 'string' || !os.groups.has(r.security_group_id)) {
    return neutronError(
      res,
      404,
      'SecurityGroupNotFound',
      `Security group ${String(r.security_group_id)} does not exist`,
    );
  }
  if (
    r.remote_ip_prefix != null &&
    (typeof r.remote_ip_prefix !== 'string' || !CIDR.test(r.remote_ip_prefix))
  ) {
    return neutronError(res, 400, 'HTTPBadRequest', `Invalid remote_ip_prefix ${String(r.remote_ip_prefix)}`);
  }
  const min = r.port_range_min ?? null;
  const max = r.port_range_max ?? null;
  if (
    (min !== null && typeof min !== 'number') ||
    (max !== null && typeof max !== 'number') ||
    (min as number) > (max as number)
  ) {
    return neutronError(
      res,
      400,
      'SecurityGroupInvalidPortRange',
      'For TCP/UDP protocols, port_range_min must be <= port_range_max',
    );
  }
  const rule: Partial<FakeRule> & { security_group_id: string } = {
    security_group_id: r.security_group_id,
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: (r.protocol as string | undefined) ?? null,
    port_range_min: min as number | null,
    port_range_max: max as number | null,
    remote_ip_prefix: (r.remote_ip_prefix as string | undefined) ?? null,
    remote_group_id: (r.remote_group_id as string | undefined) ?? null,
  };
  const duplicate = [...os.rules.values()].find((x) =>
    (Object.keys(rule) as (keyof FakeRule)[]).every((k) => x[k] === rule[k]),
  );
  if (duplicate !== undefined) {
    return neutronError(
      res,
      409,
      'SecurityGroupRuleExists',
      `Security group rule already exists. Rule id is ${duplicate.id}.`,
    );
  }
  send(res, 201, { security_group_rule: os.addRule(rule) });
  return true;
}

export function handleNeutron(
  os: FakeOpenStack,
  method: string,
  path: string,
  body: unknown,
  res: ServerResponse,
): boolean {
  if (method === 'GET' && path === '/networks') {
    send(res, 200, {
      networks: os.networks.map((n) => ({
        id: n.id,
        name: n.name,
        status: 'ACTIVE',
        admin_state_up: true,
        subnets: n.subnets.map((s) => s.id),
      })),
    });
    return true;
  }
  if (method === 'GET' && path === '/subnets') {
    send(res, 200, {
      subnets: os.networks.flatMap((n) =>
        n.subnets.map((s) => ({
          id: s.id,
          name: `${n.name}-subnet`,
          network_id: n.id,
          cidr: s.cidr,
          ip_version: s.ipVersion,
          enable_dhcp: true,
        })),
      ),
    });
    return true;
  }
  if (method === 'GET' && path === '/security-groups') {
    send(res, 200, { security_groups: [...os.groups.keys()].map((id) => groupView(os, id)) });
    return true;
  }
  if (method === 'POST' && path === '/security-groups') {
    const g = (body as { security_group?: { name?: unknown; description?: unknown } } | undefined)
      ?.security_group;
    if (typeof g?.name !== 'string') return neutronError(res, 400, 'HTTPBadRequest', 'name is required');
    const id = randomUUID();
    os.groups.set(id, {
      id,
      name: g.name,
      description: typeof g.description === 'string' ? g.description : '',
    });
    // Neutron gives every new group egress rules for IPv4 and IPv6.
    os.addRule({ security_group_id: id, direction: 'egress', ethertype: 'IPv4' });
    os.addRule({ security_group_id: id, direction: 'egress', ethertype: 'IPv6' });
    send(res, 201, { security_group: groupView(os, id) });
    return true;
  }
  if (method === 'POST' && path === '/security-group-rules') return createRule(os, body, res);
  const sg = /^\/security-groups\/([\w-]+)$/.exec(path);
  if (method === 'DELETE' && sg?.[1] !== undefined) {
    const g = os.groups.get(sg[1]);
    if (g === undefined)
      return neutronError(res, 404, 'SecurityGroupNotFound', `Security group ${sg[1]} does not exist`);
    const inUse = [...os.servers.values()].some((s) =>
      (s.body.security_groups as { name: string }[]).some((x) => x.name === g.name),
    );
    if (inUse) return neutronError(res, 409, 'SecurityGroupInUse', `Security Group ${g.id} in use.`);
    os.groups.delete(g.id);
    for (const r of os.rules.values()) if (r.security_group_id === g.id) os.rules.delete(r.id);
    send(res, 204);
    return true;
  }
  const rule = /^\/security-group-rules\/([\w-]+)$/.exec(path);
  if (method === 'DELETE' && rule?.[1] !== undefined) {
    if (!os.rules.delete(rule[1]))
      return neutronError(
        res,
        404,
        'SecurityGroupRuleNotFound',
        `Security group rule ${rule[1]} does not exist`,
      );
    send(res, 204);
    return true;
  }
  return false;
}
