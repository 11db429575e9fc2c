// The pruner on random trees against a direct transcription of scikit-learn's loop (scan
// every candidate for the weakest link, ties to the first in preorder), in its own arrays
// and in lent memory. Internal modules: this tests the algorithm, not the API.
import { expect } from 'chai';
import { NodeStore } from '../src/node-store.js';
import { Pruner } from '../src/prune.js';

const K = 3;

function gini(c: number[]): number {
  const w = c.reduce((a, b) => a + b, 0);
  return 1 - c.reduce((s, x) => s + x * x, 0) / (w * w);
}

/** A random tree in a NodeStore (children after parents, as the builder adds them). */
function randomTree(seed: number): NodeStore {
  let s = seed;
  const rand = (): number => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
  const store = new NodeStore(K);
  const cw = new Float64Array(K).fill(1);
  // Grow breadth-first so the store order is not preorder.
  const counts = new Map<number, number[]>();
  const queue: [number, number][] = [];
  const root = store.add();
  queue.push([root, 0]);
  const pending: number[] = [];
  while (queue.length > 0) {
    const [node, depth] = queue.shift()!;
    if (depth >= 7 || (depth > 1 && rand() < 0.3)) {
      // Small integer counts make equal alphas (ties) common.
      const c: number[] = Array.from({ length: K }, () => Math.floor(rand() * 4));
      if (c.reduce((a, b) => a + b, 0) === 0) c[0] = 1;
      counts.set(node, c);
      store.setLeaf(node, Float64Array.from(c), cw);
    } else {
      const l = store.add();
      const r = store.add();
      store.setSplit(node, Math.floor(rand() * 5), 0.5, 0, l, r);
      pending.push(node);
      queue.push([l, depth + 1], [r, depth + 1]);
    }
  }
  for (let i = pending.length - 1; i >= 0; i--) {
    const n = pending[i]!;
    const a = counts.get(store.left[n]!)!;
    const b = counts.get(store.right[n]!)!;
    counts.set(
      n,
      a.map((x, c) => x + b[c]!),
    );
  }
  for (const [n, c] of counts)
    store.setStats(
      n,
      c.reduce((x, y) => x + y, 0),
      gini(c),
    );
  return store;
}

/** scikit-learn's pruning loop as written there, on the store's nodes renumbered in preorder. */
function reference(
  store: NodeStore,
  ccpAlpha: number,
): { alphas: number[]; impurities: number[]; kept: boolean[] } {
  const order: number[] = [];
  const visit = (i: number): void => {
    order.push(i);
    if (store.feature[i]! >= 0) {
      visit(store.left[i]!);
      visit(store.right[i]!);
    }
  };
  visit(0);
  const n = order.length;
  const pos = new Map(order.map((node, p) => [node, p]));
  const left = order.map((i) => (store.feature[i]! >= 0 ? pos.get(store.left[i]!)! : -1));
  const right = order.map((i) => (store.feature[i]! >= 0 ? pos.get(store.right[i]!)! : -1));
  const parent = new Array<number>(n).fill(-1);
  for (let p = 0; p < n; p++) if (left[p]! >= 0) parent[left[p]!] = parent[right[p]!] = p;
  const total = store.weight[0]!;
  const rNode = order.map((i) => (store.weight[i]! * store.impurity[i]!) / total);
  const rBranch = new Float64Array(n);
  const nLeaves = new Int32Array(n);
  const leaf = left.map((l) => l < 0);
  for (let p = 0; p < n; p++) {
    if (!leaf[p]) continue;
    rBranch[p] = rNode[p]!;
    for (let a = p; a !== 0; a = parent[a]!) {
      const q = parent[a]!;
      rBranch[q] = rBranch[q]! + rNode[p]!;
      nLeaves[q] = nLeaves[q]! + 1;
    }
  }
  const candidate = leaf.map((l) => !l);
  const inTree = new Array<boolean>(n).fill(true);
  const alphas = [0];
  const impurities = [rBranch[0]!];
  while (candidate[0]) {
    let best = Number.MAX_VALUE;
    let t = -1;
    for (let p = 0; p < n; p++) {
      if (!candidate[p]) continue;
      const a = (rNode[p]! - rBranch[p]!) / (nLeaves[p]! - 1);
      if (a < best) {
        best = a;
        t = p;
      }
    }
    if (ccpAlpha < best) break;
    const stack = [left[t]!, right[t]!];
    while (stack.length > 0) {
      const p = stack.pop()!;
      inTree[p] = false;
      candidate[p] = false;
      if (left[p]! >= 0) stack.push(left[p]!, right[p]!);
    }
    candidate[t] = false;
    const pruned = nLeaves[t]! - 1;
    nLeaves[t] = 0;
    const diff = rNode[t]! - rBranch[t]!;
    rBranch[t] = rNode[t]!;
    for (let a = parent[t]!; a >= 0; a = parent[a]!) {
      nLeaves[a] = nLeaves[a]! - pruned;
      rBranch[a] = rBranch[a]! + diff;
    }
    alphas.push(best);
    impurities.push(rBranch[0]!);
  }
  // The pruned tree's shape in preorder: internal where a split is left (still a candidate).
  const kept: boolean[] = [];
  const keep = (p: number): void => {
    expect(inTree[p]).to.equal(true);
    kept.push(candidate[p]!);
    if (candidate[p]) {
      keep(left[p]!);
      keep(right[p]!);
    }
  };
  keep(0);
  return { alphas, impurities, kept };
}

/** Preorder shape of the (pruned) tree in the store: true for an internal node. */
function shape(store: NodeStore): boolean[] {
  const out: boolean[] = [];
  const visit = (i: number): void => {
    out.push(store.feature[i]! >= 0);
    if (store.feature[i]! >= 0) {
      visit(store.left[i]!);
      visit(store.right[i]!);
    }
  };
  visit(0);
  return out;
}

describe('Pruner (weakest-link pruning) on random trees', () => {
  for (const lent of [false, true]) {
    it(`matches scikit-learn's loop, ties included, ${lent ? 'in lent memory' : 'in its own arrays'}`, () => {
      const pruner = new Pruner();
      let ties = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const lend = lent ? new ArrayBuffer(1 << 16) : null;
        const ref = reference(randomTree(seed), Infinity);
        const path = pruner.path(randomTree(seed), lend);
        expect(Array.from(path.ccpAlphas), `seed ${seed}`).to.deep.equal(ref.alphas);
        expect(Array.from(path.impurities), `seed ${seed}`).to.deep.equal(ref.impurities);
        ties += ref.alphas.length - new Set(ref.alphas).size;
        for (const j of [1, Math.floor(ref.alphas.length / 2), ref.alphas.length - 2]) {
          const alpha = ref.alphas[j]!;
          const store = randomTree(seed);
          const values = pruner.prune(store, alpha, lend);
          expect(pruner.borrowed).to.equal(lent);
          const expected = reference(randomTree(seed), alpha);
          const got = shape(store);
          expect(got, `seed ${seed}, alpha ${alpha}`).to.deep.equal(expected.kept);
          expect(values.length).to.equal(got.filter((internal) => !internal).length * K);
        }
      }
      expect(ties, 'equal alphas occur, so tie-breaking was exercised').to.be.greaterThan(0);
    });
  }
});
