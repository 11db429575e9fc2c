import type { TrialResult } from '../trial.js';

/** The objective a search algorithm or scheduler optimizes. */
export interface SearchProperties {
  readonly metric: string | undefined;
  readonly mode: 'min' | 'max' | undefined;
  readonly paramSpace: Record<string, unknown>;
  readonly numSamples: number;
  readonly seed: number | undefined;
}

/**
 * Where trial configs come from (Ray's `Searcher`). The Tuner calls `setSearchProperties`
 * once, then `suggest` whenever a slot is free; `null` means no more trials. Results flow
 * back through `onTrialResult` and `onTrialComplete`; `save`/`restore` carry its state
 * across `Tuner.restore` as JSON.
 */
export interface SearchAlgorithm {
  /** A name saved with the experiment state. */
  readonly name: string;
  setSearchProperties(props: SearchProperties): void;
  suggest(trialId: string): Record<string, unknown> | null;
  onTrialResult?(trialId: string, result: TrialResult): void;
  onTrialComplete(trialId: string, result: TrialResult | undefined, error: boolean): void;
  save(): unknown;
  restore(state: unknown): void;
}
