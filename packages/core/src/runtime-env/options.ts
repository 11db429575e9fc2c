/**
 * `init({ runtimeEnv })`: checking the options, and what the driver does with them before
 * its first task (packing the working dir on a cluster; nothing to pack when embedded).
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeEnvError } from '../errors/errors.js';
import type { Archive } from './archive.js';
import { lockfileOf, runtimeDependencies } from './install.js';
import { listWorkingDir, packWorkingDir } from './pack.js';

/** A job's runtime environment, as Ray's `runtime_env`. */
export interface RuntimeEnv {
  /**
   * The job's project folder. On a cluster it is packed (honouring `.gitignore` files and
   * `excludes`; never `node_modules` or `.git`), stored once, and each node unpacks it once;
   * the job's tasks and actors `import()` relative paths and packages against that copy.
   * Embedded, the folder itself is used. Relative to the current directory.
   */
  workingDir?: string;
  /** Environment variables set in `process.env` while the job's tasks and actors run. */
  env?: Record<string, string>;
  /** `.gitignore`-style patterns of files and folders to leave out of the packed folder. */
  excludes?: string[];
  /** Most bytes the working dir's files may hold together. @default 100 MiB (Ray's limit) */
  maxSizeBytes?: number;
  /**
   * How long a node may take to install the working dir's locked npm dependencies before the
   * job's tasks there fail with RuntimeEnvError. @default 300000 (5 minutes)
   */
  installTimeoutMs?: number;
}

export const DEFAULT_MAX_SIZE_BYTES = 100 * 2 ** 20;
export const DEFAULT_INSTALL_TIMEOUT_MS = 300_000;

const KNOWN = ['workingDir', 'env', 'excludes', 'maxSizeBytes', 'installTimeoutMs'];
const HINTS: Record<string, string> = {
  working_dir: 'workingDir',
  env_vars: 'env',
  envVars: 'env',
  pip: 'a package.json with a package-lock.json in workingDir',
  npm: 'a package.json with a package-lock.json in workingDir',
  packages: 'a package.json with a package-lock.json in workingDir',
  dependencies: 'a package.json with a package-lock.json in workingDir',
  conda: 'a package.json with a package-lock.json in workingDir',
  py_modules: 'workingDir',
  container: 'a node image with what the job needs',
};

export interface CheckedRuntimeEnv {
  workingDir: string;
  env: Record<string, string>;
  excludes: string[];
  maxSizeBytes: number;
  installTimeoutMs: number;
}

/** `DE2_RUNTIME_ENV` (JSON of the same options), for programs that do not set it in code. */
export function runtimeEnvFromEnvironment(): unknown {
  const raw = process.env.DE2_RUNTIME_ENV;
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new RuntimeEnvError(
      `DE2_RUNTIME_ENV is not JSON (${(error as Error).message}): set it like DE2_RUNTIME_ENV='{"workingDir":"."}'`,
    );
  }
}

/** Checks the options; every mistake is a RuntimeEnvError that says what to write instead. */
export function checkRuntimeEnv(raw: unknown): CheckedRuntimeEnv {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RuntimeEnvError(
      `runtimeEnv must be an object such as { workingDir: '.' }, got ${JSON.stringify(raw)}`,
    );
  }
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (KNOWN.includes(key)) continue;
    const hint = HINTS[key];
    throw new RuntimeEnvError(
      `runtimeEnv.${key} is not supported${hint ? `: use ${hint}` : ''} (supported: ${KNOWN.join(', ')})`,
    );
  }
  if (o.workingDir === undefined) {
    throw new RuntimeEnvError("runtimeEnv.workingDir is required: the job's project folder, such as '.'");
  }
  if (typeof o.workingDir !== 'string' || o.workingDir === '') {
    throw new RuntimeEnvError(
      `runtimeEnv.workingDir must be a folder path, got ${JSON.stringify(o.workingDir)}`,
    );
  }
  const workingDir = path.resolve(o.workingDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(workingDir);
  } catch {
    throw new RuntimeEnvError(
      `runtimeEnv.workingDir ${o.workingDir} does not exist (resolved against ${process.cwd()} to ${workingDir})`,
    );
  }
  if (!stat.isDirectory()) throw new RuntimeEnvError(`runtimeEnv.workingDir ${workingDir} is not a folder`);
  const env = o.env ?? {};
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new RuntimeEnvError('runtimeEnv.env must be an object of strings, such as { LOG_LEVEL: "debug" }');
  }
  for (const [k, v] of Object.entries(env)) {
    if (typeof v !== 'string')
      throw new RuntimeEnvError(`runtimeEnv.env.${k} must be a string, got ${typeof v}`);
  }
  const excludes = o.excludes ?? [];
  if (!Array.isArray(excludes) || excludes.some((e) => typeof e !== 'string')) {
    throw new RuntimeEnvError(
      "runtimeEnv.excludes must be an array of .gitignore-style patterns, such as ['data/']",
    );
  }
  const positive = (key: 'maxSizeBytes' | 'installTimeoutMs', fallback: number): number => {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RuntimeEnvError(`runtimeEnv.${key} must be a positive number, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  return {
    workingDir,
    env: env as Record<string, string>,
    excludes: excludes as string[],
    maxSizeBytes: positive('maxSizeBytes', DEFAULT_MAX_SIZE_BYTES),
    installTimeoutMs: positive('installTimeoutMs', DEFAULT_INSTALL_TIMEOUT_MS),
  };
}

/** Dependencies without a lockfile cannot be installed the same way on every node: say so at init. */
function checkLockfile(dir: string): void {
  const file = path.join(dir, 'package.json');
  if (!fs.existsSync(file)) return;
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new RuntimeEnvError(
      `runtimeEnv.workingDir: ${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
  const deps = runtimeDependencies(pkg);
  if (deps.length > 0 && !lockfileOf(dir)) {
    throw new RuntimeEnvError(
      `runtimeEnv.workingDir: ${file} lists dependencies (${deps.slice(0, 5).join(', ')}) but there is no ` +
        `package-lock.json beside it: run \`npm install\` there once, so that every node installs the same versions`,
    );
  }
}

/** Checks the limits without reading the files (embedded: nothing travels, but the rules are the same). */
export function checkWorkingDir(env: CheckedRuntimeEnv): void {
  checkLockfile(env.workingDir);
  const files = listWorkingDir(env.workingDir, env.excludes);
  const total = files.reduce((s, f) => s + f.size, 0);
  if (total > env.maxSizeBytes) packWorkingDir(env.workingDir, env.excludes, env.maxSizeBytes); // throws the full message
}

/** Packs the working dir for a cluster (after the same checks). */
export function packForCluster(env: CheckedRuntimeEnv): Archive {
  checkLockfile(env.workingDir);
  return packWorkingDir(env.workingDir, env.excludes, env.maxSizeBytes);
}
