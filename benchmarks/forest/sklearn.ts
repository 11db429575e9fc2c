/** Runs benchmarks/sklearn_forest.py on exactly the rows the de2 side uses. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Table } from '../../packages/forest/test/helpers.js';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../sklearn_forest.py');
/**
 * The venv of `npm run bench:ray:setup` (scikit-learn 1.9.1) when there is one, else
 * Debian's python3 (python3-sklearn), else DE2_PYTHON names another.
 */
const VENV_PYTHON = resolve(dirname(fileURLToPath(import.meta.url)), '../ray/.venv/bin/python');
const PYTHON = process.env.DE2_PYTHON ?? (existsSync(VENV_PYTHON) ? VENV_PYTHON : '/usr/bin/python3');

export interface Config {
  nEstimators: number;
  maxDepth: number | null;
  randomState?: number;
  ccpAlpha?: number;
  minImpurityDecrease?: number;
  maxLeafNodes?: number;
  classWeight?: 'balanced';
  oobScore?: boolean;
}

export interface SklearnResult extends Config {
  fitSeconds: number;
  /** Process CPU time of the fit: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  accuracy: number;
  peakRssMiB: number;
  rssAfterDataMiB: number;
  /** Nodes per tree, averaged over the trees. */
  meanNodes: number;
  /** scikit-learn's oob_score_ when the config asked for it. */
  oob?: number;
}

/** The scikit-learn version, or null when python3 cannot import sklearn. */
export function sklearnVersion(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function bytes(a: Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** The train/test rows written once to a temporary folder for python to read. */
export class SklearnData {
  /** Folder holding meta.json, train.X.f32, train.y.i32, test.X.f32, test.y.i32. */
  readonly dir: string;

  constructor(train: Table, test: Table) {
    this.dir = mkdtempSync(join(tmpdir(), 'de2-forest-bench-'));
    writeFileSync(join(this.dir, 'meta.json'), JSON.stringify({ nFeatures: train.nFeatures }));
    writeFileSync(join(this.dir, 'train.X.f32'), bytes(train.X));
    writeFileSync(join(this.dir, 'train.y.i32'), bytes(train.y));
    writeFileSync(join(this.dir, 'test.X.f32'), bytes(test.X));
    writeFileSync(join(this.dir, 'test.y.i32'), bytes(test.y));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One python process that loaded the data once and fits one config per `fit` call
 * (scikit-learn, n_jobs=1, random_state=0), so that its repeats can interleave with de2's.
 */
export class SklearnProcess {
  private readonly child: ChildProcess;
  private readonly lines: AsyncIterator<string>;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }

  /** Starts python on `data` and waits until it has loaded it. */
  static async start(data: SklearnData): Promise<SklearnProcess> {
    const child = spawn(PYTHON, [SCRIPT, data.dir], { stdio: ['pipe', 'pipe', 'inherit'] });
    const p = new SklearnProcess(child);
    await p.next(); // the version line: data loaded
    return p;
  }

  private async next(): Promise<Record<string, unknown>> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`sklearn_forest.py ended early (exit ${this.child.exitCode})`);
    return JSON.parse(r.value) as Record<string, unknown>;
  }

  async fit(c: Config): Promise<SklearnResult> {
    this.child.stdin!.write(JSON.stringify(c) + '\n');
    return (await this.next()) as unknown as SklearnResult;
  }

  async close(): Promise<void> {
    const closed = new Promise((res) => this.child.once('close', res));
    this.child.stdin!.end();
    await closed;
  }
}
