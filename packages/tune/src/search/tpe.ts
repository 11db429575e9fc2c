import { Rng } from '../rng.js';
import { isDomain, isGrid, isPlainObject, isSampleFrom, roundTo, type Domain } from '../search-space.js';
import type { TrialResult } from '../trial.js';
import { checkMode, readMetric } from '../schedulers/scheduler.js';
import { categoricalParzen, gaussianParzen, type Parzen } from './parzen.js';
import type { SearchAlgorithm, SearchProperties } from './search-algorithm.js';

/** Options of {@link TPESearch}. */
export interface TPEOptions {
  /** Defaults to the Tuner's metric. */
  metric?: string;
  mode?: 'min' | 'max';
  /** Random configs before the model is used. @default 10 */
  nStartupTrials?: number;
  /** Fraction of observations counted as good (at most 25 of them, as in Optuna). @default 0.1 */
  gamma?: number;
  /** Candidates drawn from the good model per suggestion. @default 24 */
  nCandidates?: number;
  /** Defaults to the Tuner's seed. */
  seed?: number;
}

/** A searchable leaf: its path, and how a value maps to TPE's internal continuous (or index) space. */
interface Dimension {
  readonly path: string[];
  readonly key: string;
  readonly categories?: readonly unknown[];
  readonly lo: number;
  readonly hi: number;
  toValue(x: number): unknown;
}

interface Observation {
  readonly x: Record<string, number>;
  readonly loss: number;
}

interface TPEState {
  readonly options: TPEOptions;
  readonly rng: number;
  readonly observations: Observation[];
  readonly pending: Record<string, Record<string, number>>;
}

function dimension(path: string[], d: Domain | { kind: 'grid'; values: readonly unknown[] }): Dimension {
  const key = path.join('.');
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
  switch (d.kind) {
    case 'grid':
    case 'choice':
      return { path, key, categories: d.values, lo: 0, hi: d.values.length - 1, toValue: (x) => d.values[x] };
    case 'uniform':
      return { path, key, lo: d.lo, hi: d.hi, toValue: (x) => x };
    case 'quniform':
      return { path, key, lo: d.lo, hi: d.hi, toValue: (x) => clamp(roundTo(x, d.q), d.lo, d.hi) };
    case 'loguniform':
      return { path, key, lo: Math.log(d.lo), hi: Math.log(d.hi), toValue: (x) => Math.exp(x) };
    case 'randint':
      return {
        path,
        key,
        lo: d.lo - 0.5,
        hi: d.hi - 0.5,
        toValue: (x) => clamp(Math.round(x), d.lo, d.hi - 1),
      };
    case 'qrandint':
      return {
        path,
        key,
        lo: d.lo - d.q / 2,
        hi: d.hi + d.q / 2,
        toValue: (x) => clamp(d.lo + d.q * Math.round((x - d.lo) / d.q), d.lo, d.hi),
      };
    case 'randn':
      return { path, key, lo: d.mean - 4 * d.sd, hi: d.mean + 4 * d.sd, toValue: (x) => x };
  }
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011): after `nStartupTrials` random
 * configs, observations are split into the best `gamma` fraction and the rest; each
 * dimension gets a Parzen density l(x) for the good and g(x) for the others, and the
 * candidate drawn from l with the highest l(x)/g(x) is suggested. Grids count as choices.
 */
export class TPESearch implements SearchAlgorithm {
  readonly name = 'TPESearch';
  private readonly options: TPEOptions;
  private rng: Rng;
  private space: Record<string, unknown> = {};
  private dims: Dimension[] = [];
  private metric = '';
  private sign = 1;
  private observations: Observation[] = [];
  private readonly pending = new Map<string, Record<string, number>>();
  private seeded: boolean;

  constructor(options: TPEOptions = {}) {
    checkMode('options.mode', options.mode);
    const gamma = options.gamma ?? 0.1;
    if (!(gamma > 0 && gamma < 1)) throw new RangeError('options.gamma must be between 0 and 1');
    this.options = options;
    this.seeded = options.seed !== undefined;
    this.rng = new Rng(options.seed);
  }

