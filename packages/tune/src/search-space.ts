import { Rng } from './rng.js';

/** A list of values searched exhaustively: every combination of grids is one trial. */
export interface GridSearch<T> {
  readonly kind: 'grid';
  readonly values: readonly T[];
}

/** A value drawn at random for each trial. Plain data, so a search space can be saved. */
export type Domain =
  | { readonly kind: 'choice'; readonly values: readonly unknown[] }
  | { readonly kind: 'uniform'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'quniform'; readonly lo: number; readonly hi: number; readonly q: number }
  | { readonly kind: 'loguniform'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'randint'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'qrandint'; readonly lo: number; readonly hi: number; readonly q: number }
  | { readonly kind: 'randn'; readonly mean: number; readonly sd: number };

/** A value computed from the rest of the trial's config (resolved after every other value). */
export interface SampleFrom<T> {
  readonly kind: 'sampleFrom';
  readonly fn: (config: Record<string, unknown>) => T;
}

/** The shape of `paramSpace`: constants, grids, domains, `sampleFrom` and nested objects. */
export type ParamSpace = Record<string, unknown>;

function finite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number`);
  }
  return value;
}

function range(fn: string, lo: unknown, hi: unknown): [number, number] {
  const l = finite(`${fn}(lo, hi): lo`, lo);
  const h = finite(`${fn}(lo, hi): hi`, hi);
  if (!(l < h)) throw new RangeError(`${fn}(lo, hi): lo must be less than hi`);
  return [l, h];
}

function positive(name: string, value: unknown): number {
  const v = finite(name, value);
  if (v <= 0) throw new RangeError(`${name} must be greater than 0`);
  return v;
}

/** Marks `values` for exhaustive search (like `tune.grid_search`). */
export function grid<T>(values: readonly T[]): GridSearch<T> {
  if (!Array.isArray(values) || values.length === 0) {
    throw new RangeError('grid(values): values must be a non-empty array');
  }
  return { kind: 'grid', values };
}

/** One of `values`, uniformly at random. */
export function choice<T>(values: readonly T[]): Domain {
  if (!Array.isArray(values) || values.length === 0) {
    throw new RangeError('choice(values): values must be a non-empty array');
  }
  return { kind: 'choice', values };
}

/** A float uniformly in [lo, hi). */
export function uniform(lo: number, hi: number): Domain {
  const [l, h] = range('uniform', lo, hi);
  return { kind: 'uniform', lo: l, hi: h };
}

/** A float uniformly in [lo, hi], rounded to a multiple of `q`. */
export function quniform(lo: number, hi: number, q: number): Domain {
  const [l, h] = range('quniform', lo, hi);
  return { kind: 'quniform', lo: l, hi: h, q: positive('quniform(lo, hi, q): q', q) };
}

/** A float in [lo, hi) whose logarithm is uniform. */
export function loguniform(lo: number, hi: number): Domain {
  const [l, h] = range('loguniform', lo, hi);
  if (l <= 0) throw new RangeError('loguniform(lo, hi): lo must be greater than 0');
  return { kind: 'loguniform', lo: l, hi: h };
}

/** An integer in [lo, hi): `hi` is exclusive, as in Ray Tune. */
export function randint(lo: number, hi: number): Domain {
  const [l, h] = range('randint', lo, hi);
  if (!Number.isInteger(l) || !Number.isInteger(h))
    throw new TypeError('randint(lo, hi): lo and hi must be integers');
  return { kind: 'randint', lo: l, hi: h };
}

/** An integer in [lo, hi] rounded to a multiple of `q`: `hi` is inclusive, as in Ray Tune. */
export function qrandint(lo: number, hi: number, q = 1): Domain {
  const [l, h] = range('qrandint', lo, hi);
  if (!Number.isInteger(l) || !Number.isInteger(h) || !Number.isInteger(q)) {
    throw new TypeError('qrandint(lo, hi, q): lo, hi and q must be integers');
  }
  return { kind: 'qrandint', lo: l, hi: h, q: positive('qrandint(lo, hi, q): q', q) };
}

/** A float drawn from a normal distribution. */
export function randn(mean = 0, sd = 1): Domain {
  return {
    kind: 'randn',
    mean: finite('randn(mean, sd): mean', mean),
    sd: positive('randn(mean, sd): sd', sd),
  };
}

/** A value computed from the trial's other (already resolved) values. */
export function sampleFrom<T>(fn: (config: Record<string, unknown>) => T): SampleFrom<T> {
  if (typeof fn !== 'function') throw new TypeError('sampleFrom(fn): fn must be a function');
  return { kind: 'sampleFrom', fn };
}

const DOMAIN_KINDS = new Set(['choice', 'uniform', 'quniform', 'loguniform', 'randint', 'qrandint', 'randn']);

export function isGrid(value: unknown): value is GridSearch<unknown> {
  return isTagged(value) && value.kind === 'grid';
}

export function isDomain(value: unknown): value is Domain {
  return isTagged(value) && DOMAIN_KINDS.has(value.kind as string);
}

export function isSampleFrom(value: unknown): value is SampleFrom<unknown> {
  return isTagged(value) && value.kind === 'sampleFrom' && typeof value.fn === 'function';
}

function isTagged(value: unknown): value is { kind: unknown; [k: string]: unknown } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string'
  );
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** `value` rounded to a multiple of `q`. */
export function roundTo(value: number, q: number): number {
  // Rounding through the inverse keeps 0.1-style steps free of float noise (0.30000000000000004).
  const r = Math.round(value / q) * q;
  const digits = Math.max(0, Math.ceil(-Math.log10(q)) + 1);
  return Number(r.toFixed(Math.min(digits, 15)));
}

/** Draws one value of `domain`. */
export function sampleDomain(domain: Domain, rng: Rng): unknown {
  switch (domain.kind) {
    case 'choice':
      return domain.values[rng.int(0, domain.values.length)];
    case 'uniform':
      return domain.lo + rng.next() * (domain.hi - domain.lo);
    case 'quniform':
      return roundTo(domain.lo + rng.next() * (domain.hi - domain.lo), domain.q);
    case 'loguniform': {
      const a = Math.log(domain.lo);
      const b = Math.log(domain.hi);
      return Math.exp(a + rng.next() * (b - a));
    }
    case 'randint':
      return rng.int(domain.lo, domain.hi);
    case 'qrandint': {
      const steps = Math.floor((domain.hi - domain.lo) / domain.q);
      return domain.lo + domain.q * rng.int(0, steps + 1);
    }
    case 'randn':
      return rng.normal(domain.mean, domain.sd);
  }
}

/**
 * The cartesian product of every grid in `space` (nested objects included), in order: the
 * last grid varies fastest. Values that are not grids are copied as they are.
 */
export function gridVariants(space: Record<string, unknown>): Record<string, unknown>[] {
  let variants: Record<string, unknown>[] = [{}];
  for (const [key, value] of Object.entries(space)) {
    const options = isGrid(value) ? value.values : isPlainObject(value) ? gridVariants(value) : [value];
    variants = variants.flatMap((partial) => options.map((option) => ({ ...partial, [key]: option })));
  }
  return variants;
}

/** Replaces every random domain in `variant` by a draw; `sampleFrom` values come last. */
export function resolveVariant(variant: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const drawn = drawDomains(variant, rng);
  resolveSampleFrom(drawn, drawn);
  return drawn;
}

function drawDomains(node: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (isDomain(value)) out[key] = sampleDomain(value, rng);
    else if (isPlainObject(value)) out[key] = drawDomains(value, rng);
    else out[key] = value;
  }
  return out;
}

function resolveSampleFrom(node: Record<string, unknown>, root: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(node)) {
    if (isSampleFrom(value)) node[key] = value.fn(root);
    else if (isPlainObject(value)) resolveSampleFrom(value, root);
  }
}

/**
 * Every trial config of `space`: the grid repeated `numSamples` times, random values drawn
 * afresh each time from a generator seeded with `seed` (so the same seed gives the same list).
 */
export function generateVariants(
  space: ParamSpace,
  options: { numSamples?: number; seed?: number } = {},
): Record<string, unknown>[] {
  const numSamples = options.numSamples ?? 1;
  if (!Number.isInteger(numSamples) || numSamples < 1) {
    throw new RangeError('options.numSamples must be a positive integer');
  }
  const rng = new Rng(options.seed);
  const variants = gridVariants(space);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < numSamples; i++) {
    for (const variant of variants) out.push(resolveVariant(variant, rng));
  }
  return out;
}
