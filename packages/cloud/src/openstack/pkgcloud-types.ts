// The part of pkgcloud 2.2's OpenStack clients that de2-cloud uses (it ships no types), read from
// node_modules/pkgcloud/lib/pkgcloud/openstack/{compute,network}/client/*.js.

export type Callback<R> = (err: unknown, result?: R) => void;

/** What pkgcloud calls back with when OpenStack answered with an error status. */
export interface PkgcloudError {
  statusCode?: number;
  failCode?: string;
  /** The parsed error body, e.g. { forbidden: { message, code } }. */
  result?: unknown;
}

export interface Named {
  id: string;
  name: string;
}

export interface Flavor extends Named {
  vcpus?: number;
  /** MiB */
  ram?: number;
}

/** Nova's absolute limits (GET /limits); -1 means unlimited. */
export interface AbsoluteLimits {
  maxTotalInstances?: number;
  totalInstancesUsed?: number;
  maxTotalCores?: number;
  totalCoresUsed?: number;
  maxTotalRAMSize?: number;
  totalRAMUsed?: number;
}

export interface KeyPairEntry {
  keypair?: { name?: string };
  name?: string;
}

export interface Subnet {
  id: string;
  networkId: string;
  cidr: string;
  ipVersion: number;
}

export interface SecurityGroupRule {
  id: string;
  direction?: string;
  ethertype?: string;
  protocol?: string | null;
  port_range_min?: number | null;
  port_range_max?: number | null;
  remote_ip_prefix?: string | null;
  remote_group_id?: string | null;
}

export interface SecurityGroup {
  id: string;
  name: string;
  description?: string;
  /** Raw Neutron rules, as the group listing returns them. */
  securityGroupRules?: SecurityGroupRule[];
}

export interface RuleSpec {
  securityGroupId: string;
  direction: 'ingress';
  ethertype: 'IPv4';
  protocol: 'tcp';
  portRangeMin: number;
  portRangeMax: number;
  remoteIpPrefix: string;
}

/** pkgcloud's createServer details: it maps them to flavorRef, imageRef, key_name, ... */
export interface ServerSpec {
  name: string;
  flavor: string;
  image: string;
  networks: { uuid: string }[];
  keyname: string;
  securityGroups: { name: string }[];
  /** Sent as user_data as is: Nova wants base64, so this is base64 already. */
  cloudConfig: string;
  metadata: Record<string, string>;
}

/** A Nova server as GET /servers/{id} returns it. */
export interface ServerDetails {
  id: string;
  name: string;
  status: string;
  metadata?: Record<string, string>;
  addresses?: Record<string, { addr: string; version?: number; 'OS-EXT-IPS:type'?: string }[]>;
  fault?: { message?: string; code?: number };
}

export interface ComputeClient {
  getFlavors(cb: Callback<Flavor[]>): void;
  getLimits(cb: Callback<{ absolute?: AbsoluteLimits }>): void;
  getImages(cb: Callback<Named[]>): void;
  listKeys(cb: Callback<KeyPairEntry[]>): void;
  createServer(spec: ServerSpec, cb: Callback<{ id: string }>): void;
  getServer(id: string, cb: Callback<{ original: ServerDetails }>): void;
  getServers(options: object, cb: Callback<{ original: ServerDetails }[]>): void;
  destroyServer(id: string, cb: Callback<unknown>): void;
}

export interface NetworkClient {
  getNetworks(cb: Callback<Named[]>): void;
  getSubnets(cb: Callback<Subnet[]>): void;
  getSecurityGroups(cb: Callback<SecurityGroup[]>): void;
  createSecurityGroup(spec: { name: string; description: string }, cb: Callback<SecurityGroup>): void;
  destroySecurityGroup(id: string, cb: Callback<unknown>): void;
  createSecurityGroupRule(spec: RuleSpec, cb: Callback<SecurityGroupRule>): void;
  destroySecurityGroupRule(id: string, cb: Callback<unknown>): void;
}

export interface PkgcloudModule {
  compute: { createClient(options: Record<string, unknown>): ComputeClient };
  network: { createClient(options: Record<string, unknown>): NetworkClient };
}
