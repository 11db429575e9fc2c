/**
 * Installs a working dir's locked npm dependencies into a node's copy of it, bounded in
 * time. `@de2/*` entries are left out: tasks get the node's own (worker/module-hooks.ts).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json'];
const DEP_FIELDS = ['dependencies', 'optionalDependencies', 'devDependencies', 'peerDependencies'] as const;

type Json = Record<string, unknown>;

const isDe2 = (name: string): boolean => name.startsWith('@de2/');

/** The lockfile of `dir`, if it has one. */
export function lockfileOf(dir: string): string | undefined {
  return LOCKFILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
}

/** The packages `package.json` asks for at run time, less `@de2/*` (the node brings its own). */
export function runtimeDependencies(pkg: Json): string[] {
  const names = new Set<string>();
  for (const field of ['dependencies', 'optionalDependencies'] as const) {
    const deps = pkg[field];
    if (deps && typeof deps === 'object') for (const n of Object.keys(deps)) if (!isDe2(n)) names.add(n);
  }
  return [...names];
}

function withoutDe2(deps: unknown): unknown {
  if (!deps || typeof deps !== 'object') return deps;
  return Object.fromEntries(Object.entries(deps).filter(([n]) => !isDe2(n)));
}

/** package.json and lockfile with every `@de2/*` entry removed (what npm gets to see). */
function stripDe2(pkg: Json, lock: Json): { pkg: Json; lock: Json } {
  const cleanPkg: Json = { ...pkg };
  for (const f of DEP_FIELDS) if (cleanPkg[f]) cleanPkg[f] = withoutDe2(cleanPkg[f]);
  delete cleanPkg.scripts; // a job's own lifecycle scripts do not run on nodes
  delete cleanPkg.workspaces;
  const cleanLock: Json = { ...lock };
  const packages = lock.packages as Record<string, Json> | undefined;
  if (packages) {
    const kept: Record<string, Json> = {};
    for (const [key, entry] of Object.entries(packages)) {
      if (/(^|\/)node_modules\/@de2\//.test(key)) continue;
      if (key === '') {
        const root: Json = { ...entry };
        for (const f of DEP_FIELDS) if (root[f]) root[f] = withoutDe2(root[f]);
        kept[key] = root;
      } else kept[key] = entry;
    }
    cleanLock.packages = kept;
  }
  delete cleanLock.dependencies; // lockfile v1 section; npm 7+ reads `packages`
  return { pkg: cleanPkg, lock: cleanLock };
}

/**
 * What decides the installed packages (package.json's dependency fields and the lockfile):
 * two working dirs with the same key get the same node_modules. Undefined when there is
 * nothing to install.
 */
export function dependencyKey(dir: string): string | undefined {
  const pkgFile = path.join(dir, 'package.json');
  const lockFile = lockfileOf(dir);
  if (!fs.existsSync(pkgFile) || !lockFile) return undefined;
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as Json;
  if (runtimeDependencies(pkg).length === 0) return undefined;
  const deps = DEP_FIELDS.map((f) => JSON.stringify(pkg[f] ?? {}));
  return createHash('sha256').update(deps.join('\n')).update(fs.readFileSync(lockFile)).digest('hex');
}

export interface InstallResult {
  ran: boolean;
  ms: number;
}

/**
 * Runs `npm install` (lockfile versions, `--omit=dev`) in `dir` when it has a package.json
 * with run-time dependencies; throws an Error whose message names the package and carries
 * npm's own words, or says that npm did not finish within `timeoutMs`.
 */
export async function installDependencies(dir: string, timeoutMs: number): Promise<InstallResult> {
  const pkgFile = path.join(dir, 'package.json');
  if (!fs.existsSync(pkgFile)) return { ran: false, ms: 0 };
  const pkgText = fs.readFileSync(pkgFile, 'utf8');
  const pkg = JSON.parse(pkgText) as Json;
  if (runtimeDependencies(pkg).length === 0) return { ran: false, ms: 0 };
  const lockFile = lockfileOf(dir);
  if (!lockFile) throw new Error('the working dir has dependencies in package.json but no package-lock.json');
  const lockText = fs.readFileSync(lockFile, 'utf8');
  const lock = JSON.parse(lockText) as Json;
  const clean = stripDe2(pkg, lock);
  fs.writeFileSync(pkgFile, JSON.stringify(clean.pkg, null, 2));
  fs.writeFileSync(lockFile, JSON.stringify(clean.lock, null, 2));
  const start = performance.now();
  try {
    await runNpm(dir, timeoutMs, lock);
  } finally {
    // The job's tasks see the files as the user wrote them.
    fs.writeFileSync(pkgFile, pkgText);
    fs.writeFileSync(lockFile, lockText);
  }
  return { ran: true, ms: performance.now() - start };
}

function runNpm(dir: string, timeoutMs: number, lock: Json): Promise<void> {
  const args = [
    'install',
    '--omit=dev',
    '--no-save',
    '--no-audit',
    '--no-fund',
    '--no-update-notifier',
    '--fetch-retries=0',
    `--fetch-timeout=${Math.max(1000, Math.min(timeoutMs, 60_000))}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so that a timeout ends npm's children too
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run npm (${error.message}): install Node.js with npm on this node`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && !timedOut) return resolve();
      const said = npmMessage(output);
      const what = blamedPackage(said, lock) ?? (timedOut ? missingPackages(dir, lock) : undefined);
      if (timedOut) {
        return reject(
          new Error(
            `npm install did not finish within ${Math.round(timeoutMs / 1000)} s (runtimeEnv.installTimeoutMs)` +
              `${what ? ` (not installed yet: ${what})` : ''}: is the npm registry reachable from this node?` +
              (said ? ` npm said: ${said}` : ''),
          ),
        );
      }
      reject(
        new Error(
          `npm install failed for ${what ?? 'a dependency'} (exit code ${code}): ${said || '(no output)'}`,
        ),
      );
    });
  });
}

