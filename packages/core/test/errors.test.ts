import { expect } from 'chai';
import {
  ErrorCode,
  GetTimeoutError,
  TaskError,
  fromWire,
  toWire,
  De2Error,
  ObjectLostError,
} from '@de2/core';

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
});
