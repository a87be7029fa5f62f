/**
 * Tree edit distance with transaction lists (Zhang–Shasha variant of mwedittypes 1.2.1,
 * mwedittypes 1.2.1 tree edit distance): the cost of an option is the length of its transaction list; ties go to
 * remove, then insert, then change; a type change costs 10 but records nothing. Lists are
 * persistent (shared tails / concatenation nodes), which keeps Python's lengths and order without
 * copying.
 */
import type { TreeNode } from "./tree.ts";

/**
 * Work budget replacing Python's 5 s clock: number of forest-DP cells (sum over keyroot pairs of
 * the product of the two subtree sizes), checked after each keyroot pair as Python checks its clock.
 * 5,000,000 cells: about 12× the largest value over all parity fixtures (419,895 cells,
 * United-Kingdom:ref_remove; a test keeps the margin ≥ 10×), and of the order of what CPython gets
 * through in its 5 s (see docs/featurizer.md).
 */
export const DEFAULT_TED_BUDGET = 5_000_000;

interface PList {
  len: number;
  left: PList | null;
  right: PList | null;
  /** ≥ 0 for an appended item; -1 for a concatenation node. */
  item: number;
}

const len = (l: PList | null): number => (l ? l.len : 0);
const append = (l: PList | null, item: number): PList => ({ len: len(l) + 1, left: l, right: null, item });
function concat(a: PList | null, b: PList | null): PList | null {
  if (len(b) === 0) return a;
  if (len(a) === 0) return b;
  return { len: a!.len + b!.len, left: a, right: b, item: -1 };
}
function flatten(l: PList | null): number[] {
  const out: number[] = [];
  const stack: Array<PList | number> = [];
  if (l) stack.push(l);
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (typeof x === "number") {
      out.push(x);
      continue;
    }
    // In-order: left, item, right (pushed in reverse).
    if (x.right) stack.push(x.right);
    if (x.item >= 0) stack.push(x.item);
    if (x.left) stack.push(x.left);
  }
  return out;
}

/** One transaction: `[i, null]` remove, `[null, j]` insert, `[i, j]` change (post-order indices). */
export type Transaction = [number | null, number | null];

export interface TedResult {
  /** null when the work budget was exhausted (Python: timeout → no node edits). */
  transactions: Transaction[] | null;
  work: number;
}

/**
 * Per-node integer keys so the relabel cost compares numbers, not (possibly long) texts:
 * type id, hash id, and 1 for a childless Section. Ids are shared between the two trees.
 */
function nodeKeys(
  t: readonly TreeNode[],
  ids: Map<string, number>,
): { type: Int32Array; hash: Int32Array; bareSection: Uint8Array } {
  const id = (s: string): number => {
    let v = ids.get(s);
    if (v === undefined) {
      v = ids.size;
      ids.set(s, v);
    }
    return v;
  };
  const type = new Int32Array(t.length);
  const hash = new Int32Array(t.length);
  const bareSection = new Uint8Array(t.length);
  t.forEach((n, i) => {
    type[i] = id(`t\u0000${n.ntype}`);
    hash[i] = id(`h\u0000${n.hash}`);
    bareSection[i] = n.ntype === "Section" && n.children.length === 0 ? 1 : 0;
  });
  return { type, hash, bareSection };
}

function leftmosts(t: readonly TreeNode[]): Int32Array {
  const lm = new Int32Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const n = t[i]!;
    lm[i] = n.children.length === 0 ? i : lm[n.children[0]!.idx]!;
  }
  return lm;
}

function keyroots(t: readonly TreeNode[]): number[] {
  const out: number[] = [];
  for (const n of t) {
    if (n.parent === null || n.parent.children[0] !== n) out.push(n.idx);
  }
  return out;
}