/** The locked packages that are not in node_modules yet (what a killed npm was still fetching). */
function missingPackages(dir: string, lock: Json): string | undefined {
  const packages = (lock.packages ?? {}) as Record<string, { version?: string; dev?: boolean }>;
  const missing: string[] = [];
  for (const [key, entry] of Object.entries(packages)) {
    if (!key.startsWith('node_modules/') || entry.dev || /node_modules\/@de2\//.test(key)) continue;
    if (fs.existsSync(path.join(dir, key, 'package.json'))) continue;
    missing.push(`${key.slice(key.lastIndexOf('node_modules/') + 13)}@${entry.version ?? '?'}`);
  }
  return missing.length > 0
    ? missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', ...' : '')
    : undefined;
}

/** npm's error lines, without stack frames, dumped objects and the log-file hint. */
function npmMessage(output: string): string {
  const lines = output.split('\n').map((l) => l.trim());
  const errors = lines.filter((l) => /^npm (error|ERR!)/.test(l));
  const kept: string[] = [];
  let depth = 0;
  for (const line of (errors.length > 0 ? errors : lines).map((l) =>
    l.replace(/^npm (error|ERR!) ?/, '').trim(),
  )) {
    if (depth > 0 || /^at /.test(line) || /complete log of this run/i.test(line) || line === '') {
      depth += (line.match(/\{/g)?.length ?? 0) - (line.match(/\}/g)?.length ?? 0);
      continue;
    }
    depth += (line.match(/\{/g)?.length ?? 0) - (line.match(/\}/g)?.length ?? 0);
    kept.push(line.replace(/\s*\{$/, ''));
  }
  return kept.join('; ').slice(0, 2000);
}

/** The locked package that npm's message is about (by its tarball URL or its name). */
function blamedPackage(message: string, lock: Json): string | undefined {
  const packages = (lock.packages ?? {}) as Record<string, { version?: string; resolved?: string }>;
  let byName: string | undefined;
  for (const [key, entry] of Object.entries(packages)) {
    if (!key) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (isDe2(name)) continue;
    const label = `${name}@${entry.version ?? '?'}`;
    if (entry.resolved && message.includes(entry.resolved)) return label;
    if (
      !byName &&
      new RegExp(`(^|[^\\w@/.-])${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}([@/\\s:]|$)`).test(message)
    ) {
      byName = label;
    }
  }
  return byName;
}
