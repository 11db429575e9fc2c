import { expect } from 'chai';
import { parse } from 'yaml';
import {
  renderUserData,
  startArgs,
  validateUserData,
  VM_PATHS,
  type UserDataSpec,
} from '../src/user-data.js';

interface CloudConfig {
  packages: string[];
  users: unknown[];
  write_files: { path: string; content: string; permissions: string; owner: string; defer?: boolean }[];
  runcmd: string[][];
}

const TOKEN = 'tok-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
const base: UserDataSpec = {
  cluster: 'covtype',
  role: 'head',
  port: 6379,
  install: { kind: 'git', url: 'https://github.com/example/de2.git', ref: 'main' },
  node: {},
  token: TOKEN,
};

function parsed(spec: UserDataSpec): CloudConfig {
  const text = renderUserData(spec);
  expect(validateUserData(text)).to.deep.equal([]);
  return parse(text) as CloudConfig;
}

function file(doc: CloudConfig, path: string) {
  const f = doc.write_files.find((x) => x.path === path);
  expect(f, path).to.not.equal(undefined);
  return f as CloudConfig['write_files'][number];
}

describe('cloud-init user data', () => {
  it('is #cloud-config YAML that parses back and validates', () => {
    const text = renderUserData(base);
    expect(text.split('\n')[0]).to.equal('#cloud-config');
    const doc = parsed(base);
    expect(doc.users[0]).to.equal('default'); // keeps the image's user and the Nova key pair
    expect(doc.runcmd.at(-1)).to.deep.equal(['systemctl', 'enable', '--now', 'de2-node.service']);
  });

  it('writes the token only to files of mode 0600', () => {
    const doc = parsed(base);
    expect(file(doc, VM_PATHS.tokenFile)).to.include({
      content: `${TOKEN}\n`,
      permissions: '0600',
      owner: 'de2:de2',
      defer: true,
    });
    expect(file(doc, VM_PATHS.envFile)).to.include({
      content: `DE2_TOKEN=${TOKEN}\n`,
      permissions: '0600',
      owner: 'root:root',
    });
    const others = doc.write_files.filter(
      (f) => f.path !== VM_PATHS.tokenFile && f.path !== VM_PATHS.envFile,
    );
    for (const f of others) expect(f.content, f.path).not.to.contain(TOKEN);
  });

  it('runs de2-node as a systemd service: head on its port, restarting, enabled at boot', () => {
    const unit = file(
      parsed({ ...base, node: { numCpus: 4, resources: { gpu: 1 } } }),
      VM_PATHS.unit,
    ).content;
    expect(unit).to.contain(
      `ExecStart=${VM_PATHS.bin} start --head --port 6379 --block --num-cpus 4 --resources '{"gpu":1}' --object-port 6380`,
    );
    expect(unit).to.contain(`EnvironmentFile=${VM_PATHS.envFile}`);
    expect(unit).to.contain('User=de2');
    // A crashed head comes back by itself (with its token, so nodes rejoin it); a stopped one stays stopped.
    expect(unit).to.contain('Restart=on-failure').and.not.contain('Restart=always');
    expect(unit).to.contain('WantedBy=multi-user.target');
    // The token reaches the node through files of mode 0600, never its command line.
    const execStart = unit.split('\n').find((l) => l.startsWith('ExecStart='))!;
    expect(execStart).not.to.contain(TOKEN).and.not.to.contain('--token');
  });

  it("workers join the head's private address; all workers get identical text", () => {
    const spec: UserDataSpec = {
      ...base,
      role: 'worker',
      headAddress: '127.0.1.10',
      node: { objectStoreMemory: 1e9 },
    };
    const unit = file(parsed(spec), VM_PATHS.unit).content;
    expect(unit).to.contain(
      'start --address 127.0.1.10:6379 --block --object-store-memory 1000000000 --object-port 6380',
    );
    expect(unit).to.contain('Restart=always'); // a worker keeps coming back, whatever ended it
    expect(unit).not.to.contain(TOKEN);
    expect(renderUserData(spec)).to.equal(renderUserData({ ...spec }));
    expect(() => renderUserData({ ...base, role: 'worker' })).to.throw(TypeError, 'headAddress');
  });

  it('installs Node.js 20 and de2 from git (at the ref) or from a tarball', () => {
    const git = file(parsed(base), VM_PATHS.installScript).content;
    expect(git).to.contain('setup_20.x');
    expect(git).to.contain("git clone 'https://github.com/example/de2.git' /opt/de2");
    expect(git).to.contain("git -C /opt/de2 checkout 'main'");
    // Only core's runtime dependencies; the compiler runs from npm's cache (checked for real by
    // install-script.test.ts, opt-in).
    expect(git).to.contain('npm ci --omit=dev --workspace @de2/core --ignore-scripts');
    expect(git).to.match(/npm exec --yes --package="typescript@\$\{TS_VERSION\}" -- tsc -b packages\/core/);
    expect(git).to.contain('npm install -g ./packages/core');
    const tarball = file(
      parsed({ ...base, install: { kind: 'tarball', url: 'https://x.org/de2-core-0.1.0.tgz' } }),
      VM_PATHS.installScript,
    ).content;
    expect(tarball).to.contain("npm install -g 'https://x.org/de2-core-0.1.0.tgz'");
    expect(tarball).not.to.contain('git clone');
  });

  it('start arguments match the de2-node CLI', () => {
    expect(startArgs({ role: 'head', port: 0, node: {} })).to.deep.equal([
      'start',
      '--head',
      '--port',
      '0',
      '--block',
    ]);
    expect(
      startArgs({ role: 'worker', port: 7000, headAddress: '127.0.0.1', node: { numCpus: 1 } }),
    ).to.deep.equal(['start', '--address', '127.0.0.1:7000', '--block', '--num-cpus', '1']);
  });

  it('validation catches broken user data', () => {
    expect(validateUserData('packages: [git]\n')).to.include("the first line must be '#cloud-config'");
    const loose = renderUserData(base).replace(/permissions: "?0600"?/g, "permissions: '0644'");
    expect(validateUserData(loose)).to.include(`${VM_PATHS.tokenFile} must have permissions 0600`);
    expect(
      validateUserData('#cloud-config\nbootcmd: [x]\nwrite_files: []\nruncmd: []\n').join('\n'),
    ).to.contain("unexpected top-level key 'bootcmd'");
    expect(
      validateUserData(`#cloud-config\n# ${'x'.repeat(60000)}\nwrite_files: []\n`).join('\n'),
    ).to.contain("exceeds Nova's limit of 65535");
  });
});
