import { checkAborted } from '../abort.js';
import type { OpenStackClusterConfig } from '../config.js';
import type { OpenStackCredentials } from '../credentials.js';
import { ProvisionError, QuotaExceededError, ResourceNotFoundError } from '../errors.js';
import type { DestroyResult, Provider, ProviderContext, VmStatus } from '../provider.js';
import type { VmRecord } from '../state.js';
import { renderUserData, validateUserData } from '../user-data.js';
import { OpenStackApi, type Flavor } from './api.js';
import { addNeeds, needOf, quotaShortfalls, type QuotaNeed } from './quota.js';
import { ensureSecurityGroup, groupDescription } from './security-group.js';
import {
  allAddresses,
  deleteGroupWhenFree,
  deleteServerAndWait,
  isNotFound,
  privateIpv4,
  waitActive,
} from './servers.js';

/** The ids behind the names in cluster.yaml. */
export interface ResolvedResources {
  headFlavor: string;
  workerFlavor: string;
  /** vCPUs and RAM (MiB) of the head and worker flavors, for the quota check. */
  sizes: { head: Pick<Flavor, 'vcpus' | 'ram'>; worker: Pick<Flavor, 'vcpus' | 'ram'> };
  image: string;
  network: { id: string; name: string };
  cidrs: string[];
}

const META_CLUSTER = 'de2-cluster';
const META_ROLE = 'de2-role';

function pick<T extends { id: string; name: string }>(
  kind: ResourceNotFoundError['kind'],
  wanted: string,
  list: T[],
): T {
  const found = list.find((x) => x.name === wanted) ?? list.find((x) => x.id === wanted);
  if (found === undefined) {
    throw new ResourceNotFoundError(kind, wanted, [...new Set(list.map((x) => x.name))].sort());
  }
  return found;
}

function openstackConfig(ctx: ProviderContext): OpenStackClusterConfig {
  if (ctx.config.provider !== 'openstack')
    throw new TypeError('the openstack provider needs provider: openstack');
  return ctx.config;
}

/** OpenStack (SSC) VMs through pkgcloud's Nova and Neutron clients. */
export class OpenStackProvider implements Provider {
  readonly name = 'openstack';
  private readonly api: OpenStackApi;

  constructor(credentials: OpenStackCredentials) {
    this.api = new OpenStackApi(credentials);
  }

  /** Checks that the flavors, image, network and key pair exist; creates nothing. */
  async resolve(config: OpenStackClusterConfig): Promise<ResolvedResources> {
    const [flavors, images, keyPairs, networks, subnets] = await Promise.all([
      this.api.flavors(),
      this.api.images(),
      this.api.keyPairNames(),
      this.api.networks(),
      this.api.subnets(),
    ]);
    const head = pick('flavor', config.head.flavor, flavors);
    const worker = pick('flavor', config.worker.flavor, flavors);
    const image = pick('image', config.image, images).id;
    const network = pick('network', config.network, networks);
    if (!keyPairs.includes(config.keyPair))
      throw new ResourceNotFoundError('key pair', config.keyPair, keyPairs.sort());
    const cidrs = subnets
      .filter((s) => s.networkId === network.id && Number(s.ipVersion) === 4)
      .map((s) => s.cidr);
    if (cidrs.length === 0) {
      throw new ProvisionError(
        `network '${network.name}' has no IPv4 subnet: the de2 port could not be limited to it`,
      );
    }
    return {
      headFlavor: head.id,
      workerFlavor: worker.id,
      sizes: { head, worker },
      image,
      network: { id: network.id, name: network.name },
      cidrs,
    };
  }

  /**
   * Fails before anything is created when the project's quota cannot fit the new VMs (a 403
   * from Nova half-way would mean creating and deleting VMs for nothing). Clouds that do not
   * show their limits are not checked here; Nova still refuses at create time.
   */
  private async checkQuota(ctx: ProviderContext, need: QuotaNeed): Promise<void> {
    let limits;
    try {
      limits = await this.api.limits();
    } catch (e) {
      ctx.log(`(quota not checked: ${(e as Error).message})`);
      return;
    }
    const short = quotaShortfalls(limits, need);
    if (short.length > 0) throw new QuotaExceededError(short);
  }

