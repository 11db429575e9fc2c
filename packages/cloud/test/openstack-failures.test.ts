import { expect } from 'chai';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  addWorkers,
  ClusterExistsError,
  CredentialsError,
  down,
  OpenStackApiError,
  ProvisionError,
  QuotaExceededError,
  status,
  UnsafeSecurityGroupError,
  up,
} from '@de2/cloud';
import { CREDENTIALS } from './helpers/fake-openstack.js';
import { caught, clusterConfig, harness, type Harness } from './helpers/setup.js';

describe('openstack provider: failures clean up and say why', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function expectNothingLeft(x: Harness): Promise<void> {
    expect(x.os.servers.size, 'servers left').to.equal(0);
    expect(
      [...x.os.groups.values()].map((g) => g.name),
      'groups left',
    ).to.deep.equal(['default']);
    expect((await caught(readFile(join(x.stateDir, 'covtype', 'state.json')))).code).to.equal('ENOENT');
  }

  it('quota exceeded mid-way: deletes the head and the first worker, and the security group', async () => {
    h = await harness({ maxServers: 2, limitsShowQuota: false });
    const e = await caught(up(clusterConfig(), h.options));
    expect(e).to.be.instanceOf(ProvisionError);
    expect(e.code).to.equal('PROVISION_FAILED');
    expect(e.message).to.contain('Quota exceeded for instances');
    expect(e.message).to.contain('HTTP 403');
    expect(e.message).to.contain('Everything it had created was deleted');
    expect((e as ProvisionError).leftBehind).to.deep.equal([]);
    expect(h.os.bodiesOf('POST', /\/servers$/)).to.have.length(3);
    expect(h.os.requests.filter((r) => r.method === 'DELETE' && /\/servers\//.test(r.path))).to.have.length(
      2,
    );
    await expectNothingLeft(h);
    expect(h.lines.join('\n')).to.contain('deleting VM covtype-head');
  });

  it('a quota too small for the cluster fails before anything is created, naming what is short', async () => {
    h = await harness({ maxServers: 2, maxCores: 3 });
    const e = await caught(up(clusterConfig(), h.options)); // medium head (2 cores) + 2 small workers
    expect(e).to.be.instanceOf(QuotaExceededError);
    expect(e.code).to.equal('QUOTA_EXCEEDED');
    expect((e as QuotaExceededError).shortfalls).to.deep.equal([
      'instances: needs 3, 2 of 2 free',
      'cores: needs 4, 3 of 3 free',
    ]);
    expect(h.os.bodiesOf('POST', /\/servers$/)).to.have.length(0);
    await expectNothingLeft(h);
  });

  it('add-workers checks the quota left by the running cluster', async () => {
    h = await harness({ maxServers: 3 });
    await up(clusterConfig({ workers: 1 }), h.options);
    const e = await caught(addWorkers(clusterConfig({ workers: 1 }), 2, h.options));
    expect(e).to.be.instanceOf(QuotaExceededError);
    expect(e.message).to.contain('instances: needs 2, 1 of 3 free');
    expect(h.os.bodiesOf('POST', /\/servers$/)).to.have.length(2);
  });

  it("a VM in ERROR: reports Nova's fault and deletes everything", async () => {
    h = await harness({ errorNames: /worker-2$/ });
    const e = await caught(up(clusterConfig(), h.options));
    expect(e).to.be.instanceOf(ProvisionError);
    expect(e.message).to.contain('VM covtype-worker-2 went into ERROR: No valid host was found');
    await expectNothingLeft(h);
  });

  it('a VM that never becomes ACTIVE times out and is deleted', async () => {
    h = await harness({ buildPolls: 1e9 });
    const e = await caught(up(clusterConfig(), { ...h.options, activeTimeoutMs: 50 }));
    expect(e).to.be.instanceOf(ProvisionError);
    expect(e.message).to.match(/timed out after 0 s waiting for ACTIVE: covtype-head \(BUILD\)/);
    await expectNothingLeft(h);
  });

  it('nodes that never join: times out, says how many joined, and deletes the VMs', async () => {
    h = await harness();
    const onlyHead = async () => ({ nodes: [{ nodeId: 'n1', address: '127.0.1.10:6379', alive: true }] });
    const e = await caught(up(clusterConfig(), { ...h.options, joinCheck: onlyHead, joinTimeoutMs: 50 }));
    expect(e).to.be.instanceOf(ProvisionError);
    expect(e.message).to.contain('only 1 of 3 nodes joined');
    expect((e as Error & { cause?: { code?: string } }).cause?.code).to.equal('JOIN_TIMEOUT');
    await expectNothingLeft(h);
  });

  it('an aborted up (Ctrl-C in the CLI) stops at the next poll and deletes what it created', async () => {
    h = await harness({ buildPolls: 1e9 });
    const controller = new AbortController();
    const options = {
      ...h.options,
      signal: controller.signal,
      log: (l: string) => {
        h?.lines.push(l);
        if (l.includes('covtype-head: BUILD')) controller.abort();
      },
    };
    const e = await caught(up(clusterConfig(), options));
    expect(e).to.be.instanceOf(ProvisionError);
    expect(e.message).to.match(/^up failed: interrupted/);
    expect(h.os.bodiesOf('POST', /\/servers$/)).to.have.length(1);
    await expectNothingLeft(h);
  });

  it('down is idempotent: a second down, and a down with no state, delete nothing and succeed', async () => {
    h = await harness();
    await up(clusterConfig(), h.options);
    expect((await down(clusterConfig(), h.options)).deleted).to.have.length(4);
    expect((await down(clusterConfig(), h.options)).deleted).to.deep.equal([]);
    expect(h.lines.at(-1)).to.equal('nothing to delete');
    await expectNothingLeft(h);
  });

  it('a down that cannot delete says what is left, keeps the state, and a later down finishes', async () => {
    h = await harness();
    await up(clusterConfig({ workers: 1 }), h.options);
    h.os.options.failDeletes = true;
    const e = await caught(down(clusterConfig({ workers: 1 }), h.options));
    expect(e).to.be.instanceOf(ProvisionError);
    expect(e.message).to.contain('down could not delete: VM covtype-head');
    expect(e.message).to.contain('HTTP 500: Unexpected API Error.');
    expect(h.os.servers.size).to.equal(2);
    h.os.options.failDeletes = false;
    expect((await down(clusterConfig({ workers: 1 }), h.options)).deleted).to.include.members([
      'covtype-head',
      'covtype-worker-1',
    ]);
    await expectNothingLeft(h);
  });

  it('down finds tagged VMs and its own security group even when the state file was lost', async () => {
    h = await harness();
    const info = await up(clusterConfig(), h.options);
    await rm(info.statePath);
    const result = await down(clusterConfig(), h.options);
    expect(result.deleted).to.include.members([
      'covtype-head',
      'covtype-worker-1',
      'covtype-worker-2',
      'security group de2-covtype',
    ]);
    await expectNothingLeft(h);
  });

  it('reuses an existing security group, adds only missing rules, and down removes just those', async () => {
    h = await harness();
    const existing = { id: 'sg-mine', name: 'de2-covtype', description: 'made by hand' };
    h.os.groups.set(existing.id, existing);
    h.os.addRule({
      security_group_id: 'sg-mine',
      protocol: 'tcp',
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: '127.0.1.0/24',
    });
    await up(clusterConfig({ workers: 0 }), h.options);
    const rules = h.os
      .bodiesOf('POST', /security-group-rules$/)
      .map((b) => b.security_group_rule as Record<string, unknown>);
    expect(rules.map((r) => r.port_range_min)).to.deep.equal([6379, 6380]);
    expect(h.os.bodiesOf('POST', /\/security-groups$/)).to.have.length(0);
    await down(clusterConfig({ workers: 0 }), h.options);
    expect(h.os.groups.has('sg-mine')).to.equal(true);
    const left = [...h.os.rules.values()]
      .filter((r) => r.security_group_id === 'sg-mine')
      .map((r) => r.port_range_min);
    expect(left).to.deep.equal([22]);
  });

  it('refuses to reuse a security group that opens the de2 port to 0.0.0.0/0', async () => {
    h = await harness();
    h.os.groups.set('sg-open', { id: 'sg-open', name: 'de2-covtype', description: '' });
    h.os.addRule({
      security_group_id: 'sg-open',
      protocol: 'tcp',
      port_range_min: 6000,
      port_range_max: 7000,
      remote_ip_prefix: '0.0.0.0/0',
    });
    const e = await caught(up(clusterConfig(), h.options));
    expect(e).to.be.instanceOf(UnsafeSecurityGroupError);
    expect(e.message).to.contain("security group 'de2-covtype' opens port 6379 to the whole internet");
    expect(h.os.bodiesOf('POST', /\/servers$/)).to.have.length(0);
  });

  it('add-workers that hits the quota deletes only the new workers; the cluster stays', async () => {
    h = await harness({ maxServers: 3, limitsShowQuota: false });
    const config = clusterConfig({ workers: 1 });
    await up(config, h.options);
    const e = await caught(addWorkers(config, 2, h.options));
    expect(e).to.be.instanceOf(ProvisionError);
    expect(e.message).to.contain('Quota exceeded');
    expect(e.message).to.contain('the cluster is as before');
    expect(h.os.liveServers().map((s) => s.name)).to.deep.equal(['covtype-head', 'covtype-worker-1']);
    const s = await status(config, h.options);
    expect(s.vms.map((v) => v.name)).to.deep.equal(['covtype-head', 'covtype-worker-1']);
  });

  it('up twice is refused while the first cluster exists', async () => {
    h = await harness();
    await up(clusterConfig({ workers: 0 }), h.options);
    const e = await caught(up(clusterConfig({ workers: 0 }), h.options));
    expect(e).to.be.instanceOf(ClusterExistsError);
    expect(h.os.servers.size).to.equal(1);
  });

  it('missing credentials name every missing variable, before any request', async () => {
    h = await harness();
    const env = h.os.env({ OS_PASSWORD: undefined, OS_PROJECT_NAME: undefined, OS_REGION_NAME: '' });
    const e = await caught(up(clusterConfig(), { ...h.options, env }));
    expect(e).to.be.instanceOf(CredentialsError);
    expect(e.message).to.contain('OS_PASSWORD, OS_PROJECT_NAME (or OS_PROJECT_ID), OS_REGION_NAME not set');
    expect(e.message).to.contain('openrc.sh');
    expect(h.os.requests).to.have.length(0);
  });

  it('a wrong password is a 401 that says what to check, without the password', async () => {
    h = await harness();
    const e = await caught(
      up(clusterConfig(), { ...h.options, env: h.os.env({ OS_PASSWORD: 'wrong-secret-xyz' }) }),
    );
    expect(e).to.be.instanceOf(OpenStackApiError);
    expect((e as OpenStackApiError).statusCode).to.equal(401);
    expect(e.message).to.contain('check OS_USERNAME, OS_PASSWORD');
    expect(e.message).not.to.contain('wrong-secret-xyz');
    expect(e.message).not.to.contain(CREDENTIALS.password);
  });

  it('a region without endpoints says so', async () => {
    h = await harness();
    const e = await caught(
      up(clusterConfig(), { ...h.options, env: h.os.env({ OS_REGION_NAME: 'NORTH-1' }) }),
    );
    expect(e).to.be.instanceOf(OpenStackApiError);
    expect(e.message).to.contain("no public endpoint for it in region 'NORTH-1'");
  });
});
