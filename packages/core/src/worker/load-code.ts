import fs from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CoreClient } from '../client/client.js';
import { decodeDescriptor } from '../runtime-env/descriptor.js';

/** esbuild's (tsx's) keep-names helper, which its output calls inside shipped source. */
function __name<T extends object>(target: T, value: string): T {
  return Object.defineProperty(target, 'name', { value, configurable: true });
}

/** A job's runtime environment as this thread sees it. */
export interface LoadedEnv {
  /** The descriptor (JSON): nested `remote()` calls of the task register in the same one. */
  runtimeEnv: string;
  /** The working dir (this node's copy, or the driver's folder when embedded). */
  dir: string;
  /** Environment variables set while the job's tasks run. */
  vars: Record<string, string>;
}

export interface LoadedCode {
  code: unknown;
  env?: LoadedEnv;
}

const cache = new Map<string, Promise<LoadedCode>>();
const envs = new Map<string, Promise<{ dir: string; codeDir: string }>>();

/**
 * The function or class with this source hash, fetched from the node once per thread and
 * evaluated in a scope that has nothing of the caller's module. With a runtime environment
 * it is loaded as a module whose imports resolve against the job's working dir.
 */
export function loadCode(client: CoreClient, hash: string): Promise<LoadedCode> {
  let code = cache.get(hash);
  if (!code) {
    code = fetchCode(client, hash);
    cache.set(hash, code);
    code.catch(() => cache.delete(hash));
  }
  return code;
}

let hooksRegistered = false;

/**
 * Registers the module hooks (module-hooks.ts) in this thread, once: Node runs them on a
 * thread of their own, which costs about 8 MiB, so only threads that need them pay it.
 */
function ensureModuleHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  register(new URL('./module-hooks.js', import.meta.url));
}

/** Source that names a TypeScript module (`import('/abs/x.ts')`) needs the hooks without a runtime env too. */
const NAMES_TS_MODULE = /\.m?ts['"`]/;

async function fetchCode(client: CoreClient, hash: string): Promise<LoadedCode> {
  const reply = await client.request({ type: 'getFunction', reqId: 0, hash });
  if (reply.type !== 'functionReply') throw new Error(`function ${hash} could not be loaded`);
  if (!reply.runtimeEnv) {
    if (NAMES_TS_MODULE.test(reply.source)) ensureModuleHooks();
    return { code: evaluate(reply.source, reply.name) };
  }
  ensureModuleHooks();
  const where = await prepareEnv(client, reply.runtimeEnv);
  const code = await importInDir(reply.source, reply.name, hash, where.dir, where.codeDir);
  const vars = decodeDescriptor(reply.runtimeEnv).env;
  return { code, env: { runtimeEnv: reply.runtimeEnv, dir: where.dir, vars } };
}

function prepareEnv(client: CoreClient, runtimeEnv: string): Promise<{ dir: string; codeDir: string }> {
  let ready = envs.get(runtimeEnv);
  if (!ready) {
    ready = client.request({ type: 'prepareRuntimeEnv', reqId: 0, runtimeEnv }).then((reply) => {
      if (reply.type !== 'runtimeEnvReply') throw new Error(`unexpected reply ${reply.type}`);
      return { dir: reply.dir, codeDir: reply.codeDir };
    });
    envs.set(runtimeEnv, ready);
    ready.catch(() => envs.delete(runtimeEnv));
  }
  return ready;
}

/**
 * Writes the source as a module file and imports it with the working dir as its base: the
 * node's module hooks (module-hooks.ts) resolve its imports as if it sat in that folder, so
 * `import('./helpers.ts')` and `import('some-package')` find the job's files and packages.
 */
async function importInDir(
  source: string,
  name: string,
  hash: string,
  dir: string,
  codeDir: string,
): Promise<unknown> {
  const file = path.join(codeDir, `${hash}.mjs`);
  if (!fs.existsSync(file)) {
    const helper =
      'const __name = (target, value) => Object.defineProperty(target, "name", { value, configurable: true });\n';
    const body = isExpression(source, name)
      ? `export default (\n${source}\n);\n`
      : `export default Object.values({\n${source}\n})[0];\n`;
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, helper + body);
    fs.renameSync(tmp, file);
  }
  const base = pathToFileURL(dir).href.replace(/\/?$/, '/');
  const module = (await import(`${pathToFileURL(file).href}?de2base=${encodeURIComponent(base)}`)) as {
    default: unknown;
  };
  return module.default;
}

/** Whether the source is an expression (else a method in shorthand, `run(x) { ... }`). */
function isExpression(source: string, name: string): boolean {
  try {
    new Function('__name', `"use strict";\nreturn (${source}\n);`);
    return true;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    try {
      new Function('__name', `"use strict";\nreturn ({ ${source}\n});`);
      return false;
    } catch {
      throw new SyntaxError(`the source of ${name} cannot be evaluated on a worker: ${error.message}`);
    }
  }
}

export function evaluate(source: string, name: string): unknown {
  try {
    return new Function('__name', `"use strict";\nreturn (${source}\n);`)(__name);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // A method written in shorthand (`run(x) { ... }`) is not an expression on its own.
    try {
      const holder = new Function('__name', `"use strict";\nreturn ({ ${source}\n});`)(__name) as Record<
        string,
        unknown
      >;
      const fn = Object.values(holder)[0];
      if (typeof fn === 'function') return fn;
    } catch {
      // fall through to the original error
    }
    throw new SyntaxError(`the source of ${name} cannot be evaluated on a worker: ${error.message}`);
  }
}

/**
 * Turns "x is not defined" into an error that says why: shipped code does not carry the
 * variables of the scope it was written in.
 */
export function explainScopeError(error: unknown, what: string): unknown {
  if (
    (error as { code?: string } | null)?.code === 'ERR_UNKNOWN_FILE_EXTENSION' &&
    /\.m?ts\b/.test(String(error))
  ) {
    (error as Error).message +=
      ': TypeScript modules load in tasks of a job with a runtime environment (init({ runtimeEnv: { workingDir: "." } })), ' +
      'or when the function names the .ts module in its source';
    return error;
  }
  if (!(error instanceof ReferenceError)) return error;
  const match = /^(\S+) is not defined$/.exec(error.message);
  if (!match) return error;
  const v = match[1];
  error.message =
    `${v} is not defined in ${what}: remote functions and actor classes are shipped by source and run on ` +
    `worker threads, so they cannot use variables from the enclosing scope (imports, constants, other ` +
    `functions of the module). Pass ${v} as an argument (or put() it and pass the ref), or load modules ` +
    `inside the function with await import(...).`;
  return error;
}
