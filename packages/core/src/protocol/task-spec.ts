import type { SerializedValue, TaskSpec } from './messages.js';

/** The fields each call of a function sets; the others are the same for every call. */
type PerCall = 'taskId' | 'args' | 'refArgIndexes' | 'refArgIds' | 'returnIds';

/**
 * The lists of a call without ref arguments (serialization/values.ts hands them out, and
 * `specMaker`'s prototypes hold them): one shared frozen pair, not two empty arrays a task.
 * Never changed: task specs are read, not edited.
 */
export const NO_INDEXES = Object.freeze([]) as readonly number[] as number[];
export const NO_IDS = Object.freeze([]) as readonly string[] as string[];

/** What every task of one function submitted by one client has in common. */
export type SpecTemplate = Omit<TaskSpec, PerCall>;

export type SpecMaker = (
  taskId: string,
  args: SerializedValue,
  refArgIndexes: number[],
  refArgIds: string[],
  returnIds: string[],
) => TaskSpec;

/** A spec of one return keeps its id, not a list of one (a million queued tasks' lists weigh 56 MB). */
interface OneReturn {
  returnId: string;
}

/**
 * The prototype's `returnIds`: a spec of one return builds its list when asked (the runtime
 * asks a couple of times a task); one that is given a list keeps it as its own field.
 */
const returnIdsField: PropertyDescriptor = {
  get(this: OneReturn): string[] {
    return [this.returnId];
  },
  set(this: TaskSpec, ids: string[]) {
    Object.defineProperty(this, 'returnIds', {
      value: ids,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  },
  enumerable: false,
  configurable: true,
};

/**
 * Specs that keep the fields shared by every call of one function in one prototype, the
 * template: a spec then holds 3 own fields (48 bytes: its task id, its arguments and its one
 * return id; 5 with ref arguments) instead of all 22 (200 bytes) and a list, which is what a
 * million queued tasks weigh in the driver and the embedded head. Reading a field is the same
 * either way; the wire encoders read fields by name. Such specs must not cross a MessagePort
 * (a structured clone keeps own fields only): only a driver's client, whose channel to its
 * node is in-process, and the wire decoder make them. Copy one with `respec`, not a spread.
 */
export function specMaker(template: SpecTemplate): SpecMaker {
  // A constructor of its own: V8 sizes its objects to the fields it sets.
  function Spec(
    this: TaskSpec & OneReturn,
    taskId: string,
    args: SerializedValue,
    refArgIndexes: number[],
    refArgIds: string[],
    returnIds: string[],
  ) {
    this.taskId = taskId;
    this.args = args;
    if (returnIds.length === 1) this.returnId = returnIds[0]!;
    else this.returnIds = returnIds;
    // Most calls pass no refs: theirs are the prototype's empty lists.
    if (refArgIds.length > 0) {
      this.refArgIndexes = refArgIndexes;
      this.refArgIds = refArgIds;
    }
  }
  const proto = { ...template, refArgIndexes: NO_INDEXES, refArgIds: NO_IDS };
  Object.defineProperty(proto, 'returnIds', returnIdsField);
  Spec.prototype = proto;
  const Make = Spec as unknown as new (...a: Parameters<SpecMaker>) => TaskSpec;
  return (...a) => new Make(...a);
}

/** A copy of `task` with `patch` applied, template fields included (a spread would drop them). */
export function respec(task: TaskSpec, patch: Partial<TaskSpec>): TaskSpec {
  return Object.assign(Object.create(Object.getPrototypeOf(task) as object) as TaskSpec, task, patch);
}
