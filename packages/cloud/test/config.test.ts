import { expect } from 'chai';
import { ClusterConfigError, parseClusterConfig } from '@de2/cloud';

describe('cluster.yaml', () => {
  it('applies defaults to a minimal file', () => {
    expect(parseClusterConfig('name: covtype\nworkers: 2\n')).to.deep.equal({
      name: 'covtype',
      provider: 'openstack',
      workers: 2,
      port: 6379,
    });
  });

  it('lists every problem: unknown keys and bad values', () => {
    let error: unknown;
    try {
      parseClusterConfig('name: Bad Name\nworkers: -1\nflavour: ssc.small\n');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ClusterConfigError);
    const problems = (error as ClusterConfigError).problems;
    expect(problems).to.have.length(3);
    expect(problems.join('\n'))
      .to.contain("unknown key 'flavour'")
      .and.contain("'workers'")
      .and.contain("'name'");
  });
});