/** Minimum transaction list from t1 to t2 (post-order node lists with `idx` set). */
export function treeEditTransactions(
  t1: readonly TreeNode[],
  t2: readonly TreeNode[],
  budget: number = DEFAULT_TED_BUDGET,
): TedResult {
  const n1 = t1.length;
  const n2 = t2.length;
  const W = n2 + 1;
  // Cell (i, j) with i, j ∈ {-1 (None), 0..n-1} lives at (i+1)*W + (j+1); the same code encodes items.
  // Built by push: `new Array(n)` with a large n gives slow dictionary-mode elements in V8.
  const size = (n1 + 1) * W;
  const T: Array<PList | null> = [];
  const P: Array<PList | null> = [];
  for (let k = 0; k < size; k++) {
    T.push(null);
    P.push(null);
  }
  const ids = new Map<string, number>();
  const k1 = nodeKeys(t1, ids);
  const k2 = nodeKeys(t2, ids);
  const sectionType = ids.get("t\u0000Section") ?? -1;
  /** Relabel cost (mwedittypes 1.2.1 tree edit distance): 10 for a type change, 0 for equal hashes, Section rule, else 1. */
  const distance = (i: number, j: number): number => {
    if (k1.type[i] !== k2.type[j]) return 10;
    if (k1.hash[i] === k2.hash[j]) return 0;
    if (k1.type[i] === sectionType) return k1.bareSection[i] && k2.bareSection[j] ? 1 : 0;
    return 1;
  };
  const lm1 = leftmosts(t1);
  const lm2 = leftmosts(t2);
  const kr1s = keyroots(t1);
  const kr2s = keyroots(t2);
  let work = 0;

  for (const kr1 of kr1s) {
    const l1 = lm1[kr1]!;
    let iNulls: PList | null = null;
    for (let ii = l1; ii <= kr1; ii++) {
      iNulls = append(iNulls, (ii + 1) * W);
      T[(ii + 1) * W] = iNulls;
    }
    for (const kr2 of kr2s) {
      const l2 = lm2[kr2]!;
      let jNulls: PList | null = null;
      for (let jj = l2; jj <= kr2; jj++) {
        jNulls = append(jNulls, jj + 1);
        T[jj + 1] = jNulls;
      }
      for (let i = l1; i <= kr1; i++) {
        const im1 = i === l1 ? -1 : i - 1;
        const onPath1 = lm1[i] === l1;
        const f1 = lm1[i]! - 1 < l1 ? -1 : lm1[i]! - 1;
        for (let j = l2; j <= kr2; j++) {
          const jm1 = j === l2 ? -1 : j - 1;
          const rem = T[(im1 + 1) * W + (j + 1)] as PList | null;
          const ins = T[(i + 1) * W + (jm1 + 1)] as PList | null;
          const remCost = len(rem) + 1;
          const insCost = len(ins) + 1;
          const cell = (i + 1) * W + (j + 1);
          if (onPath1 && lm2[j] === l2) {
            const chg = T[(im1 + 1) * W + (jm1 + 1)] as PList | null;
            const d = distance(i, j);
            const chgCost = len(chg) + d;
            let out: PList | null;
            if (remCost <= insCost && remCost <= chgCost) out = append(rem, (i + 1) * W);
            else if (insCost <= chgCost) out = append(ins, j + 1);
            else out = d === 1 ? append(chg, cell) : chg;
            T[cell] = out;
            P[cell] = out;
          } else {
            const f2 = lm2[j]! - 1 < l2 ? -1 : lm2[j]! - 1;
            const chg = T[(f1 + 1) * W + (f2 + 1)] as PList | null;
            const tree = P[cell] as PList | null;
            const chgCost = len(chg) + len(tree);
            let out: PList | null;
            if (remCost <= insCost && remCost <= chgCost) out = append(rem, (i + 1) * W);
            else if (insCost <= chgCost) out = append(ins, j + 1);
            else out = concat(chg, tree);
            T[cell] = out;
          }
        }
      }
      work += (kr1 - l1 + 1) * (kr2 - l2 + 1);
      if (work > budget) return { transactions: null, work };
    }
  }

  const root = P[n1 * W + n2] ?? null;
  const transactions: Transaction[] = flatten(root).map((code) => {
    const i = Math.floor(code / W) - 1;
    const j = (code % W) - 1;
    return [i < 0 ? null : i, j < 0 ? null : j];
  });
  return { transactions, work };
}
