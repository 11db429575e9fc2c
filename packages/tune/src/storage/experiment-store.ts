import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import type { TrialErrorInfo, TrialRecord, TrialResult } from '../trial.js';
import { resultsCsv } from './csv.js';
import { TuneError, TuneErrorCode } from '../errors.js';

export const STATE_FILE = 'experiment-state.json';
export const RESULTS_CSV = 'results.csv';
const CHECKPOINT_FILE = 'checkpoint.bin';

/** What the state file holds: enough to resume without the original program's options. */
export interface ExperimentState {
  readonly version: 1;
  readonly name: string;
  readonly createdAt: number;
  readonly metric: string | undefined;
  readonly mode: 'min' | 'max' | undefined;
  readonly numSamples: number;
  readonly maxConcurrentTrials: number | undefined;
  readonly seed: number | undefined;
  readonly paramSpace: unknown;
  readonly stop: Record<string, number> | undefined;
  readonly failureConfig: { maxFailures: number; failFast: boolean };
  readonly resources: { numCpus: number; memory: number | undefined };
  readonly searcher: { name: string; state: unknown };
  readonly scheduler: { type: string; options: Record<string, unknown> };
  readonly nextIndex: number;
  /** True once the search algorithm has nothing more to suggest. */
  readonly searchFinished: boolean;
  readonly finished: boolean;
  readonly trials: TrialRecord[];
}

/** Writes `data` so that a reader (or a killed writer) sees the old file or the new one, never half. */
function writeAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** The experiment folder: state file, results CSV, and one folder per trial. */
export class ExperimentStore {
  constructor(readonly path: string) {}

  init(): void {
    fs.mkdirSync(this.path, { recursive: true });
  }

  exists(): boolean {
    return fs.existsSync(path.join(this.path, STATE_FILE));
  }

  writeState(state: ExperimentState): void {
    writeAtomic(path.join(this.path, STATE_FILE), JSON.stringify(state));
  }

  readState(): ExperimentState {
    const file = path.join(this.path, STATE_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new TuneError(
        TuneErrorCode.NOT_FOUND,
        `no experiment state at ${file}: is ${this.path} an experiment folder?`,
      );
    }
    const state = JSON.parse(text) as ExperimentState;
    if (state.version !== 1)
      throw new TuneError(
        TuneErrorCode.NOT_FOUND,
        `${file}: unsupported state version ${String(state.version)}`,
      );
    return state;
  }

  trialPath(trial: Pick<TrialRecord, 'dirName'>): string {
    return path.join(this.path, trial.dirName);
  }

  createTrial(trial: TrialRecord): void {
    const dir = this.trialPath(trial);
    fs.mkdirSync(dir, { recursive: true });
    writeAtomic(path.join(dir, 'params.json'), JSON.stringify(trial.config, null, 2));
  }

  appendResult(trial: TrialRecord, result: TrialResult): void {
    fs.appendFileSync(path.join(this.trialPath(trial), 'result.jsonl'), JSON.stringify(result) + '\n');
  }

  /** Every result the trial reported, in order (what `result.jsonl` holds). */
  readResults(trial: Pick<TrialRecord, 'dirName'>): TrialResult[] {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.trialPath(trial), 'result.jsonl'), 'utf8');
    } catch {
      return [];
    }
    const out: TrialResult[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as TrialResult);
      } catch {
        // A line cut short by a killed driver: everything before it still counts.
      }
    }
    return out;
  }

  /** Drops results past `iteration` (a resumed trial reruns them from its checkpoint). */
  truncateResults(trial: TrialRecord, iteration: number): void {
    const kept = this.readResults(trial).filter((r) => r.trainingIteration <= iteration);
    writeAtomic(
      path.join(this.trialPath(trial), 'result.jsonl'),
      kept.map((r) => JSON.stringify(r) + '\n').join(''),
    );
  }

  writeCheckpoint(trial: TrialRecord, checkpoint: unknown): void {
    writeAtomic(path.join(this.trialPath(trial), CHECKPOINT_FILE), v8.serialize(checkpoint));
  }

  readCheckpoint(trial: Pick<TrialRecord, 'dirName'>): unknown {
    try {
      return v8.deserialize(fs.readFileSync(path.join(this.trialPath(trial), CHECKPOINT_FILE)));
    } catch {
      return undefined;
    }
  }

  writeError(trial: TrialRecord, error: TrialErrorInfo): void {
    const text = `${error.name}${error.code ? ` [${error.code}]` : ''}: ${error.message}\n${error.stack ?? ''}\n`;
    fs.appendFileSync(path.join(this.trialPath(trial), 'error.txt'), text);
  }

  writeResultsCsv(trials: readonly TrialRecord[]): void {
    writeAtomic(path.join(this.path, RESULTS_CSV), resultsCsv(trials));
  }
}
