import { expect } from 'chai';
import {
  CredentialsError,
  down,
  JoinTimeoutError,
  readCredentials,
  up,
  waitForJoin,
  type JoinCheck,
} from '@de2/cloud';
import { parseClusterView } from '../src/join.js';
import { CREDENTIALS } from './helpers/fake-openstack.js';
import { caught, clusterConfig, harness } from './helpers/setup.js';

const OPENRC = {
  OS_AUTH_URL: 'https://east-1.cloud.example.se:5000/v3',
  OS_USERNAME: 'alice',
  OS_PASSWORD: 'secret',
  OS_PROJECT_ID: 'p-123',
  OS_USER_DOMAIN_NAME: 'snic',
  OS_PROJECT_DOMAIN_ID: 'default',
  OS_REGION_NAME: 'EAST-1',
};

describe('credentials from the openrc environment', () => {
  it('reads Keystone v3 password credentials (project by id or name, domains by name or id)', () => {
    expect(readCredentials(OPENRC)).to.deep.equal({
      authUrl: OPENRC.OS_AUTH_URL,
      username: 'alice',
      password: 'secret',
      region: 'EAST-1',
      project: { id: 'p-123' },
      userDomain: { name: 'snic' },
      projectDomain: { id: 'default' },
    });
    const byName = readCredentials({ ...OPENRC, OS_PROJECT_NAME: 'proj', OS_PROJECT_DOMAIN_NAME: 'Default' });
    expect(byName.project).to.deep.equal({ name: 'proj' });
    expect(byName.projectDomain).to.deep.equal({ name: 'Default' });
  });

  it('names every missing variable and never the password', () => {
    const e = (() => {
      try {
        readCredentials({ OS_PASSWORD: 'pw-should-not-show' });
      } catch (x) {
        return x as CredentialsError;
      }
      throw new Error('expected CredentialsError');
    })();
    expect(e).to.be.instanceOf(CredentialsError);
    expect(e.code).to.equal('CREDENTIALS');
    expect(e.missing).to.deep.equal([
      'OS_AUTH_URL',
      'OS_USERNAME',
      'OS_PROJECT_NAME (or OS_PROJECT_ID)',
      'OS_USER_DOMAIN_NAME (or OS_USER_DOMAIN_ID)',
      'OS_PROJECT_DOMAIN_NAME (or OS_PROJECT_DOMAIN_ID)',
      'OS_REGION_NAME',
    ]);
    expect(e.message).not.to.contain('pw-should-not-show');
  });

  it('refuses Keystone v2 and a non-URL auth URL', () => {
    expect(() => readCredentials({ ...OPENRC, OS_IDENTITY_API_VERSION: '2' })).to.throw(
      CredentialsError,
      'only Keystone v3',
    );
    expect(() => readCredentials({ ...OPENRC, OS_AUTH_URL: 'keystone:5000' })).to.throw(
      CredentialsError,
      'http(s) URL',
    );
  });

  it('authenticates by project id, and with an auth URL without /v3, against the fake Keystone', async () => {
    const h = await harness();
    try {
      const env = h.os.env({
        OS_PROJECT_NAME: undefined,
        OS_PROJECT_ID: CREDENTIALS.projectId,
        OS_AUTH_URL: h.os.url,
      });
      await up(clusterConfig({ workers: 0 }), { ...h.options, env });
      const auth = h.os.bodiesOf('POST', /^\/v3\/auth\/tokens$/)[0];
      expect(auth).to.have.nested.property('auth.scope.project.id', CREDENTIALS.projectId);
      await down(clusterConfig({ workers: 0 }), { ...h.options, env });
      expect(h.os.servers.size).to.equal(0);
    } finally {
      await h.close();
    }
  });
});

describe('options', () => {
  it('bad options throw TypeError/RangeError naming the option', async () => {
    const config = clusterConfig();
    expect(await caught(up(config, { pollIntervalMs: -1 })))
      .to.be.instanceOf(RangeError)
      .with.property('message', 'options.pollIntervalMs must be >= 0, got -1');
    expect(await caught(up(config, { joinTimeoutMs: 'soon' as unknown as number })))
      .to.be.instanceOf(TypeError)
      .with.property('message', 'options.joinTimeoutMs must be a number of milliseconds');
    expect(await caught(up(config, { stateDir: '' })))
      .to.be.instanceOf(TypeError)
      .with.property('message', 'options.stateDir must be a non-empty string');
    expect(await caught(up(config, { waitForJoin: 1 as unknown as boolean })))
      .to.be.instanceOf(TypeError)
      .with.property('message', 'options.waitForJoin must be a boolean');
    expect(await caught(up(config, { stopWithProcess: 'yes' as unknown as boolean })))
      .to.be.instanceOf(TypeError)
      .with.property('message', 'options.stopWithProcess must be a boolean');
  });
});

describe('waiting for nodes to join', () => {
  const target = { host: '127.0.0.1', port: 1, tokenPath: '/nonexistent' };

  it('polls until the expected number of nodes is alive, through a head that is still booting', async () => {
    let calls = 0;
    const check: JoinCheck = async () => {
      calls++;
      if (calls < 3) throw new Error('connect ECONNREFUSED');
      return {
        nodes: Array.from({ length: calls - 2 }, (_, i) => ({
          nodeId: `n${i}`,
          address: `10.0.0.${i}:1`,
          alive: true,
        })),
      };
    };
    const lines: string[] = [];
    const view = await waitForJoin(check, target, 3, {
      timeoutMs: 5000,
      pollIntervalMs: 1,
      log: (l) => lines.push(l),
    });
    expect(view.nodes).to.have.length(3);
    expect(calls).to.equal(5);
    expect(lines).to.deep.equal(['nodes joined: 1/3', 'nodes joined: 2/3', 'nodes joined: 3/3']);
  });

  it('counts only alive nodes (not drivers) and times out saying how many joined and the last error', async () => {
    const check: JoinCheck = async () => ({
      nodes: [
        { nodeId: 'node-a', address: 'x:1', alive: true },
        { nodeId: 'node-b', address: 'y:1', alive: false },
        { nodeId: 'driver-c', address: 'z:1', alive: true },
        { nodeId: 'x', address: 'w:1', alive: true, isDriver: true },
      ],
    });
    const e = await caught(
      waitForJoin(check, target, 2, { timeoutMs: 20, pollIntervalMs: 1, log: () => {} }),
    );
    expect(e).to.be.instanceOf(JoinTimeoutError);
    expect(e).to.include({ expected: 2, alive: 1 });
    expect(e.message).to.contain('only 1 of 2 nodes joined 127.0.0.1:1');
  });

  it('checks the shape of de2-node status --json', () => {
    expect(
      parseClusterView({
        address: 'h:1',
        nodes: [
          { nodeId: 'n', address: 'h:1', alive: true, cpus: 4 },
          { nodeId: 'd', address: 'h:2', alive: true, isDriver: true },
        ],
      }),
    ).to.deep.equal({
      nodes: [
        { nodeId: 'n', address: 'h:1', alive: true },
        { nodeId: 'd', address: 'h:2', alive: true, isDriver: true },
      ],
    });
    expect(() => parseClusterView({ nodes: [{ nodeId: 'n', alive: 'yes' }] })).to.throw(
      TypeError,
      'boolean alive',
    );
    expect(() => parseClusterView([])).to.throw(TypeError, '{ nodes: [...] }');
  });
});
