// An OpenStack API server on 127.0.0.1 (port 0) implementing what de2-cloud uses of Keystone v3,
// Nova and Neutron, per the OpenStack API reference, so that the real pkgcloud client talks to it.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleNeutron } from './fake-neutron.js';
import { handleNova } from './fake-nova.js';

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface FakeServer {
  id: string;
  name: string;
  status: 'BUILD' | 'ACTIVE' | 'ERROR';
  body: Record<string, unknown>;
  ip: string;
  polls: number;
  deleting: boolean;
  deletePolls: number;
}

export interface FakeRule {
  id: string;
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}

export interface FakeGroup {
  id: string;
  name: string;
  description: string;
}

export interface FakeOptions {
  /** GETs a new server answers BUILD to before ACTIVE. @default 1 */
  buildPolls?: number;
  /** GETs a deleted server still answers to before 404. @default 1 */
  deletePolls?: number;
  /** Instance quota: creating one more answers 403 "Quota exceeded". @default 100 */
  maxServers?: number;
  /** Core quota, shown in GET /limits (not enforced at create). @default 200 */
  maxCores?: number;
  /**
   * false: GET /limits shows the quota as unlimited while create still enforces it, as when
   * someone else in the project takes the last instances between check and create. @default true
   */
  limitsShowQuota?: boolean;
  /** Servers whose name matches go to ERROR instead of ACTIVE. */
  errorNames?: RegExp;
  /** DELETE of a server answers 500 while set. */
  failDeletes?: boolean;
  /** Called when a server becomes ACTIVE ("boots"), and when it is deleted. */
  onActive?: (server: FakeServer) => void;
  onDelete?: (server: FakeServer) => void;
}

export const CREDENTIALS = {
  username: 'alice',
  password: 'p4ss-w0rd-secret',
  project: 'uppmax-2026-1-1',
  projectId: 'c0ffee00c0ffee00c0ffee00c0ffee00',
  userDomain: 'snic',
  projectDomain: 'default',
  region: 'EAST-1',
};

export class FakeOpenStack {
  readonly requests: RecordedRequest[] = [];
  readonly unhandled: string[] = [];
  readonly tokens = new Set<string>();
  readonly servers = new Map<string, FakeServer>();
  readonly groups = new Map<string, FakeGroup>();
  readonly rules = new Map<string, FakeRule>();
  readonly flavors = [
    { id: 'f-small', name: 'ssc.small', vcpus: 1, ram: 2048 },
    { id: 'f-medium', name: 'ssc.medium', vcpus: 2, ram: 4096 },
  ];
  readonly images = [
    { id: 'img-2204', name: 'Ubuntu 22.04 - 2024.01' },
    { id: 'img-2404', name: 'Ubuntu 24.04' },
  ];
  readonly keypairs = ['alice-key'];
  readonly networks = [
    {
      id: 'net-1',
      name: 'uppmax-internal',
      subnets: [{ id: 'sub-1', cidr: '127.0.1.0/24', ipVersion: 4 }],
    },
    { id: 'net-2', name: 'other-net', subnets: [{ id: 'sub-2', cidr: '10.9.0.0/16', ipVersion: 4 }] },
  ];
  nextIp = 10;
  private http: Server | undefined;
  url = '';

  constructor(readonly options: FakeOptions = {}) {
    const id = randomUUID();
    this.groups.set(id, { id, name: 'default', description: 'Default security group' });
    this.addRule({ security_group_id: id, direction: 'ingress', remote_group_id: id });
  }

  addRule(partial: Partial<FakeRule> & { security_group_id: string }): FakeRule {
    const rule: FakeRule = {
      id: randomUUID(),
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: null,
      port_range_min: null,
      port_range_max: null,
      remote_ip_prefix: null,
      remote_group_id: null,
      ...partial,
    };
    this.rules.set(rule.id, rule);
    return rule;
  }

