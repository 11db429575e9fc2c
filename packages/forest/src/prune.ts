import { normalizeRows, type NodeStore } from './node-store.js';

/** scikit-learn's `cost_complexity_pruning_path` of one tree. */
export interface PruningPath {
  /** Effective alphas of the subtrees, in pruning order, starting with 0 (the whole tree). */
  readonly ccpAlphas: Float64Array;
  /** Sum of the leaves' weighted impurities of the subtree at each alpha. */
  readonly impurities: Float64Array;
}

/** Work memory per node: rBranch, alpha (8 bytes); parent, rank, nLeaves, heap, heapPos, stack (4); state (1). */
const BYTES_PER_NODE = 8 * 2 + 4 * 6 + 1;
const CANDIDATE = 0;
const LEAF = 1;
const REMOVED = 2;

/**
 * Minimal cost-complexity pruning of the tree in a {@link NodeStore}, with scikit-learn's
 * arithmetic: R(t) = weight(t) * impurity(t) / weight(root), and the weakest link is the
 * internal node with the smallest (R(t) - R(T_t)) / (leaves(T_t) - 1), ties going to
 * the node first in preorder (scikit-learn numbers its nodes in preorder and takes the
 * first). Where scikit-learn scans every node for each link it prunes, an indexed heap
 * finds it, so a tree of 100k nodes prunes in milliseconds.
 *
 * The work arrays (41 bytes per node) live in memory the caller lends when it has enough
 * (the tree builder lends its partition buffer, idle between trees), else in arrays of
 * the pruner's own, kept from tree to tree; the tree itself is compacted in place (see
 * {@link Pruner.prune}), never copied.
 */
export class Pruner {
  private cap = 0;
  private parent: Int32Array = new Int32Array(0);
  private rank: Int32Array = new Int32Array(0);
  private nLeaves: Int32Array = new Int32Array(0);
  private rBranch: Float64Array = new Float64Array(0);
  private alpha: Float64Array = new Float64Array(0);
  private state: Uint8Array = new Uint8Array(0);
  private heap: Int32Array = new Int32Array(0);
  private heapPos: Int32Array = new Int32Array(0);
  private heapSize = 0;
  private stack: Int32Array = new Int32Array(0);
  /** Bytes of arrays the pruner allocated itself (0 while it only used lent memory). */
  byteLength = 0;
  /** Whether the last pass ran in lent memory. */
  borrowed = false;

  /** The pruning path of the tree in `store` (left unchanged). */
  path(store: NodeStore, lend: ArrayBufferLike | null = null): PruningPath {
    const alphas: number[] = [];
    const impurities: number[] = [];
    this.reserve(store.nNodes, lend);
    this.run(store, Infinity, (a, r) => {
      alphas.push(a);
      impurities.push(r);
    });
    return { ccpAlphas: Float64Array.from(alphas), impurities: Float64Array.from(impurities) };
  }

  /**
   * Prunes the tree in `store` at `ccpAlpha` and compacts it in place: kept nodes move
   * down to the front in their order, children renumbered. Returns the class
   * probabilities of the pruned tree's leaves, in the order its leaves now name them.
   */
  prune(store: NodeStore, ccpAlpha: number, lend: ArrayBufferLike | null = null): Float32Array {
    this.reserve(store.nNodes, lend);
    this.run(store, ccpAlpha, null);
    return this.compact(store);
  }

  /** Work arrays for n nodes: views into `lend` when it is large enough, else own arrays. */
  private reserve(n: number, lend: ArrayBufferLike | null): void {
    this.borrowed = lend !== null && lend.byteLength >= BYTES_PER_NODE * n;
    if (this.borrowed) {
      this.views(lend!, n);
      return;
    }
    if (n > this.cap || this.own === null) {
      this.cap = Math.max(n, this.cap * 2);
      this.own = new ArrayBuffer(BYTES_PER_NODE * this.cap);
      this.byteLength = this.own.byteLength;
    }
    this.views(this.own, this.cap);
  }

  private own: ArrayBuffer | null = null;

