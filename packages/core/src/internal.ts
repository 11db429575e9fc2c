/**
 * What de2's own packages need of @de2/core beyond its public API (`@de2/core/internal`):
 * not for users, and free to change between versions. Tune's dashboard reporter sends its
 * progress through `reportExperiment`; errors cross threads and the wire through
 * `toWire`/`fromWire`.
 */
export { toWire, fromWire, wireError, type WireError } from './errors/wire.js';
export { reportExperiment } from './api/experiment.js';
export type { ExperimentReport, TrialReport } from './dashboard/experiments.js';
// The store pool of the node this process holds (`init()`'s embedded one, a `de2-node`):
// tests await its quarantine (`unpinned`) and give its memory back (`release`, as the memory
// monitor does) to measure what freeing an object returns, without waiting for the idle timer.
// Not public: a user's program has no need to manage the pool, which gives memory back on its own.
export { getProcessPool, type StorePool } from './object-store/store-pool.js';
