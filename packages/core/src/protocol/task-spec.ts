import type { SerializedValue, TaskSpec } from './messages.js';

/** The fields each call of a function sets; the others are the same for every call. */
type PerCall = 'taskId' | 'args' | 'refArgIndexes' | 'refArgIds' | 'returnIds';

/** What every task of one function submitted by one client has in common. */
export type SpecTemplate = Omit<TaskSpec, PerCall>;

export type SpecMaker = (
  taskId: string,
  args: SerializedValue,
  refArgIndexes: number[],
  refArgIds: string[],
  returnIds: string[],
) => TaskSpec;

/**
 * Specs that keep the fields shared by every call of one function in one prototype, the
 * template: a spec then holds its 5 own fields (64 bytes) instead of all 22 (200 bytes),
 * which is what a million queued tasks weigh in the driver and the embedded head. Reading a
 * field is the same either way; the wire encoders read fields by name. Such specs must not
 * cross a MessagePort (a structured clone keeps own fields only): only a driver's client,
 * whose channel to its node is in-process, makes them. Copy one with `respec`, not a spread.
 */
export function specMaker(template: SpecTemplate): SpecMaker {
  // A constructor of its own: V8 sizes its objects to the 5 fields it sets.
  function Spec(
    this: TaskSpec,
    taskId: string,
    args: SerializedValue,
    refArgIndexes: number[],
    refArgIds: string[],
    returnIds: string[],
  ) {
    this.taskId = taskId;
    this.args = args;
    this.refArgIndexes = refArgIndexes;
    this.refArgIds = refArgIds;
    this.returnIds = returnIds;
  }
  Spec.prototype = template;
  const Make = Spec as unknown as new (...a: Parameters<SpecMaker>) => TaskSpec;
  return (...a) => new Make(...a);
}

/** A copy of `task` with `patch` applied, template fields included (a spread would drop them). */
export function respec(task: TaskSpec, patch: Partial<TaskSpec>): TaskSpec {
  return Object.assign(Object.create(Object.getPrototypeOf(task) as object) as TaskSpec, task, patch);
}
