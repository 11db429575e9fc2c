/**
 * A set of ids (nodes, clients) that costs nothing while empty and only the id while it
 * holds one, which is what nearly every object of the directory has: one location, one
 * holder, no subscriber once ready. Three `Set`s per object cost about 500 bytes, a
 * million queued tasks' results half a gigabyte.
 */
export type IdSet = undefined | string | Set<string>;

export function idSetAdd(s: IdSet, id: string): IdSet {
  if (s === undefined || s === id) return id;
  if (typeof s === 'string') return new Set([s, id]);
  s.add(id);
  return s;
}

export function idSetDelete(s: IdSet, id: string): IdSet {
  if (s === undefined || typeof s === 'string') return s === id ? undefined : s;
  s.delete(id);
  if (s.size > 1) return s;
  return s.size === 1 ? (s.values().next().value as string) : undefined;
}

export function idSetHas(s: IdSet, id: string): boolean {
  return s === id || (typeof s === 'object' && s.has(id));
}

export function idSetSize(s: IdSet): number {
  return s === undefined ? 0 : typeof s === 'string' ? 1 : s.size;
}

/** The ids as a new array (callers may keep it). */
export function idSetValues(s: IdSet): string[] {
  return s === undefined ? [] : typeof s === 'string' ? [s] : [...s];
}
