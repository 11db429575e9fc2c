/**
 * What a function's registration carries about the job's runtime environment: a JSON
 * string that is part of the function's identity on the cluster (the same source in two
 * jobs with different working dirs is two functions).
 */
export interface RuntimeEnvDescriptor {
  /** Embedded: the working dir itself, used in place. */
  dir?: string;
  /** On a cluster: sha256 of the packed working dir (names its copy on every node). */
  hash?: string;
  /** On a cluster: the object that holds the packed working dir (the driver keeps it). */
  objectId?: string;
  /** Environment variables set while the job's tasks run. */
  env: Record<string, string>;
  /** How long a node may take to install the working dir's npm dependencies. */
  installTimeoutMs: number;
}

export function encodeDescriptor(d: RuntimeEnvDescriptor): string {
  return JSON.stringify(d);
}

export function decodeDescriptor(json: string): RuntimeEnvDescriptor {
  const d = JSON.parse(json) as RuntimeEnvDescriptor;
  if (typeof d !== 'object' || d === null || (typeof d.dir !== 'string' && typeof d.hash !== 'string')) {
    throw new Error(`malformed runtime environment: ${json.slice(0, 200)}`);
  }
  if (d.hash !== undefined && !/^[0-9a-f]{64}$/.test(d.hash))
    throw new Error(`malformed runtime environment hash`);
  return d;
}
