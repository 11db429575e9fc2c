// Opt-in checks against a real OpenStack cloud (SSC). Skipped unless DE2_CLOUD_REAL=1:
//   source ~/my-project-openrc.sh
//   DE2_CLOUD_REAL=1 DE2_CLOUD_REAL_CONFIG=/path/to/cluster.yaml npx mocha test/real-cloud.test.ts
// DE2_CLOUD_REAL_UP=1 also creates a head + 1 worker (billed to the project), waits for them to
// join, and deletes them again.
import { expect } from 'chai';
import {
  down,
  loadClusterConfig,
  OpenStackProvider,
  readCredentials,
  status,
  up,
  type ClusterConfig,
} from '@de2/cloud';

const enabled = process.env.DE2_CLOUD_REAL === '1';

describe('real OpenStack cloud (opt-in)', function () {
  let config: ClusterConfig;

  before(async function () {
    if (!enabled) {
      console.log(
        '      skipped: set DE2_CLOUD_REAL=1 with OS_* (source *-openrc.sh) and DE2_CLOUD_REAL_CONFIG',
      );
      this.skip();
    }
    const path = process.env.DE2_CLOUD_REAL_CONFIG;
    if (path === undefined)
      throw new Error('DE2_CLOUD_REAL_CONFIG must name a cluster.yaml with provider: openstack');
    config = await loadClusterConfig(path);
    if (config.provider !== 'openstack') throw new Error(`${path} must use provider: openstack`);
  });

  it('authenticates and finds the flavors, image, network (with its CIDR) and key pair', async function () {
    this.timeout(120_000);
    if (config.provider !== 'openstack') return;
    const resolved = await new OpenStackProvider(readCredentials()).resolve(config);
    expect(resolved.image).to.be.a('string').and.not.equal('');
    expect(resolved.cidrs.length).to.be.greaterThan(0);
  });

  it('brings up a head and one worker that join, shows them, and deletes everything (DE2_CLOUD_REAL_UP=1)', async function () {
    if (process.env.DE2_CLOUD_REAL_UP !== '1') {
      console.log('      skipped: set DE2_CLOUD_REAL_UP=1 to create VMs');
      this.skip();
    }
    this.timeout(45 * 60_000);
    const small = { ...config, name: `${config.name}-it`, workers: 1 } as ClusterConfig;
    try {
      const info = await up(small);
      expect(info.vms).to.have.length(2);
      expect(info.nodes?.filter((n) => n.alive).length).to.be.at.least(2);
      const s = await status(small);
      expect(s.vms.every((v) => v.state === 'ACTIVE')).to.equal(true);
    } finally {
      await down(small);
    }
  });
});