  /** The OS_* variables an SSC openrc file would export for this cloud. */
  env(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      OS_AUTH_URL: `${this.url}/v3`,
      OS_USERNAME: CREDENTIALS.username,
      OS_PASSWORD: CREDENTIALS.password,
      OS_PROJECT_NAME: CREDENTIALS.project,
      OS_USER_DOMAIN_NAME: CREDENTIALS.userDomain,
      OS_PROJECT_DOMAIN_ID: CREDENTIALS.projectDomain,
      OS_REGION_NAME: CREDENTIALS.region,
      OS_IDENTITY_API_VERSION: '3',
      OS_INTERFACE: 'public',
      ...overrides,
    };
  }

  liveServers(): FakeServer[] {
    return [...this.servers.values()];
  }

  bodiesOf(method: string, path: RegExp): Record<string, unknown>[] {
    return this.requests
      .filter((r) => r.method === method && path.test(r.path))
      .map((r) => r.body as Record<string, unknown>);
  }

  async start(): Promise<void> {
    this.http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          return send(res, 400, { badRequest: { message: 'Malformed request body', code: 400 } });
        }
        this.route(req, res, body);
      });
    });
    await new Promise<void>((resolve) => this.http?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.http?.close(() => resolve()) ?? resolve());
  }

  private route(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, body });
    if (method === 'POST' && url.pathname === '/v3/auth/tokens') return this.auth(res, body);
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || !this.tokens.has(token)) {
      return send(res, 401, {
        error: {
          code: 401,
          title: 'Unauthorized',
          message: 'The request you have made requires authentication.',
        },
      });
    }
    const compute = /^\/compute\/v2\.1(\/.*)$/.exec(url.pathname);
    if (compute?.[1] !== undefined && handleNova(this, method, compute[1], body, res)) return;
    const network = /^\/network\/v2\.0(\/.*)$/.exec(url.pathname);
    if (network?.[1] !== undefined && handleNeutron(this, method, network[1], body, res)) return;
    this.unhandled.push(`${method} ${url.pathname}`);
    send(res, 404, { itemNotFound: { code: 404, message: `no route for ${method} ${url.pathname}` } });
  }

  /** Keystone v3 password authentication with a project scope. */
  private auth(res: ServerResponse, body: unknown): void {
    type Ref = { id?: string; name?: string; domain?: { id?: string; name?: string } };
    interface AuthBody {
      identity?: { methods?: unknown; password?: { user?: Ref & { password?: string } } };
      scope?: { project?: Ref };
    }
    const auth = (body as { auth?: AuthBody } | undefined)?.auth;
    const user = auth?.identity?.password?.user;
    const project = auth?.scope?.project;
    const methods = auth?.identity?.methods;
    const ok =
      Array.isArray(methods) &&
      methods.includes('password') &&
      user?.name === CREDENTIALS.username &&
      user?.password === CREDENTIALS.password &&
      user?.domain?.name === CREDENTIALS.userDomain &&
      (project?.name === CREDENTIALS.project || project?.id === CREDENTIALS.projectId) &&
      (project?.domain?.id === CREDENTIALS.projectDomain ||
        project?.domain?.name === CREDENTIALS.projectDomain);
    if (!ok) {
      return send(res, 401, {
        error: {
          code: 401,
          title: 'Unauthorized',
          message: 'The request you have made requires authentication.',
        },
      });
    }
    const token = `gAAAAA${randomUUID().replace(/-/g, '')}`;
    this.tokens.add(token);
    const endpoint = (type: string, path: string) => [
      {
        id: randomUUID(),
        interface: 'public',
        region: CREDENTIALS.region,
        region_id: CREDENTIALS.region,
        url: `${this.url}${path}`,
      },
      // Wrong interface and wrong region: a client that picks these fails loudly.
      {
        id: randomUUID(),
        interface: 'internal',
        region: CREDENTIALS.region,
        region_id: CREDENTIALS.region,
        url: `${this.url}/internal-${type}`,
      },
      {
        id: randomUUID(),
        interface: 'public',
        region: 'WEST-1',
        region_id: 'WEST-1',
        url: `${this.url}/west-${type}`,
      },
    ];
    const now = Date.now();
    res.setHeader('X-Subject-Token', token);
    send(res, 201, {
      token: {
        methods: ['password'],
        user: {
          id: 'u-1',
          name: CREDENTIALS.username,
          domain: { id: 'd-snic', name: CREDENTIALS.userDomain },
        },
        project: {
          id: CREDENTIALS.projectId,
          name: CREDENTIALS.project,
          domain: { id: CREDENTIALS.projectDomain, name: 'Default' },
        },
        expires_at: new Date(now + 3600_000).toISOString(),
        issued_at: new Date(now).toISOString(),
        roles: [{ id: 'r-1', name: 'member' }],
        catalog: [
          { id: 's-id', type: 'identity', name: 'keystone', endpoints: endpoint('identity', '/v3') },
          { id: 's-nova', type: 'compute', name: 'nova', endpoints: endpoint('compute', '/compute/v2.1') },
          { id: 's-neutron', type: 'network', name: 'neutron', endpoints: endpoint('network', '/network') },
        ],
      },
    });
  }
}

export function send(res: ServerResponse, status: number, body?: unknown): void {
  res.statusCode = status;
  if (body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}
