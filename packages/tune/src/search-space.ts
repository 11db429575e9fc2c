/** A list of values searched exhaustively: every combination of grids is one trial. */
export interface GridSearch<T> {
  readonly kind: 'grid';
  readonly values: readonly T[];
}

/** Marks `values` for exhaustive search. */
export function grid<T>(values: readonly T[]): GridSearch<T> {
  if (!Array.isArray(values) || values.length === 0) {
    throw new RangeError('grid(values): values must be a non-empty array');
  }
  return { kind: 'grid', values };
}

function isGrid(value: unknown): value is GridSearch<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'grid';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
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
