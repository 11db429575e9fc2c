/** Stable codes of every @de2/cloud error: test and branch on these, not on messages. */
export const CloudErrorCode = {
  CLUSTER_CONFIG: 'CLUSTER_CONFIG',
  CREDENTIALS: 'CREDENTIALS',
  RESOURCE_NOT_FOUND: 'RESOURCE_NOT_FOUND',
  UNSAFE_SECURITY_GROUP: 'UNSAFE_SECURITY_GROUP',
  PROVISION_FAILED: 'PROVISION_FAILED',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  JOIN_TIMEOUT: 'JOIN_TIMEOUT',
  CLUSTER_EXISTS: 'CLUSTER_EXISTS',
  CLUSTER_NOT_FOUND: 'CLUSTER_NOT_FOUND',
  OPENSTACK_API: 'OPENSTACK_API',
  LOCAL_NODE: 'LOCAL_NODE',
} as const;

export type CloudErrorCode = (typeof CloudErrorCode)[keyof typeof CloudErrorCode];

/** Base class of every @de2/cloud error: a stable `code` and, where there was one, a `cause`. */
export class CloudError extends Error {
  readonly code: CloudErrorCode;

  constructor(code: CloudErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** cluster.yaml is not valid; `problems` lists every mistake found, not only the first. */
export class ClusterConfigError extends CloudError {
  constructor(readonly problems: readonly string[]) {
    super(
      CloudErrorCode.CLUSTER_CONFIG,
      `cluster.yaml is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

/** OpenStack credentials are missing from the environment; `missing` names the variables. */
export class CredentialsError extends CloudError {
  constructor(
    readonly missing: readonly string[],
    detail?: string,
  ) {
    super(
      CloudErrorCode.CREDENTIALS,
      (missing.length > 0
        ? `OpenStack credentials are incomplete: ${missing.join(', ')} not set.`
        : `OpenStack credentials are not usable: ${detail ?? ''}`) +
        "\nSource your project's *-openrc.sh first (e.g. `source ~/my-project-openrc.sh`), then run again.",
    );
  }
}

/** A flavor, image, network or key pair named in cluster.yaml does not exist; lists what does. */
export class ResourceNotFoundError extends CloudError {
  constructor(
    readonly kind: 'flavor' | 'image' | 'network' | 'key pair',
    readonly wanted: string,
    readonly available: readonly string[],
  ) {
    super(
      CloudErrorCode.RESOURCE_NOT_FOUND,
      `${kind} '${wanted}' does not exist. Available: ${
        available.length > 0 ? available.map((a) => `'${a}'`).join(', ') : '(none)'
      }`,
    );
  }
}

/** An existing security group would expose the de2 port to the whole internet. */
export class UnsafeSecurityGroupError extends CloudError {
  constructor(message: string) {
    super(CloudErrorCode.UNSAFE_SECURITY_GROUP, message);
  }
}

/** `up` or `add-workers` failed; what it had created was deleted unless `leftBehind` says otherwise. */
export class ProvisionError extends CloudError {
  constructor(
    message: string,
    readonly leftBehind: readonly string[] = [],
    options: { cause?: unknown } = {},
  ) {
    super(CloudErrorCode.PROVISION_FAILED, message, options);
  }
}

/** The project's quota cannot fit the VMs asked for; found before creating anything. */
export class QuotaExceededError extends CloudError {
  constructor(readonly shortfalls: readonly string[]) {
    super(
      CloudErrorCode.QUOTA_EXCEEDED,
      `the project's quota is too small: ${shortfalls.join('; ')}. Delete other VMs, ask for more quota, ` +
        'or use fewer workers or a smaller flavor',
    );
  }
}

/** Not every node joined the head in time. */
export class JoinTimeoutError extends CloudError {
  constructor(
    message: string,
    readonly expected: number,
    readonly alive: number,
  ) {
    super(CloudErrorCode.JOIN_TIMEOUT, message);
  }
}

/** `up` found a state file of a cluster with the same name that still has machines. */
export class ClusterExistsError extends CloudError {
  constructor(message: string) {
    super(CloudErrorCode.CLUSTER_EXISTS, message);
  }
}

/** add-workers/status found no state of this cluster (it was never brought up, or is down). */
export class ClusterNotFoundError extends CloudError {
  constructor(message: string) {
    super(CloudErrorCode.CLUSTER_NOT_FOUND, message);
  }
}

/** An OpenStack API call failed; `statusCode` is the HTTP status when there was a response. */
export class OpenStackApiError extends CloudError {
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(CloudErrorCode.OPENSTACK_API, message, options);
  }
}

/** A local de2-node process could not be started or stopped. */
export class LocalNodeError extends CloudError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(CloudErrorCode.LOCAL_NODE, message, options);
  }
}
