import type { ExperimentReport } from '../dashboard/experiments.js';
import { requireClient } from './require-client.js';

/**
 * Sends a tuning experiment's progress to the head's dashboard (its Experiments page).
 * @de2/tune calls it on every result; other tuning code may too. Send only the trials that
 * changed: the head keeps each trial's metric history. Without a dashboard it costs one
 * small message.
 */
export function reportExperiment(report: ExperimentReport): void {
  requireClient().send({ type: 'experimentReport', json: JSON.stringify(report) });
}