  async create(ctx: ProviderContext): Promise<void> {
    const config = openstackConfig(ctx);
    ctx.log(
      `checking flavors, image, network and key pair in region ${ctx.options.env.OS_REGION_NAME ?? ''}`,
    );
    const r = await this.resolve(config);
    ctx.log(`network '${r.network.name}': ${r.cidrs.join(', ')}`);
    await this.checkQuota(ctx, addNeeds(needOf(r.sizes.head, 1), needOf(r.sizes.worker, config.workers)));
    await ensureSecurityGroup(this.api, ctx, config.securityGroup, config.port, r.cidrs, config.sshFrom);
    const userData = (role: 'head' | 'worker', headAddress?: string) =>
      renderUserData({
        cluster: config.name,
        role,
        port: config.port,
        ...(headAddress === undefined ? {} : { headAddress }),
        install: config.de2,
        node: config.node,
        token: ctx.token,
      });
    checkAborted(ctx.options.signal);
    const head = await this.createVm(ctx, r, `${config.name}-head`, 'head', userData('head'));
    ctx.log('waiting for the head to become ACTIVE');
    const active = await waitActive(this.api, ctx, [head], r.network.name);
    const headServer = active.get(head.name);
    const headIp = headServer === undefined ? undefined : privateIpv4(headServer, r.network.name);
    if (headIp === undefined)
      throw new ProvisionError(`the head VM has no IPv4 address on '${r.network.name}'`);
    head.privateIp = headIp;
    ctx.state.head = { host: headIp, port: config.port };
    await ctx.save();
    await this.createWorkers(ctx, r, config.workers, userData('worker', headIp));
  }

  async addWorkers(ctx: ProviderContext, count: number): Promise<void> {
    const config = openstackConfig(ctx);
    const head = ctx.state.head;
    if (head === undefined) throw new ProvisionError('the state records no head: run de2-cloud up first');
    const r = await this.resolve(config);
    await this.checkQuota(ctx, needOf(r.sizes.worker, count));
    const userData = renderUserData({
      cluster: config.name,
      role: 'worker',
      port: head.port,
      headAddress: head.host,
      install: config.de2,
      node: config.node,
      token: ctx.token,
    });
    await this.createWorkers(ctx, r, count, userData);
  }

  private async createWorkers(ctx: ProviderContext, r: ResolvedResources, count: number, userData: string) {
    if (count === 0) return;
    const taken = ctx.state.vms
      .map((v) => /-worker-(\d+)$/.exec(v.name)?.[1])
      .map(Number)
      .filter((n) => n > 0);
    const first = Math.max(0, ...taken) + 1;
    const created: VmRecord[] = [];
    for (let i = first; i < first + count; i++) {
      checkAborted(ctx.options.signal);
      created.push(await this.createVm(ctx, r, `${ctx.config.name}-worker-${i}`, 'worker', userData));
    }
    ctx.log(`waiting for ${count} worker${count === 1 ? '' : 's'} to become ACTIVE`);
    const active = await waitActive(this.api, ctx, created, r.network.name);
    for (const vm of created) {
      const server = active.get(vm.name);
      const ip = server === undefined ? undefined : privateIpv4(server, r.network.name);
      if (ip !== undefined) vm.privateIp = ip;
    }
    await ctx.save();
  }

  private async createVm(
    ctx: ProviderContext,
    r: ResolvedResources,
    name: string,
    role: 'head' | 'worker',
    userData: string,
  ) {
    const problems = validateUserData(userData);
    if (problems.length > 0)
      throw new ProvisionError(`generated user data is not valid: ${problems.join('; ')}`);
    const config = openstackConfig(ctx);
    ctx.log(
      `creating VM ${name} (${role === 'head' ? config.head.flavor : config.worker.flavor}, ${config.image})`,
    );
    const id = await this.api.createServer({
      name,
      flavor: role === 'head' ? r.headFlavor : r.workerFlavor,
      image: r.image,
      networks: [{ uuid: r.network.id }],
      keyname: config.keyPair,
      securityGroups: [{ name: config.securityGroup }],
      cloudConfig: Buffer.from(userData, 'utf8').toString('base64'),
      metadata: { [META_CLUSTER]: config.name, [META_ROLE]: role },
    });
    const vm: VmRecord = { name, role, id };
    ctx.state.vms.push(vm);
    await ctx.save();
    return vm;
  }

