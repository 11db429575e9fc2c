import { createRequire } from 'node:module';
import { keystoneBaseUrl, type OpenStackCredentials } from '../credentials.js';
import { OpenStackApiError } from '../errors.js';
import type * as T from './pkgcloud-types.js';

export type {
  AbsoluteLimits,
  Flavor,
  ServerDetails,
  SecurityGroup,
  SecurityGroupRule,
} from './pkgcloud-types.js';

const pkgcloud = createRequire(import.meta.url)('pkgcloud') as T.PkgcloudModule;

/** pkgcloud's client options for Keystone v3 password auth, as read from the openrc variables. */
function clientOptions(c: OpenStackCredentials): Record<string, unknown> {
  return {
    provider: 'openstack',
    keystoneAuthVersion: 'v3',
    authUrl: keystoneBaseUrl(c.authUrl),
    username: c.username,
    password: c.password,
    region: c.region,
    ...('name' in c.userDomain ? { domainName: c.userDomain.name } : { domainId: c.userDomain.id }),
    ...('name' in c.project ? { tenantName: c.project.name } : { tenantId: c.project.id }),
    ...('name' in c.projectDomain
      ? { projectDomainName: c.projectDomain.name }
      : { projectDomainId: c.projectDomain.id }),
  };
}

/** The message OpenStack put in an error body ({ forbidden: { message } }, { NeutronError: ... }, ...). */
function bodyMessage(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  for (const value of Object.values(result)) {
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { message?: unknown }).message === 'string'
    ) {
      return (value as { message: string }).message;
    }
  }
  return undefined;
}

/** Turns what pkgcloud calls back with into an OpenStackApiError that says what failed and why. */
export function toApiError(what: string, err: unknown, region: string): OpenStackApiError {
  const e = err as T.PkgcloudError;
  if (typeof e?.statusCode === 'number') {
    const detail = bodyMessage(e.result) ?? e.failCode ?? 'error';
    const hint = e.statusCode === 401 ? ' (check OS_USERNAME, OS_PASSWORD, the project and domains)' : '';
    return new OpenStackApiError(`${what}: HTTP ${e.statusCode}: ${detail}${hint}`, e.statusCode, {
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/endpoint/i.test(message)) {
    return new OpenStackApiError(
      `${what}: the service catalog has no public endpoint for it in region '${region}' (OS_REGION_NAME)`,
      undefined,
      { cause: err },
    );
  }
  return new OpenStackApiError(`${what}: ${message}`, undefined, { cause: err });
}

/**
 * The OpenStack calls de2-cloud makes, as promises, through pkgcloud's compute (Nova) and network
 * (Neutron) clients. pkgcloud's own log events carry the auth payload: nothing here listens to them.
 */
export class OpenStackApi {
  private readonly compute: T.ComputeClient;
  private readonly network: T.NetworkClient;
  private readonly region: string;

  constructor(
    credentials: OpenStackCredentials,
    private readonly callTimeoutMs = 120_000,
  ) {
    this.compute = pkgcloud.compute.createClient(clientOptions(credentials));
    this.network = pkgcloud.network.createClient(clientOptions(credentials));
    this.region = credentials.region;
  }

  /** Runs one callback-style pkgcloud call; some of its paths never call back, hence the timeout. */
  private call<R>(what: string, fn: (cb: T.Callback<R>) => void): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new OpenStackApiError(`${what}: no answer within ${this.callTimeoutMs / 1000} s`, undefined),
          ),
        this.callTimeoutMs,
      );
      try {
        fn((err, result) => {
          clearTimeout(timer);
          if (err) reject(toApiError(what, err, this.region));
          else resolve(result as R);
        });
      } catch (e) {
        clearTimeout(timer);
        reject(toApiError(what, e, this.region));
      }
    });
  }

  flavors(): Promise<T.Flavor[]> {
    return this.call('listing flavors', (cb) => this.compute.getFlavors(cb));
  }

  async limits(): Promise<T.AbsoluteLimits> {
    const limits = await this.call<{ absolute?: T.AbsoluteLimits }>('reading quota limits', (cb) =>
      this.compute.getLimits(cb),
    );
    return limits.absolute ?? {};
  }

  images(): Promise<T.Named[]> {
    return this.call('listing images', (cb) => this.compute.getImages(cb));
  }

  async keyPairNames(): Promise<string[]> {
    const keys = await this.call<T.KeyPairEntry[]>('listing key pairs', (cb) => this.compute.listKeys(cb));
    return keys.map((k) => k.keypair?.name ?? k.name ?? '').filter((n) => n !== '');
  }

  networks(): Promise<T.Named[]> {
    return this.call('listing networks', (cb) => this.network.getNetworks(cb));
  }

  subnets(): Promise<T.Subnet[]> {
    return this.call('listing subnets', (cb) => this.network.getSubnets(cb));
  }

  securityGroups(): Promise<T.SecurityGroup[]> {
    return this.call('listing security groups', (cb) => this.network.getSecurityGroups(cb));
  }

  createSecurityGroup(name: string, description: string): Promise<T.SecurityGroup> {
    return this.call(`creating security group '${name}'`, (cb) =>
      this.network.createSecurityGroup({ name, description }, cb),
    );
  }

  createSecurityGroupRule(rule: T.RuleSpec): Promise<T.SecurityGroupRule> {
    return this.call(`adding a rule for port ${rule.portRangeMin} from ${rule.remoteIpPrefix}`, (cb) =>
      this.network.createSecurityGroupRule(rule, cb),
    );
  }

  async deleteSecurityGroup(id: string): Promise<void> {
    await this.call(`deleting security group ${id}`, (cb) => this.network.destroySecurityGroup(id, cb));
  }

  async deleteSecurityGroupRule(id: string): Promise<void> {
    await this.call(`deleting security group rule ${id}`, (cb) =>
      this.network.destroySecurityGroupRule(id, cb),
    );
  }

  async createServer(spec: T.ServerSpec): Promise<string> {
    const server = await this.call<{ id: string }>(`creating VM '${spec.name}'`, (cb) =>
      this.compute.createServer(spec, cb),
    );
    return server.id;
  }

  async server(id: string): Promise<T.ServerDetails> {
    const s = await this.call<{ original: T.ServerDetails }>(`getting VM ${id}`, (cb) =>
      this.compute.getServer(id, cb),
    );
    return s.original;
  }

  async servers(): Promise<T.ServerDetails[]> {
    const list = await this.call<{ original: T.ServerDetails }[]>('listing VMs', (cb) =>
      this.compute.getServers({}, cb),
    );
    return list.map((s) => s.original);
  }

  async deleteServer(id: string): Promise<void> {
    await this.call(`deleting VM ${id}`, (cb) => this.compute.destroyServer(id, cb));
  }
}
