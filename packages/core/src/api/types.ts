import type { ObjectRef } from '../protocol/object-ref.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- generic bounds for any function or class */
/** Any function that can be made remote. */
export type AnyFunction = (...args: any[]) => any;
/** Any class that can be made an actor. */
export type AnyClass = abstract new (...args: any[]) => any;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Each parameter may be given as its value or as a ref to one. */
export type RemoteArgs<A extends readonly unknown[]> = { [K in keyof A]: A[K] | ObjectRef<A[K]> };

/** What `.remote()` returns for a function returning `R` with `numReturns: N`. */
export type RemoteReturn<R, N extends number> = [N] extends [1]
  ? ObjectRef<R>
  : R extends readonly unknown[]
    ? { -readonly [K in keyof R]: ObjectRef<R[K]> }
    : ObjectRef<unknown>[];

/** The value types of a list of refs, in order. */
export type ValuesOf<R extends readonly ObjectRef<unknown>[]> = {
  -readonly [K in keyof R]: R[K] extends ObjectRef<infer U> ? U : never;
};

/** A method of an actor handle: `handle.method.remote(...args)`. */
export interface ActorMethod<F extends AnyFunction> {
  remote(...args: RemoteArgs<Parameters<F>>): ObjectRef<Awaited<ReturnType<F>>>;
}

type MethodKeys<T> = { [K in keyof T]: T[K] extends AnyFunction ? K : never }[keyof T];

/** A handle to a running actor; pass it to tasks and other actors like a ref. */
export type ActorHandle<T> = {
  readonly [K in MethodKeys<T>]: T[K] extends AnyFunction ? ActorMethod<T[K]> : never;
} & {
  /** The actor's id in the cluster. */
  readonly actorId: string;
};
