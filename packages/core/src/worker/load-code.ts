import type { CoreClient } from '../client/client.js';

/** esbuild's (tsx's) keep-names helper, which its output calls inside shipped source. */
function __name<T extends object>(target: T, value: string): T {
  return Object.defineProperty(target, 'name', { value, configurable: true });
}

const cache = new Map<string, Promise<unknown>>();

/**
 * The function or class with this source hash, fetched from the node once per thread and
 * evaluated in a scope that has nothing of the caller's module.
 */
export function loadCode(client: CoreClient, hash: string): Promise<unknown> {
  let code = cache.get(hash);
  if (!code) {
    code = fetchCode(client, hash);
    cache.set(hash, code);
    code.catch(() => cache.delete(hash));
  }
  return code;
}

async function fetchCode(client: CoreClient, hash: string): Promise<unknown> {
  const reply = await client.request({ type: 'getFunction', reqId: 0, hash });
  if (reply.type !== 'functionReply') throw new Error(`function ${hash} could not be loaded`);
  return evaluate(reply.source, reply.name);
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