  async describe(ctx: ProviderContext): Promise<VmStatus[]> {
    return Promise.all(
      ctx.state.vms.map(async (vm): Promise<VmStatus> => {
        const base = { name: vm.name, role: vm.role, ...(vm.id === undefined ? {} : { id: vm.id }) };
        if (vm.id === undefined) return { ...base, state: 'UNKNOWN', addresses: [] };
        try {
          const s = await this.api.server(vm.id);
          return { ...base, state: s.status.toUpperCase(), addresses: allAddresses(s) };
        } catch (e) {
          if (isNotFound(e)) return { ...base, state: 'MISSING', addresses: [] };
          throw e;
        }
      }),
    );
  }

  async destroy(ctx: ProviderContext, vms?: readonly VmRecord[]): Promise<DestroyResult> {
    const result: DestroyResult = { deleted: [], failed: [] };
    const targets: VmRecord[] = [...(vms ?? ctx.state.vms)];
    if (vms === undefined) {
      // Also VMs tagged with this cluster that the state lost (a crash between create and save).
      const known = new Set(targets.map((v) => v.id));
      for (const s of await this.api.servers()) {
        if (s.metadata?.[META_CLUSTER] === ctx.config.name && !known.has(s.id)) {
          targets.push({
            name: s.name,
            role: s.metadata?.[META_ROLE] === 'head' ? 'head' : 'worker',
            id: s.id,
          });
        }
      }
    }
    await Promise.all(
      targets.map(async (vm) => {
        try {
          if (vm.id !== undefined) {
            ctx.log(`deleting VM ${vm.name}`);
            await deleteServerAndWait(this.api, ctx, vm.id);
          }
          result.deleted.push(vm.name);
          const i = ctx.state.vms.findIndex((v) => v.name === vm.name);
          if (i >= 0) ctx.state.vms.splice(i, 1);
        } catch (e) {
          result.failed.push(`VM ${vm.name}: ${(e as Error).message}`);
        }
      }),
    );
    await ctx.save();
    // A group still used by a VM that could not be deleted cannot go either: keep it for the next down.
    if (vms === undefined && result.failed.length === 0) await this.destroyGroup(ctx, result);
    return result;
  }

  private async destroyGroup(ctx: ProviderContext, result: DestroyResult): Promise<void> {
    const config = openstackConfig(ctx);
    let sg = ctx.state.securityGroup;
    if (sg === undefined) {
      // No state: delete the group only if its description says that de2-cloud created it for this cluster.
      const mine = (await this.api.securityGroups()).find(
        (g) => g.name === config.securityGroup && g.description === groupDescription(config.name),
      );
      if (mine !== undefined) sg = { id: mine.id, name: mine.name, created: true, addedRuleIds: [] };
    }
    if (sg === undefined) return;
    try {
      if (sg.created) {
        ctx.log(`deleting security group '${sg.name}'`);
        await deleteGroupWhenFree(this.api, ctx, sg.id);
        result.deleted.push(`security group ${sg.name}`);
      } else {
        for (const ruleId of sg.addedRuleIds) {
          try {
            await this.api.deleteSecurityGroupRule(ruleId);
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
        }
        if (sg.addedRuleIds.length > 0)
          result.deleted.push(`${sg.addedRuleIds.length} rule(s) added to '${sg.name}'`);
      }
      delete ctx.state.securityGroup;
      await ctx.save();
    } catch (e) {
      result.failed.push(`security group ${sg.name}: ${(e as Error).message}`);
    }
  }
}
