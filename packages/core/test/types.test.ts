// Type tests: checked by `npx tsc -p tsconfig.test.json`; each @ts-expect-error must be an error.
import { expect } from 'chai';
import { remote, put, get, type ObjectRef, type ActorHandle } from '@de2/core';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_ok: T) => {};

describe('types', () => {
  it('types remote functions, refs, get and actor handles', () => {
    const f = remote((a: number, b: string) => `${b}${a}`);
    const g = remote(async (n: number) => n * 2);
    const asType = () => {
      const r = f.remote(1, 'x');
      assertType<Equal<typeof r, ObjectRef<string>>>(true);
      f.remote(put(1), put('x')); // refs of the right types are accepted
      // @ts-expect-error a string is not a number
      f.remote('1', 'x');
      // @ts-expect-error a ref to a string is not a ref to a number
      f.remote(put('1'), 'x');
      // @ts-expect-error missing argument
      f.remote(1);
      const p = g.remote(2);
      assertType<Equal<typeof p, ObjectRef<number>>>(true); // unwrapped from the promise
      const _both = get([r, p]);
      assertType<Equal<typeof _both, Promise<[string, number]>>>(true);
      const _pair = remote((n: number) => [n, String(n)] as [number, string], { numReturns: 2 }).remote(1);
      assertType<Equal<typeof _pair, [ObjectRef<number>, ObjectRef<string>]>>(true);

      const Counter = remote(
        class {
          n = 0;
          inc(k: number) {
            return (this.n += k);
          }
          async name() {
            return 'c';
          }
        },
      );
      const c = Counter.remote();
      const h: ActorHandle<{ n: number; inc(k: number): number; name(): Promise<string> }> = c;
      expect(h.actorId).to.be.a('string');
      const _n = c.inc.remote(1);
      assertType<Equal<typeof _n, ObjectRef<number>>>(true);
      const _s = c.name.remote();
      assertType<Equal<typeof _s, ObjectRef<string>>>(true);
      // @ts-expect-error wrong argument type for a method
      c.inc.remote('1');
      // @ts-expect-error no such method
      c.dec.remote(1);
      // @ts-expect-error constructor takes no arguments
      Counter.remote(1);
    };
    expect(asType).to.be.a('function'); // the checks are at compile time
  });
});
