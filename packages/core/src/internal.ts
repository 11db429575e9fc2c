/**
 * What de2's own packages need of @de2/core beyond its public API (`@de2/core/internal`):
 * not for users, and free to change between versions. Tune's dashboard reporter sends its
 * progress through `reportExperiment`; errors cross threads and the wire through
 * `toWire`/`fromWire`.
 */
export { toWire, fromWire, wireError, type WireError } from './errors/wire.js';
export { reportExperiment } from './api/experiment.js';
export type { ExperimentReport, TrialReport } from './dashboard/experiments.js';
