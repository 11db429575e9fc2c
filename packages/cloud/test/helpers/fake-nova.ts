// Nova (compute v2.1) routes of the fake OpenStack: flavors, images, key pairs and servers.
// VM addresses are on loopback (127.0.1.0/24) so that a real join check is refused at once.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { send, type FakeOpenStack, type FakeServer } from './fake-openstack.js';

function badRequest(res: ServerResponse, message: string): true {
  send(res, 400, { badRequest: { code: 400, message } });
  return true;
}

function notFound(res: ServerResponse, id: string): true {
  send(res, 404, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
  return true;
}

function isBase64(s: unknown): s is string {
  return typeof s === 'string' && s.length > 0 && Buffer.from(s, 'base64').toString('base64') === s;
}

function view(os: FakeOpenStack, s: FakeServer): Record<string, unknown> {
  const server = s.body;
  const network = os.networks.find((n) => n.id === (server.networks as { uuid: string }[])[0]?.uuid);
  return {
    id: s.id,
    name: s.name,
    status: s.deleting ? 'ACTIVE' : s.status,
    metadata: server.metadata ?? {},
    key_name: server.key_name,
    flavor: { id: server.flavorRef },
    image: { id: server.imageRef },
    security_groups: server.security_groups,
    addresses:
      s.status === 'BUILD' || network === undefined
        ? {}
        : {
            [network.name]: [
              {
                addr: s.ip,
                version: 4,
                'OS-EXT-IPS:type': 'fixed',
                'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01',
              },
            ],
          },
    ...(s.status === 'ERROR'
      ? { fault: { code: 500, message: 'No valid host was found. There are not enough hosts available.' } }
      : {}),
  };
}

/** POST /servers: validates the body the way Nova does for the fields de2-cloud sends. */
function createServer(os: FakeOpenStack, body: unknown, res: ServerResponse): true {
  const server = (body as { server?: Record<string, unknown> } | undefined)?.server;
  if (server === undefined) return badRequest(res, "Invalid input: 'server' is a required property");
  if (typeof server.name !== 'string' || server.name === '') return badRequest(res, 'Invalid input: name');
  if (!os.flavors.some((f) => f.id === server.flavorRef))
    return badRequest(res, `Flavor ${String(server.flavorRef)} could not be found.`);
  if (!os.images.some((i) => i.id === server.imageRef))
    return badRequest(res, `Image ${String(server.imageRef)} could not be found.`);
  const networks = server.networks as { uuid?: string }[] | undefined;
  if (
    !Array.isArray(networks) ||
    networks.length !== 1 ||
    !os.networks.some((n) => n.id === networks[0]?.uuid)
  ) {
    return badRequest(res, 'Network could not be found.');
  }
  if (!os.keypairs.includes(server.key_name as string)) return badRequest(res, `Invalid key_name provided.`);
  const groups = server.security_groups as { name?: string }[] | undefined;
  const names = new Set([...os.groups.values()].map((g) => g.name));
  if (!Array.isArray(groups) || !groups.every((g) => names.has(g.name ?? ''))) {
    return badRequest(res, 'Security group not found.');
  }
  if (!isBase64(server.user_data)) return badRequest(res, 'User data needs to be valid base 64.');
  if (server.user_data.length > 65535) return badRequest(res, 'User data too large.');
  const max = os.options.maxServers ?? 100;
  const used = os.servers.size;
  if (used >= max) {
    send(res, 403, {
      forbidden: {
        code: 403,
        message: `Quota exceeded for instances: Requested 1, but already used ${used} of ${max} instances`,
      },
    });
    return true;
  }
  const id = randomUUID();
  os.servers.set(id, {
    id,
    name: server.name,
    status: 'BUILD',
    body: server,
    ip: `127.0.1.${os.nextIp++}`,
    polls: 0,
    deleting: false,
    deletePolls: 0,
  });
  send(res, 202, {
    server: {
      id,
      links: [],
      adminPass: 'generated-admin-pass',
      'OS-DCF:diskConfig': 'MANUAL',
      security_groups: groups,
    },
  });
  return true;
}

/** One GET of a server: BUILD turns ACTIVE (or ERROR) after `buildPolls`; a deleted one vanishes. */
function poll(os: FakeOpenStack, s: FakeServer): boolean {
  if (s.deleting) {
    if (s.deletePolls-- <= 0) {
      os.servers.delete(s.id);
      return false;
    }
    return true;
  }
  if (s.status === 'BUILD' && s.polls++ >= (os.options.buildPolls ?? 1)) {
    s.status = os.options.errorNames?.test(s.name) ? 'ERROR' : 'ACTIVE';
    if (s.status === 'ACTIVE') os.options.onActive?.(s);
  }
  return true;
}

export function handleNova(
  os: FakeOpenStack,
  method: string,
  path: string,
  body: unknown,
  res: ServerResponse,
): boolean {
  if (method === 'GET' && path === '/flavors/detail') {
    send(res, 200, { flavors: os.flavors.map((f) => ({ ...f, disk: 20, links: [] })) });
    return true;
  }
  if (method === 'GET' && path === '/limits') {
    const shown = os.options.limitsShowQuota ?? true;
    const servers = [...os.servers.values()];
    const flavorOf = (s: FakeServer) => os.flavors.find((f) => f.id === s.body.flavorRef);
    send(res, 200, {
      limits: {
        rate: [],
        absolute: {
          maxTotalInstances: shown ? (os.options.maxServers ?? 100) : -1,
          totalInstancesUsed: servers.length,
          maxTotalCores: shown ? (os.options.maxCores ?? 200) : -1,
          totalCoresUsed: servers.reduce((n, s) => n + (flavorOf(s)?.vcpus ?? 0), 0),
          maxTotalRAMSize: -1,
          totalRAMUsed: servers.reduce((n, s) => n + (flavorOf(s)?.ram ?? 0), 0),
        },
      },
    });
    return true;
  }
  if (method === 'GET' && path === '/images/detail') {
    send(res, 200, { images: os.images.map((i) => ({ ...i, status: 'ACTIVE', links: [] })) });
    return true;
  }
  if (method === 'GET' && path === '/os-keypairs') {
    send(res, 200, {
      keypairs: os.keypairs.map((name) => ({
        keypair: { name, fingerprint: 'aa:bb', public_key: 'ssh-ed25519 AAAA' },
      })),
    });
    return true;
  }
  if (method === 'POST' && path === '/servers') return createServer(os, body, res);
  if (method === 'GET' && path === '/servers/detail') {
    const list = [...os.servers.values()].filter((s) => !s.deleting).map((s) => view(os, s));
    send(res, 200, { servers: list });
    return true;
  }
  const m = /^\/servers\/([\w-]+)$/.exec(path);
  if (m?.[1] === undefined) return false;
  const s = os.servers.get(m[1]);
  if (method === 'GET') {
    if (s === undefined || !poll(os, s)) return notFound(res, m[1]);
    send(res, 200, { server: view(os, s) });
    return true;
  }
  if (method === 'DELETE') {
    if (s === undefined) return notFound(res, m[1]);
    if (os.options.failDeletes === true) {
      send(res, 500, { computeFault: { code: 500, message: 'Unexpected API Error.' } });
      return true;
    }
    s.deleting = true;
    os.options.onDelete?.(s);
    s.deletePolls = os.options.deletePolls ?? 1;
    if (s.deletePolls === 0) os.servers.delete(s.id);
    send(res, 204);
    return true;
  }
  return false;
}
