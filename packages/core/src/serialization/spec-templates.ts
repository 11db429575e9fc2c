/**
 * Decoded task specs that share a template (protocol/task-spec.ts), as a driver's do: a
 * head or a node decodes its own copy of every spec it receives, and keeps it while the
 * task is queued, runs, and (on the head) in the lineage. The 17 fields that every call of
 * one function (or of one actor method) has in common live in one template per distinct
 * set of values; each spec holds only its 5 per-call fields (taskId, args, refArgIndexes,
 * refArgIds, returnIds). Reading a field is the same as on a plain spec.
 *
 * Such specs must not be spread, enumerated or structured-cloned (they would lose their
 * template fields): copy one with `respec`. Decoded specs never cross a MessagePort: the
 * node hands a worker thread a `WorkerTask` built field by field (node/task-runner.ts).
 */
import type { TaskSpec } from '../protocol/messages.js';
import { specMaker, type SpecMaker, type SpecTemplate } from '../protocol/task-spec.js';

interface Entry {
  template: SpecTemplate;
  make: SpecMaker;
}

/**
 * Templates by the values of their fields. Bounded: actor calls differ in `actorId` and
 * `method`, so a cluster with many actors has many; past TEMPLATES_MAX the oldest entry is
 * dropped (its specs keep their template; a later spec with the same values gets a new one).
 */
const templates = new Map<string, Entry>();
export const TEMPLATES_MAX = 4096;

/** The number of cached templates (tests). */
export function templateCount(): number {
  return templates.size;
}

/** Drops every cached template (tests). */
export function clearTemplates(): void {
  templates.clear();
}

/** `resources` by content: '' for none (the common case), else JSON of its sorted entries. */
function resourcesKey(r: Record<string, number>): string {
  let empty = true;
  for (const _ in r) {
    empty = false;
    break;
  }
  if (empty) return '';
  const names = Object.keys(r).sort();
  return JSON.stringify(names.map((n) => [n, r[n]]));
}

function sameResources(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !Object.is(a[k], b[k])) return false;
  return true;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether `t` holds exactly the shared values of `s` (a key collision, e.g. a name with
 * the key's separator in it, must not hand a spec another function's fields).
 */
function matches(t: SpecTemplate, s: TaskSpec): boolean {
  return (
    t.kind === s.kind &&
    t.functionHash === s.functionHash &&
    t.name === s.name &&
    t.ownerId === s.ownerId &&
    Object.is(t.numCpus, s.numCpus) &&
    Object.is(t.memory, s.memory) &&
    Object.is(t.maxRetries, s.maxRetries) &&
    t.retryExceptions === s.retryExceptions &&
    t.actorId === s.actorId &&
    t.method === s.method &&
    t.actorName === s.actorName &&
    Object.is(t.maxRestarts, s.maxRestarts) &&
    Object.is(t.maxTaskRetries, s.maxTaskRetries) &&
    Object.is(t.maxConcurrency, s.maxConcurrency) &&
    t.scheduling === s.scheduling &&
    sameStrings(t.methodNames, s.methodNames) &&
    sameResources(t.resources, s.resources)
  );
}

const SEP = '\u0000';

/**
 * The spec to keep for a freshly decoded one (a plain object with all 22 fields, dropped
 * right after): the same values, its shared fields in a cached template.
 */
export function sharedSpec(s: TaskSpec): TaskSpec {
  const key =
    s.kind +
    SEP +
    s.functionHash +
    SEP +
    s.name +
    SEP +
    s.ownerId +
    SEP +
    s.numCpus +
    SEP +
    s.memory +
    SEP +
    resourcesKey(s.resources) +
    SEP +
    s.maxRetries +
    SEP +
    (s.retryExceptions ? 1 : 0) +
    SEP +
    s.actorId +
    SEP +
    s.method +
    SEP +
    s.actorName +
    SEP +
    s.maxRestarts +
    SEP +
    s.maxTaskRetries +
    SEP +
    s.maxConcurrency +
    SEP +
    s.methodNames.join(SEP) +
    SEP +
    s.methodNames.length +
    SEP +
    s.scheduling;
  let entry = templates.get(key);
  if (entry === undefined || !matches(entry.template, s)) {
    const template: SpecTemplate = {
      kind: s.kind,
      functionHash: s.functionHash,
      name: s.name,
      ownerId: s.ownerId,
      numCpus: s.numCpus,
      memory: s.memory,
      resources: s.resources,
      maxRetries: s.maxRetries,
      retryExceptions: s.retryExceptions,
      actorId: s.actorId,
      method: s.method,
      actorName: s.actorName,
      maxRestarts: s.maxRestarts,
      maxTaskRetries: s.maxTaskRetries,
      maxConcurrency: s.maxConcurrency,
      methodNames: s.methodNames,
      scheduling: s.scheduling,
    };
    entry = { template, make: specMaker(template) };
    if (!templates.has(key)) {
      if (templates.size >= TEMPLATES_MAX) templates.delete(templates.keys().next().value as string);
      templates.set(key, entry);
    }
  }
  return entry.make(s.taskId, s.args, s.refArgIndexes, s.refArgIds, s.returnIds);
}