  /** Lays the work arrays out in one buffer: 8-byte ones first, so every view is aligned. */
  private views(buf: ArrayBufferLike, n: number): void {
    let o = 0;
    const f64 = (): Float64Array => {
      const a = new Float64Array(buf, o, n);
      o += 8 * n;
      return a;
    };
    const i32 = (): Int32Array => {
      const a = new Int32Array(buf, o, n);
      o += 4 * n;
      return a;
    };
    this.rBranch = f64();
    this.alpha = f64();
    this.parent = i32();
    this.rank = i32();
    this.nLeaves = i32();
    this.heap = i32();
    this.heapPos = i32();
    this.stack = i32();
    this.state = new Uint8Array(buf, o, n);
  }

  /** Prunes weakest links while their alpha is at most `stopAlpha`, marking `state`. */
  private run(
    store: NodeStore,
    stopAlpha: number,
    record: ((alpha: number, r: number) => void) | null,
  ): void {
    const n = store.nNodes;
    const { feature, left, right, weight, impurity } = store;
    const { parent, rank, nLeaves, rBranch, alpha, state } = this;
    const total = weight[0]!;
    const rNode = (i: number): number => (weight[i]! * impurity[i]!) / total;
    nLeaves.fill(0, 0, n);
    rBranch.fill(0, 0, n);
    // Preorder walk (left first): ranks for tie-breaking, and each leaf's R added to its
    // ancestors in preorder, the order in which scikit-learn sums them.
    const stack = this.stack;
    let sp = 0;
    let next = 0;
    stack[sp++] = 0;
    parent[0] = -1;
    while (sp > 0) {
      const i = stack[--sp]!;
      rank[i] = next++;
      if (feature[i]! < 0) {
        state[i] = LEAF;
        const r = rNode(i);
        rBranch[i] = r;
        for (let a = parent[i]!; a >= 0; a = parent[a]!) {
          rBranch[a] = rBranch[a]! + r;
          nLeaves[a] = nLeaves[a]! + 1;
        }
      } else {
        state[i] = CANDIDATE;
        parent[left[i]!] = i;
        parent[right[i]!] = i;
        stack[sp++] = right[i]!;
        stack[sp++] = left[i]!;
      }
    }
    this.heapSize = 0;
    for (let i = 0; i < n; i++) {
      this.heapPos[i] = -1;
      if (state[i] === CANDIDATE) {
        alpha[i] = (rNode(i) - rBranch[i]!) / (nLeaves[i]! - 1);
        this.push(i);
      }
    }
    record?.(0, rBranch[0]!);
    while (state[0] === CANDIDATE) {
      const t = this.heap[0]!;
      const effective = alpha[t]!;
      if (stopAlpha < effective) break;
      this.pop();
      // Its descendants leave the tree; their heap entries are dropped as they surface.
      sp = 0;
      stack[sp++] = left[t]!;
      stack[sp++] = right[t]!;
      while (sp > 0) {
        const i = stack[--sp]!;
        if (state[i] === CANDIDATE) {
          this.remove(i);
          stack[sp++] = left[i]!;
          stack[sp++] = right[i]!;
        }
        state[i] = REMOVED;
      }
      state[t] = LEAF;
      const pruned = nLeaves[t]! - 1;
      nLeaves[t] = 0;
      const rt = rNode(t);
      const diff = rt - rBranch[t]!;
      rBranch[t] = rt;
      for (let a = parent[t]!; a >= 0; a = parent[a]!) {
        nLeaves[a] = nLeaves[a]! - pruned;
        rBranch[a] = rBranch[a]! + diff;
        alpha[a] = (rNode(a) - rBranch[a]!) / (nLeaves[a]! - 1);
        this.update(a);
      }
      record?.(effective, rBranch[0]!);
    }
  }