  setSearchProperties(props: SearchProperties): void {
    const metric = this.options.metric ?? props.metric;
    const mode = this.options.mode ?? props.mode;
    if (metric === undefined || mode === undefined) {
      throw new TypeError('TPESearch needs a metric and a mode: set them on it or in tuneConfig');
    }
    this.metric = metric;
    this.sign = mode === 'min' ? 1 : -1;
    this.space = props.paramSpace;
    this.dims = [];
    this.collect(props.paramSpace, []);
    if (!this.seeded && props.seed !== undefined) {
      this.rng = new Rng(props.seed);
      this.seeded = true;
    }
  }

  private collect(node: Record<string, unknown>, path: string[]): void {
    for (const [k, v] of Object.entries(node)) {
      if (isDomain(v) || isGrid(v)) this.dims.push(dimension([...path, k], v));
      else if (isPlainObject(v)) this.collect(v, [...path, k]);
    }
  }

  suggest(trialId: string): Record<string, unknown> {
    const x: Record<string, number> = {};
    const nStartup = this.options.nStartupTrials ?? 10;
    const useModel = this.observations.length >= Math.max(nStartup, 2);
    const sorted = useModel ? [...this.observations].sort((a, b) => a.loss - b.loss) : [];
    const nGood = Math.max(1, Math.min(25, Math.ceil((this.options.gamma ?? 0.1) * sorted.length)));
    for (const dim of this.dims) {
      if (!useModel) {
        x[dim.key] = dim.categories
          ? this.rng.int(0, dim.categories.length)
          : dim.lo + this.rng.next() * (dim.hi - dim.lo);
        continue;
      }
      const values = (obs: Observation[]) =>
        obs.map((o) => o.x[dim.key]).filter((v): v is number => v !== undefined);
      const build = (v: number[]): Parzen =>
        dim.categories ? categoricalParzen(v, dim.categories.length) : gaussianParzen(v, dim.lo, dim.hi);
      const good = build(values(sorted.slice(0, nGood)));
      const bad = build(values(sorted.slice(nGood)));
      let best = good.sample(this.rng);
      let bestScore = -Infinity;
      for (let i = 0; i < (this.options.nCandidates ?? 24); i++) {
        const c = good.sample(this.rng);
        const score = good.logDensity(c) - bad.logDensity(c);
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      }
      x[dim.key] = best;
    }
    this.pending.set(trialId, x);
    return this.materialize(x);
  }

  private materialize(x: Record<string, number>): Record<string, unknown> {
    const byKey = new Map(this.dims.map((d) => [d.key, d]));
    const build = (node: Record<string, unknown>, path: string[]): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        const dim = byKey.get([...path, k].join('.'));
        if (dim) out[k] = dim.toValue(x[dim.key] ?? dim.lo);
        else if (isPlainObject(v) && !isSampleFrom(v)) out[k] = build(v, [...path, k]);
        else out[k] = v;
      }
      return out;
    };
    const config = build(this.space, []);
    const resolve = (node: Record<string, unknown>) => {
      for (const [k, v] of Object.entries(node)) {
        if (isSampleFrom(v)) node[k] = v.fn(config);
        else if (isPlainObject(v)) resolve(v);
      }
    };
    resolve(config);
    return config;
  }

  onTrialResult(): void {}

  onTrialComplete(trialId: string, result: TrialResult | undefined, error: boolean): void {
    const x = this.pending.get(trialId);
    this.pending.delete(trialId);
    if (!x || error || !result) return;
    const value = readMetric(result, this.metric);
    if (value !== undefined) this.observations.push({ x, loss: this.sign * value });
  }

  /** How many completed trials the model has seen. */
  get numObservations(): number {
    return this.observations.length;
  }

  save(): TPEState {
    return {
      options: this.options,
      rng: this.rng.getState(),
      observations: this.observations,
      pending: Object.fromEntries(this.pending),
    };
  }

  restore(state: unknown): void {
    const s = state as TPEState;
    if (!s || typeof s.rng !== 'number' || !Array.isArray(s.observations)) {
      throw new TypeError('TPESearch.restore: state must come from save()');
    }
    this.rng.setState(s.rng);
    this.seeded = true;
    this.observations = s.observations;
    this.pending.clear();
    for (const [id, x] of Object.entries(s.pending ?? {})) this.pending.set(id, x);
  }
}
