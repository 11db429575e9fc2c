import { expect } from 'chai';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { addWorkers, down, ResourceNotFoundError, status, up, type ClusterState } from '@de2/cloud';
import { validateUserData } from '../src/user-data.js';
import { caught, clusterConfig, harness, type Harness } from './helpers/setup.js';

function decodeUserData(body: Record<string, unknown>): string {
  const server = body.server as { user_data: string };
  return Buffer.from(server.user_data, 'base64').toString('utf8');
}

describe('openstack provider: up, status, add-workers (pkgcloud against a fake OpenStack)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('brings up 1 head + 2 workers with the right request bodies, and records them', async () => {
    const info = await up(clusterConfig(), h.options);

    // Keystone v3 password auth with project scope, as pkgcloud sends it.
    const auth = h.os.bodiesOf('POST', /^\/v3\/auth\/tokens$/);
    expect(auth.length).to.be.greaterThan(0);
    expect(auth[0]).to.have.nested.property('auth.identity.password.user.domain.name', 'snic');
    expect(auth[0]).to.have.nested.property('auth.scope.project.name', 'uppmax-2026-1-1');
    expect(auth[0]).to.have.nested.property('auth.scope.project.domain.id', 'default');
    // Only the public endpoints of the configured region were used.
    expect(h.os.unhandled).to.deep.equal([]);
    expect(h.os.requests.some((r) => /internal-|west-/.test(r.path))).to.equal(false);

    const creates = h.os.bodiesOf('POST', /\/compute\/v2\.1\/servers$/);
    expect(creates).to.have.length(3);
    const [head, w1, w2] = creates.map((b) => b.server as Record<string, unknown>);
    expect(head).to.include({
      name: 'covtype-head',
      flavorRef: 'f-medium',
      imageRef: 'img-2204',
      key_name: 'alice-key',
    });
    expect(w1).to.include({
      name: 'covtype-worker-1',
      flavorRef: 'f-small',
      imageRef: 'img-2204',
      key_name: 'alice-key',
    });
    expect(w2).to.include({ name: 'covtype-worker-2', flavorRef: 'f-small' });
    for (const s of [head, w1, w2]) {
      expect(s?.networks).to.deep.equal([{ uuid: 'net-1' }]);
      expect(s?.security_groups).to.deep.equal([{ name: 'de2-covtype' }]);
      expect(s?.metadata).to.have.property('de2-cluster', 'covtype');
    }

    // user_data is base64 of valid cloud-config; every worker gets byte-identical user data.
    const headUd = decodeUserData(creates[0] as Record<string, unknown>);
    const w1Ud = decodeUserData(creates[1] as Record<string, unknown>);
    expect(validateUserData(headUd)).to.deep.equal([]);
    expect(validateUserData(w1Ud)).to.deep.equal([]);
    expect((creates[1]?.server as { user_data: string }).user_data).to.equal(
      (creates[2]?.server as { user_data: string }).user_data,
    );
    expect(headUd).to.contain('start --head --port 6379 --block --num-cpus 2');
    const headIp = h.os.liveServers().find((s) => s.name === 'covtype-head')?.ip;
    expect(w1Ud).to.contain(`start --address ${headIp}:6379 --block --num-cpus 2`);
    const token = (await readFile(info.tokenPath, 'utf8')).trim();
    const files = (parse(w1Ud) as { write_files: { path: string; content: string; permissions: string }[] })
      .write_files;
    expect(files.find((f) => f.path.endsWith('/.de2/token'))).to.include({
      content: `${token}\n`,
      permissions: '0600',
    });

    // The security group opens 6379 and 22 to the network's CIDR only.
    const rules = h.os
      .bodiesOf('POST', /security-group-rules$/)
      .map((b) => b.security_group_rule as Record<string, unknown>);
    expect(
      rules.map((r) => [r.port_range_min, r.port_range_max, r.remote_ip_prefix, r.protocol, r.direction]),
    ).to.deep.equal([
      [6379, 6379, '127.0.1.0/24', 'tcp', 'ingress'],
      [6380, 6380, '127.0.1.0/24', 'tcp', 'ingress'],
      [22, 22, '127.0.1.0/24', 'tcp', 'ingress'],
    ]);
    expect(JSON.stringify(rules)).not.to.contain('0.0.0.0/0');

    // Result, state file and token file.
    expect(info.head).to.deep.equal({ host: headIp, port: 6379 });
    expect(info.nodes?.filter((n) => n.alive)).to.have.length(3);
    expect(h.joinCalls.at(-1)).to.deep.equal({ host: headIp, port: 6379, tokenPath: info.tokenPath });
    expect((await stat(info.tokenPath)).mode & 0o777).to.equal(0o600);
    const state = JSON.parse(await readFile(info.statePath, 'utf8')) as ClusterState;
    expect(state.vms.map((v) => v.name)).to.deep.equal([
      'covtype-head',
      'covtype-worker-1',
      'covtype-worker-2',
    ]);
    expect(state.securityGroup).to.include({ name: 'de2-covtype', created: true });
    expect(JSON.stringify(state)).not.to.contain(token);
    expect(h.lines.join('\n')).to.match(/covtype-head: BUILD[\s\S]*covtype-head: ACTIVE/);
    expect(h.lines.join('\n')).to.contain('nodes joined: 3/3');
  });

  it('sshFrom opens SSH to that CIDR; the de2 port stays limited to the network', async () => {
    await up(clusterConfig({ workers: 0, sshFrom: '203.0.113.0/24' }), h.options);
    const rules = h.os
      .bodiesOf('POST', /security-group-rules$/)
      .map((b) => b.security_group_rule as Record<string, unknown>);
    expect(rules.map((r) => [r.port_range_min, r.remote_ip_prefix])).to.deep.equal([
      [6379, '127.0.1.0/24'],
      [6380, '127.0.1.0/24'],
      [22, '203.0.113.0/24'],
    ]);
  });

  it('status shows each VM with state and addresses next to its node', async () => {
    await up(clusterConfig({ workers: 1 }), h.options);
    const s = await status(clusterConfig({ workers: 1 }), h.options);
    expect(s.vms.map((v) => [v.name, v.state])).to.deep.equal([
      ['covtype-head', 'ACTIVE'],
      ['covtype-worker-1', 'ACTIVE'],
    ]);
    for (const vm of s.vms) {
      const ip = h.os.liveServers().find((x) => x.name === vm.name)?.ip;
      expect(vm.addresses).to.deep.equal([ip]);
      expect(vm.node).to.deep.include({ nodeId: vm.name, alive: true });
    }
  });

  it('add-workers creates more workers from the running head, numbered after the others', async () => {
    const config = clusterConfig({ workers: 0 });
    const first = await up(config, h.options);
    const info = await addWorkers(config, 2, h.options);
    expect(info.vms.map((v) => v.name)).to.deep.equal([
      'covtype-head',
      'covtype-worker-1',
      'covtype-worker-2',
    ]);
    const creates = h.os
      .bodiesOf('POST', /\/servers$/)
      .map((b) => b.server as { name: string; user_data: string });
    expect(creates.map((c) => c.name)).to.deep.equal([
      'covtype-head',
      'covtype-worker-1',
      'covtype-worker-2',
    ]);
    const ud = Buffer.from(creates[1]?.user_data ?? '', 'base64').toString();
    expect(ud).to.contain(`--address ${first.head.host}:6379`);
    expect(info.nodes?.filter((n) => n.alive)).to.have.length(3);
    // It reuses the existing security group instead of creating another.
    expect(h.os.bodiesOf('POST', /\/security-groups$/)).to.have.length(1);
  });

  it('a missing image fails before anything is created, listing the available images', async () => {
    const error = await caught(up(clusterConfig({ image: 'Ubuntu 20.04' }), h.options));
    expect(error).to.be.instanceOf(ResourceNotFoundError);
    expect((error as ResourceNotFoundError).code).to.equal('RESOURCE_NOT_FOUND');
    expect((error as Error).message).to.contain("image 'Ubuntu 20.04' does not exist");
    expect((error as Error).message).to.contain("'Ubuntu 22.04 - 2024.01', 'Ubuntu 24.04'");
    expect(h.os.bodiesOf('POST', /\/servers$/)).to.have.length(0);
    expect(h.os.bodiesOf('POST', /\/security-groups$/)).to.have.length(0);
    // Nothing to remember: a later up starts from scratch.
    expect((await caught(readFile(join(h.stateDir, 'covtype', 'state.json')))).code).to.equal('ENOENT');
  });

  it('names missing flavor, network and key pair the same way', async () => {
    for (const [override, text] of [
      [
        { worker: { flavor: 'ssc.huge' } },
        "flavor 'ssc.huge' does not exist. Available: 'ssc.medium', 'ssc.small'",
      ],
      [{ network: 'nope' }, "network 'nope' does not exist. Available: 'other-net', 'uppmax-internal'"],
      [{ keyPair: 'bob-key' }, "key pair 'bob-key' does not exist. Available: 'alice-key'"],
    ] as const) {
      const e = await caught(up(clusterConfig(override), h.options));
      expect(e).to.be.instanceOf(ResourceNotFoundError);
      expect((e as Error).message).to.contain(text);
    }
    expect(h.os.servers.size).to.equal(0);
  });

  it('down after up deletes the VMs and the security group it created', async () => {
    await up(clusterConfig(), h.options);
    const result = await down(clusterConfig(), h.options);
    expect(result.deleted).to.include.members([
      'covtype-head',
      'covtype-worker-1',
      'covtype-worker-2',
      'security group de2-covtype',
    ]);
    expect(h.os.servers.size).to.equal(0);
    expect([...h.os.groups.values()].map((g) => g.name)).to.deep.equal(['default']);
  });
});
