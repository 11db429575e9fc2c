import { expect } from 'chai';
import { idSetAdd, idSetDelete, idSetHas, idSetSize, idSetValues, type IdSet } from '../src/head/id-set.js';

describe('IdSet (the holders, locations and subscribers of a directory entry)', () => {
  it('holds nothing, one id or many, like a Set, and shrinks back to the id itself', () => {
    let s: IdSet = undefined;
    expect(idSetSize(s)).to.equal(0);
    s = idSetAdd(s, 'a');
    expect(s).to.equal('a');
    s = idSetAdd(s, 'a');
    expect(idSetValues(s)).to.deep.equal(['a']);
    s = idSetAdd(s, 'b');
    s = idSetAdd(s, 'c');
    expect(idSetSize(s)).to.equal(3);
    expect(idSetHas(s, 'b')).to.equal(true);
    expect(idSetHas(s, 'z')).to.equal(false);
    s = idSetDelete(s, 'b');
    s = idSetDelete(s, 'z');
    expect(idSetValues(s).sort()).to.deep.equal(['a', 'c']);
    s = idSetDelete(s, 'a');
    expect(s).to.equal('c');
    s = idSetDelete(s, 'c');
    expect(s).to.equal(undefined);
    expect(idSetValues(s)).to.deep.equal([]);
  });
});
