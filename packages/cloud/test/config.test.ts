import { expect } from 'chai';
import { ClusterConfigError, parseClusterConfig, validateClusterConfig } from '@de2/cloud';

const SSC = `
name: covtype
workers: 2
flavor: ssc.small
head:
  flavor: ssc.medium
image: Ubuntu 22.04 - 2024.01
network: uppmax-internal
keyPair: alice-key
de2:
  git: https://github.com/example/de2.git
  ref: v0.1.0
node:
  numCpus: 2
  resources: { gpu: 0 }
`;

function problemsOf(text: string): string[] {
  try {
    parseClusterConfig(text);
  } catch (e) {
    expect(e).to.be.instanceOf(ClusterConfigError);
    expect((e as ClusterConfigError).code).to.equal('CLUSTER_CONFIG');
    return [...(e as ClusterConfigError).problems];
  }
  throw new Error('expected a ClusterConfigError');
}

describe('cluster.yaml', () => {
  it('reads an SSC cluster, applying defaults (port, security group, worker flavor from flavor)', () => {
    expect(parseClusterConfig(SSC)).to.deep.equal({
      provider: 'openstack',
      name: 'covtype',
      workers: 2,
      port: 6379,
      node: { numCpus: 2, resources: { gpu: 0 } },
      head: { flavor: 'ssc.medium' },
      worker: { flavor: 'ssc.small' },
      image: 'Ubuntu 22.04 - 2024.01',
      network: 'uppmax-internal',
      keyPair: 'alice-key',
      securityGroup: 'de2-covtype',
      de2: { kind: 'git', url: 'https://github.com/example/de2.git', ref: 'v0.1.0' },
    });
  });

  it('validates its own output again unchanged (a config built in code goes through the same checks)', () => {
    const config = parseClusterConfig(SSC);
    expect(validateClusterConfig(config)).to.deep.equal(config);
  });

  it('needs only a name for the local provider', () => {
    expect(parseClusterConfig('name: try\nprovider: local\nworkers: 2\nport: 0\n')).to.deep.equal({
      provider: 'local',
      name: 'try',
      workers: 2,
      port: 0,
      node: {},
    });
  });

  it('accepts a tarball as the de2 source', () => {
    const c = parseClusterConfig(
      SSC.replace(/de2:\n.*\n.*\n/, 'de2:\n  tarball: https://example.org/de2-core-0.1.0.tgz\n'),
    );
    expect(c.provider === 'openstack' && c.de2).to.deep.equal({
      kind: 'tarball',
      url: 'https://example.org/de2-core-0.1.0.tgz',
    });
  });

  it('lists every problem at once: unknown keys, missing fields, wrong types', () => {
    const problems = problemsOf(
      'name: Bad Name\nworkers: -1\nflavour: ssc.small\nport: "6379"\nnode: { numCpus: 0, gpus: 1 }\n',
    );
    const text = problems.join('\n');
    expect(text).to.contain("unknown key 'flavour'");
    expect(text).to.contain("unknown key 'node.gpus'");
    expect(text).to.contain("'name' is required");
    expect(text).to.contain("'workers' must be a whole number from 0 to 1000, got -1");
    expect(text).to.contain("'port' must be a whole number from 1 to 65535, got '6379'");
    expect(text).to.contain("'node.numCpus' must be a whole number from 1 to 4096, got 0");
    expect(text).to.contain("'head.flavor' (or 'flavor' for both) is required");
    expect(text).to.contain("'image' is required");
    expect(text).to.contain("'network' is required");
    expect(text).to.contain("'keyPair' is required");
    expect(text).to.contain("'de2' is required");
    expect(problems).to.have.length(12);
  });

  it('rejects a bad install source, provider, CIDR and flavor section', () => {
    const text = problemsOf(
      SSC.replace('ref: v0.1.0', 'ref: v0.1.0\n  tarball: https://x.org/a.tgz')
        .replace('head:\n  flavor: ssc.medium', 'head: ssc.medium\nsshFrom: 10.0.0.0/33')
        .replace('name: covtype', 'name: covtype\nprovider: aws'),
    ).join('\n');
    expect(text).to.contain("exactly one of 'de2.git' and 'de2.tarball'");
    expect(text).to.contain("'head' must be a mapping");
    expect(text).to.contain("'sshFrom' must be an IPv4 CIDR");
    expect(text).to.contain("'provider' must be 'openstack' or 'local', got 'aws'");
  });

  it('names an unknown key but never echoes its value (a password pasted into the file stays out of logs)', () => {
    const text = problemsOf(`${SSC}password: hunter2-very-secret\n`).join('\n');
    expect(text).to.contain("unknown key 'password'");
    expect(text).not.to.contain('hunter2');
  });

  it('says when the file is not YAML or not a mapping', () => {
    expect(problemsOf('name: [unclosed')[0]).to.match(/not YAML/);
    expect(problemsOf('- a\n- b\n')[0]).to.contain('must be a YAML mapping');
  });
});
