import type { AbsoluteLimits, Flavor } from './api.js';

/** What a set of new VMs takes from the project's quota. */
export interface QuotaNeed {
  instances: number;
  cores: number;
  /** MiB */
  ram: number;
}

/** The quota taken by `count` VMs of `flavor`. */
export function needOf(flavor: Pick<Flavor, 'vcpus' | 'ram'>, count: number): QuotaNeed {
  return { instances: count, cores: (flavor.vcpus ?? 0) * count, ram: (flavor.ram ?? 0) * count };
}

export function addNeeds(a: QuotaNeed, b: QuotaNeed): QuotaNeed {
  return { instances: a.instances + b.instances, cores: a.cores + b.cores, ram: a.ram + b.ram };
}

/**
 * What does not fit in Nova's absolute limits (empty when everything fits). A limit that is
 * missing or -1 (unlimited) never counts as short.
 */
export function quotaShortfalls(limits: AbsoluteLimits, need: QuotaNeed): string[] {
  const out: string[] = [];
  const check = (
    what: string,
    wanted: number,
    max: number | undefined,
    used: number | undefined,
    unit = '',
  ) => {
    if (max === undefined || max < 0 || wanted === 0) return;
    const free = Math.max(0, max - (used ?? 0));
    if (wanted > free) out.push(`${what}: needs ${wanted}${unit}, ${free}${unit} of ${max}${unit} free`);
  };
  check('instances', need.instances, limits.maxTotalInstances, limits.totalInstancesUsed);
  check('cores', need.cores, limits.maxTotalCores, limits.totalCoresUsed);
  check('RAM', need.ram, limits.maxTotalRAMSize, limits.totalRAMUsed, ' MiB');
  return out;
}
