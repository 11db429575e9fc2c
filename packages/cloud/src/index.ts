/**
 * @de2/cloud: provision OpenStack (SSC) or local de2 clusters that join by themselves.
 *
 * @example
 * ```ts
 * import { loadClusterConfig, up, status, down } from '@de2/cloud';
 * const config = await loadClusterConfig('cluster.yaml'); // after `source my-project-openrc.sh`
 * const cluster = await up(config);                        // head + workers, joined
 * console.log(cluster.head, cluster.tokenPath);
 * console.log((await status(config)).vms);
 * await down(config);                                      // safe to run twice
 * ```
 * @packageDocumentation
 */
export {
  up,
  addWorkers,
  status,
  down,
  type ClusterInfo,
  type ClusterStatus,
  type DownResult,
} from './cluster.js';
export {
  parseClusterConfig,
  loadClusterConfig,
  validateClusterConfig,
  type ClusterConfig,
  type OpenStackClusterConfig,
  type LocalClusterConfig,
  type InstallSource,
  type NodeOptions,
} from './config.js';
export { readCredentials, type OpenStackCredentials } from './credentials.js';
export {
  CloudErrorCode,
  CloudError,
  ClusterConfigError,
  CredentialsError,
  ResourceNotFoundError,
  UnsafeSecurityGroupError,
  ProvisionError,
  QuotaExceededError,
  JoinTimeoutError,
  ClusterExistsError,
  ClusterNotFoundError,
  OpenStackApiError,
  LocalNodeError,
} from './errors.js';
export {
  de2NodeStatusCheck,
  waitForJoin,
  type JoinCheck,
  type JoinTarget,
  type ClusterView,
  type NodeView,
} from './join.js';
export { LocalProvider } from './local/local-provider.js';
export { OpenStackProvider, type ResolvedResources } from './openstack/openstack-provider.js';
export type { CloudOptions } from './options.js';
export type { Provider, ProviderContext, VmStatus, DestroyResult } from './provider.js';
export type { ClusterState, VmRecord } from './state.js';