  /** Moves kept nodes to the front (in order) and returns the new leaves' probabilities. */
  private compact(store: NodeStore): Float32Array {
    const n = store.nNodes;
    const k = store.nClasses;
    const { feature, threshold, binThreshold, left, right, weight, impurity, counts } = store;
    const state = this.state;
    // parent and rank are free now: new node index and new leaf index.
    const newIndex = this.parent;
    const leafIndex = this.rank;
    let kept = 0;
    let leaves = 0;
    for (let i = 0; i < n; i++) {
      if (state[i] === REMOVED) continue;
      newIndex[i] = kept++;
      if (state[i] === LEAF) leafIndex[i] = leaves++;
    }
    const values = new Float32Array(leaves * k);
    const sums = new Float64Array(k);
    const stack = this.stack;
    for (let i = 0; i < n; i++) {
      if (state[i] !== LEAF) continue;
      const o = leafIndex[i]! * k;
      if (feature[i]! < 0) {
        normalizeRows(counts.subarray(left[i]! * k, left[i]! * k + k), values.subarray(o, o + k), 1, k);
        continue;
      }
      // A pruned internal node: its class counts are the sum of its old leaves'.
      sums.fill(0);
      let sp = 0;
      stack[sp++] = i;
      while (sp > 0) {
        const j = stack[--sp]!;
        if (feature[j]! < 0) {
          const c0 = left[j]! * k;
          for (let c = 0; c < k; c++) sums[c] = sums[c]! + counts[c0 + c]!;
        } else {
          stack[sp++] = right[j]!;
          stack[sp++] = left[j]!;
        }
      }
      normalizeRows(sums, values.subarray(o, o + k), 1, k);
    }
    // Children come after their parent and nodes only move down, so every node is read
    // before anything is written over it.
    for (let i = 0; i < n; i++) {
      if (state[i] === REMOVED) continue;
      const j = newIndex[i]!;
      threshold[j] = threshold[i]!;
      binThreshold[j] = binThreshold[i]!;
      weight[j] = weight[i]!;
      impurity[j] = impurity[i]!;
      if (state[i] === LEAF) {
        feature[j] = -1;
        left[j] = leafIndex[i]!;
        right[j] = -1;
      } else {
        feature[j] = feature[i]!;
        left[j] = newIndex[left[i]!]!;
        right[j] = newIndex[right[i]!]!;
      }
    }
    store.nNodes = kept;
    store.nLeaves = leaves;
    return values;
  }

  // An indexed binary min-heap of candidate nodes on (alpha, preorder rank).

  private less(a: number, b: number): boolean {
    const x = this.alpha[a]!;
    const y = this.alpha[b]!;
    return x < y || (x === y && this.rank[a]! < this.rank[b]!);
  }

  private push(i: number): void {
    const p = this.heapSize++;
    this.heap[p] = i;
    this.heapPos[i] = p;
    this.up(p);
  }

  private pop(): void {
    this.remove(this.heap[0]!);
  }

  private remove(i: number): void {
    const p = this.heapPos[i]!;
    if (p < 0) return;
    this.heapPos[i] = -1;
    const last = this.heap[--this.heapSize]!;
    if (p === this.heapSize) return;
    this.heap[p] = last;
    this.heapPos[last] = p;
    this.update(last);
  }

  private update(i: number): void {
    const p = this.heapPos[i]!;
    if (p >= 0) this.down(this.up(p));
  }

  private up(p0: number): number {
    const heap = this.heap;
    let p = p0;
    const i = heap[p]!;
    while (p > 0) {
      const q = (p - 1) >> 1;
      const parent = heap[q]!;
      if (!this.less(i, parent)) break;
      heap[p] = parent;
      this.heapPos[parent] = p;
      p = q;
    }
    heap[p] = i;
    this.heapPos[i] = p;
    return p;
  }

  private down(p0: number): void {
    const heap = this.heap;
    let p = p0;
    const i = heap[p]!;
    for (;;) {
      let c = 2 * p + 1;
      if (c >= this.heapSize) break;
      if (c + 1 < this.heapSize && this.less(heap[c + 1]!, heap[c]!)) c++;
      const child = heap[c]!;
      if (!this.less(child, i)) break;
      heap[p] = child;
      this.heapPos[child] = p;
      p = c;
    }
    heap[p] = i;
    this.heapPos[i] = p;
  }
}
