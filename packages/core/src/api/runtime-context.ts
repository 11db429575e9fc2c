/** Where `workingDir()` looks: set by `init` on the driver, by the worker entry in threads. */
let source: () => string | undefined = () => undefined;

/** @internal */
export function setWorkingDirSource(get: () => string | undefined): void {
  source = get;
}

/**
 * The job's working dir (`init({ runtimeEnv: { workingDir } })`): in a task or actor, the
 * folder its code was loaded from (this node's copy on a cluster, the driver's folder when
 * embedded); on the driver, `workingDir` as an absolute path. `undefined` without a
 * runtime environment.
 *
 * @example
 * ```ts
 * const readConfig = remote(async () => {
 *   const { readFile } = await import('node:fs/promises');
 *   const { join } = await import('node:path');
 *   const { workingDir } = await import('@de2/core');
 *   return JSON.parse(await readFile(join(workingDir()!, 'config.json'), 'utf8'));
 * });
 * ```
 */
export function workingDir(): string | undefined {
  return source();
}
