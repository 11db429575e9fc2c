/**
 * Module hooks of worker threads (`module.register`, Node's off-thread loader hooks):
 *
 * - a shipped function's module (load-code.ts) carries `?de2base=<working dir URL>`; what it
 *   imports is resolved as if it were a file of that folder, so relative paths and the
 *   job's packages (its copy's node_modules) are found;
 * - `.ts`/`.mts` modules are type-stripped with sucrase, which is loaded only when the
 *   first such module is imported.
 *
 * Node runs registered hooks on a thread of their own (about 8 MiB), so load-code.ts
 * registers them only in threads that run a job with a runtime environment or a function
 * whose source names a `.ts` module; sucrase adds about 5 MiB once loaded
 * (`npm run bench:ts-thread-memory`).
 * - `@de2/*` resolve from the node's own install (one copy in the process);
 * - a relative `./x.js` that does not exist but `./x.ts` does resolves to the `.ts` file,
 *   as TypeScript's own convention for ESM imports expects.
 */
import { readFile } from 'node:fs/promises';

interface ResolveContext {
  parentURL?: string | undefined;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<ResolveResult>;
interface LoadContext {
  format?: string | null;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: LoadContext) => Promise<LoadResult>;

const BASE_PARAM = 'de2base';

function baseOf(parentURL: string | undefined): string | undefined {
  if (!parentURL?.includes(`${BASE_PARAM}=`)) return undefined;
  try {
    return new URL(parentURL).searchParams.get(BASE_PARAM) ?? undefined;
  } catch {
    return undefined;
  }
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  next: NextResolve,
): Promise<ResolveResult> {
  // `@de2/*` always come from the node's own install, whatever the job's folder holds: one
  // copy of each in the process (a second @de2/core would have no connection to the node).
  if (specifier.startsWith('@de2/')) return next(specifier, { ...context, parentURL: import.meta.url });
  const base = baseOf(context.parentURL);
  const ctx = base ? { ...context, parentURL: new URL('__de2_task__.mjs', base).href } : context;
  try {
    return await next(specifier, ctx);
  } catch (error) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (
      !relative ||
      !/\.(m?)js$/.test(specifier) ||
      (error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND'
    ) {
      throw error;
    }
    return next(specifier.replace(/\.(m?)js$/, '.$1ts'), ctx);
  }
}

type Transform = (
  code: string,
  options: { transforms: string[]; disableESTransforms: boolean; filePath: string },
) => {
  code: string;
};
let transform: Transform | undefined;

export async function load(url: string, context: LoadContext, next: NextLoad): Promise<LoadResult> {
  if (!url.startsWith('file:') || !/\.m?ts$/.test(new URL(url).pathname)) return next(url, context);
  transform ??= ((await import('sucrase')) as { transform: Transform }).transform;
  const source = await readFile(new URL(url), 'utf8');
  const code = transform(source, {
    transforms: ['typescript'],
    disableESTransforms: true,
    filePath: new URL(url).pathname,
  }).code;
  return { format: 'module', source: code, shortCircuit: true };
}
