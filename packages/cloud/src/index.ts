/**
 * @de2/cloud: provision OpenStack (SSC) or local de2 clusters that join by themselves.
 * @packageDocumentation
 */
export { parseClusterConfig, ClusterConfigError, type ClusterConfig } from './config.js';
