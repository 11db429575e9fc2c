import { expect } from 'chai';
import {
  ErrorCode,
  GetTimeoutError,
  TaskError,
  De2Error,
  ObjectLostError,
  NotInitializedError,
  AlreadyInitializedError,
  ActorDiedError,
  init,
  shutdown,
  get,
  put,
} from '@de2/core';
import { fromWire, toWire, wireError } from '@de2/core/internal';

describe('errors', () => {
  it('turn a user error into a TaskError that keeps its name, message and stack', () => {
    class ValidationError extends Error {
      override name = 'ValidationError';
    }
    const wire = toWire(new ValidationError('bad row 7'), 'train');
    expect(wire.code).to.equal(ErrorCode.TASK_ERROR);
    const error = fromWire(structuredClone(wire), 'at caller (driver.ts:1:1)');
    expect(error).to.be.instanceOf(TaskError);
    const taskError = error as TaskError;
    expect(taskError.remoteName).to.equal('ValidationError');
    expect(taskError.message).to.equal('train failed: ValidationError: bad row 7');
    expect(taskError.stack).to.contain('errors.test.ts').and.contain('driver.ts:1:1');
  });

  it('keep class, code and context of de2 errors across the wire', () => {
    const wire = toWire(new ObjectLostError('object abc lost', { objectId: 'abc', nodeId: 'n1' }));
    const back = fromWire(structuredClone(wire));
    expect(back).to.be.instanceOf(ObjectLostError).and.instanceOf(De2Error);
    expect(back.code).to.equal('OBJECT_LOST');
    expect(back.objectId).to.equal('abc');
    expect(back.nodeId).to.equal('n1');
    expect(new GetTimeoutError('x').name).to.equal('GetTimeoutError');
  });

  it('wrap thrown non-errors as TaskError', () => {
    const back = fromWire(toWire('just a string', 'f'));
    expect(back).to.be.instanceOf(TaskError);
    expect(back.message).to.contain('just a string');
  });

  it('make every wire error with a name derived from its code, so fromWire rebuilds that class', () => {
    for (const code of Object.values(ErrorCode)) {
      if (code === ErrorCode.TASK_ERROR) continue;
      const wire = wireError(code, 'why');
      const back = fromWire(structuredClone(wire));
      expect(back.code).to.equal(code);
      expect(back.name, code).to.equal(wire.name);
      expect(back.message).to.equal('why');
    }
    const died = wireError(ErrorCode.NODE_DIED, 'node n1 died', { nodeId: 'n1', stack: 'at x' });
    const actor = wireError(ErrorCode.ACTOR_DIED, 'actor a1 died with its node', { ...died, actorId: 'a1' });
    expect(actor).to.deep.equal({
      code: ErrorCode.ACTOR_DIED,
      name: 'ActorDiedError',
      message: 'actor a1 died with its node',
      nodeId: 'n1',
      actorId: 'a1',
      stack: 'at x',
    });
    expect(fromWire(actor)).to.be.instanceOf(ActorDiedError);
  });

  it('give the API used out of order a code: before init, and init twice', async () => {
    expect(() => put(1))
      .to.throw(NotInitializedError)
      .with.property('code', ErrorCode.NOT_INITIALIZED);
    await init({ numCpus: 1 });
    try {
      expect(await get(put(2))).to.equal(2);
      const again = await init({ numCpus: 1 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(again)
        .to.be.instanceOf(AlreadyInitializedError)
        .with.property('code', ErrorCode.ALREADY_INITIALIZED);
    } finally {
      await shutdown();
    }
  });
});
