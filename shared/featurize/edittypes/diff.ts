/**
 * Reading the transaction list (corresponding nodes, moves) and post-processing (section mapping,
 * section-level text merge, renaming): mwedittypes 1.2.1 transactions and moves. The v1.2.1 bookkeeping quirks are
 * reproduced on purpose: move-index keys, pops that shift shared lists, and the section-mapping
 * exceptions (IndexError / KeyError) that the model pipeline turns into all-zero features.
 */
import { sectionPlaintext, textEntryName } from "./classify.ts";
import type { Transaction } from "./ted.ts";
import type { TreeNode } from "./tree.ts";
import type { ParseFn } from "./wikicode.ts";

/** A Python exception that mwedittypes 1.2.1 would raise at this point (status `error:<name>`). */
export class PythonError extends Error {
  readonly pyName: string;
  constructor(pyName: string, message: string) {
    super(`${pyName}: ${message}`);
    this.pyName = pyName;
  }
}

export interface DiffEntry {
  type: string;
  text: string;
  section: string;
  /** Only on section-level Text entries (debug fields Python always sets on them). */
  name?: string;
  offset?: number;
}
export interface DiffPair {
  prev: DiffEntry;
  curr: DiffEntry;
}
export interface TreeDiff {
  remove: DiffEntry[];
  insert: DiffEntry[];
  change: DiffPair[];
  move: DiffPair[];
  "prev-no-content"?: true;
}

interface NodeDiff {
  remove: TreeNode[];
  insert: TreeNode[];
  change: Array<[TreeNode, TreeNode]>;
  move: Array<[TreeNode, TreeNode]>;
}

/** Python `list.pop(i)` for 0 ≤ i: raises IndexError when out of range. */
function pyPop<T>(list: T[], i: number): T {
  if (i >= list.length || i < -list.length) throw new PythonError("IndexError", "pop index out of range");
  return list.splice(i < 0 ? list.length + i : i, 1)[0]!;
}

/** Remove / insert / change lists from the transactions, then move detection (mwedittypes 1.2.1 transactions and moves). */
export function correspondingNodes(
  transactions: Transaction[] | null,
  t1: readonly TreeNode[],
  t2: readonly TreeNode[],
): NodeDiff {
  if (transactions === null) return { remove: [], insert: [], change: [], move: [] };
  const remove: TreeNode[] = [];
  const insert: TreeNode[] = [];
  const change: Array<[TreeNode, TreeNode]> = [];
  for (const [i, j] of transactions) {
    if (i === null) {
      const n = t2[j!]!;
      if (n.ntype !== "Section" || n.children.length === 0) insert.push(n);
    } else if (j === null) {
      const n = t1[i]!;
      if (n.ntype !== "Section" || n.children.length === 0) remove.push(n);
    } else {
      const p = t1[i]!;
      if (p.ntype !== "Section" || p.children.length === 0) change.push([p, t2[j]!]);
    }
  }
  const diff: NodeDiff = { remove, insert, change, move: [] };
  detectMoves(diff);
  return diff;
}

type ListName = "remove" | "insert" | "change";
type Ref = [ListName, number];

function cmpRefDesc(a: Ref, b: Ref): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? 1 : -1;
  return b[1] - a[1];
}

/** Same type + same hash between a prev node (remove/change) and a curr node (insert/change) = a move. */
function detectMoves(diff: NodeDiff): void {
  const prevNodes: Array<[ListName, number, TreeNode]> = diff.remove.map((n, i) => ["remove", i, n]);
  const currNodes: Array<[ListName, number, TreeNode]> = diff.insert.map((n, j) => ["insert", j, n]);
  diff.change.forEach(([p, c], k) => {
    prevNodes.push(["change", k, p]);
    currNodes.push(["change", k, c]);
  });
  const prevMoved: Ref[] = [];
  const currMoved: Ref[] = [];
  const currFound = new Set<string>();
  // v1.2.1 keys these by the *other* side's index (mwedittypes 1.2.1 transactions and moves): reproduced literally.
  const addToInsert = new Map<number, TreeNode>();
  const addToRemove = new Map<number, TreeNode>();
  for (const [pet, pidx, pn] of prevNodes) {
    for (const [cet, cidx, cn] of currNodes) {
      const cid = `${cet}-${cidx}`;
      if (pn.ntype === cn.ntype && pn.hash === cn.hash && !currFound.has(cid)) {
        prevMoved.push([pet, pidx]);
        currMoved.push([cet, cidx]);
        currFound.add(cid);
        if (pet === "change") addToInsert.set(cidx, diff.change[pidx]![1]);
        if (cet === "change") addToRemove.set(pidx, diff.change[cidx]![0]);
        break;
      }
    }
  }
  const move: Array<[TreeNode, TreeNode]> = [];
  if (prevMoved.length > 0) {
    for (let k = 0; k < prevMoved.length; k++) {
      const [pet, pidx] = prevMoved[k]!;
      const [cet, cidx] = currMoved[k]!;
      let pn: TreeNode;
      if (pet === "change") {
        pn = diff.change[pidx]![0];
        addToRemove.delete(pidx);
      } else {
        pn = (pet === "remove" ? diff.remove : diff.insert)[pidx]!;
      }
      let cn: TreeNode;
      if (cet === "change") {
        cn = diff.change[cidx]![1];
        addToInsert.delete(cidx);
      } else {
        cn = (cet === "remove" ? diff.remove : diff.insert)[cidx]!;
      }
      move.push([pn, cn]);
    }
    const lists: Record<ListName, unknown[]> = {
      remove: diff.remove,
      insert: diff.insert,
      change: diff.change,
    };
    const prevSorted = [...prevMoved].sort(cmpRefDesc);
    for (const [et, idx] of prevSorted) pyPop(lists[et], idx);
    const currSorted = [...currMoved].sort(cmpRefDesc);
    for (const [et, idx] of currSorted) {
      if (!prevSorted.some(([pe, pi]) => pe === et && pi === idx)) pyPop(lists[et], idx);
    }
    diff.insert.push(...addToInsert.values());
    diff.remove.push(...addToRemove.values());
  }
  diff.move = move;
}

/** Python `list[i]` for 0 ≤ i: raises IndexError when out of range. */
function pyIndex<T>(list: T[], i: number): T {
  if (i >= list.length) throw new PythonError("IndexError", "list index out of range");
  return list[i]!;
}

const dump = (n: TreeNode): DiffEntry => ({ type: n.ntype, text: n.text, section: n.section });

/** Python `dict[key]` on a Map: raises KeyError when absent. */
function pyGet<V>(m: Map<string, V>, key: string): V {
  if (!m.has(key)) throw new PythonError("KeyError", JSON.stringify(key));
  return m.get(key)!;
}

/** Section mapping, section-level text merge and renaming (mwedittypes 1.2.1 section mapping). */
export function postProcess(
  nodes: NodeDiff,
  sectionsPrev: Map<string, string>,
  sectionsCurr: Map<string, string>,
  lang: string,
  parse: ParseFn,
): TreeDiff {
  const remove = nodes.remove.map(dump);
  const insert = nodes.insert.map(dump);
  const change = nodes.change.map(([p, c]) => ({ prev: dump(p), curr: dump(c) }));
  const move = nodes.move.map(([p, c]) => ({ prev: dump(p), curr: dump(c) }));

  // --- section mapping ---
  const prev = [...sectionsPrev.keys()];
  const curr = [...sectionsCurr.keys()];
  const pToC = new Map<string, string | null>();
  const cToP = new Map<string, string | null>();
  const removed: number[] = [];
  for (const n of remove) {
    if (n.type !== "Heading") continue;
    const i = prev.indexOf(n.section);
    if (i >= 0) removed.push(i);
  }
  for (const idx of [...removed].sort((a, b) => b - a)) {
    pToC.set(pyIndex(prev, idx), null);
    pyPop(prev, idx);
  }
  const inserted: number[] = [];
  for (const n of insert) {
    if (n.type !== "Heading") continue;
    const i = curr.indexOf(n.section);
    if (i >= 0) inserted.push(i);
  }
  for (const idx of [...inserted].sort((a, b) => b - a)) {
    cToP.set(pyIndex(curr, idx), null);
    pyPop(curr, idx);
  }
  for (const c of move) {
    if (c.prev.type !== "Heading") continue;
    const pi = prev.indexOf(c.prev.section);
    const ci = curr.indexOf(c.curr.section);
    if (pi >= 0 && ci >= 0) {
      const [s] = curr.splice(ci, 1);
      curr.splice(pi, 0, s!);
    }
  }
  for (let i = 0; i < prev.length; i++) {
    if (i >= curr.length) throw new PythonError("IndexError", "list index out of range");
    pToC.set(prev[i]!, curr[i]!);
    cToP.set(curr[i]!, prev[i]!);
  }

  // --- section-level text merge ---
  const plain = (text: string): string => sectionPlaintext(parse(text), lang);
  const textEntry = (text: string, section: string): DiffEntry => ({
    name: textEntryName(text),
    type: "Text",
    text,
    section,
    offset: 0,
  });
  const merged: Array<{ prev?: DiffEntry; curr?: DiffEntry }> = [];
  for (const [psec, csec] of pToC) {
    if (csec === null) {
      merged.push({ prev: textEntry(plain(pyGet(sectionsPrev, psec)), psec) });
    } else if (pyGet(sectionsPrev, psec) !== pyGet(sectionsCurr, csec)) {
      const pt = plain(sectionsPrev.get(psec)!);
      const ct = plain(sectionsCurr.get(csec)!);
      if (pt !== ct) merged.push({ prev: textEntry(pt, psec), curr: textEntry(ct, csec) });
    }
  }
  for (const [csec, psec] of cToP) {
    if (psec === null) merged.push({ curr: textEntry(plain(pyGet(sectionsCurr, csec)), csec) });
  }
  const rem = remove.filter((n) => n.type !== "Text");
  const ins = insert.filter((n) => n.type !== "Text");
  const chg = change.filter((c) => c.prev.type !== "Text");
  for (const m of merged) {
    if (m.prev && m.curr) chg.push({ prev: m.prev, curr: m.curr });
    else if (m.prev) rem.push(m.prev);
    else if (m.curr) ins.push(m.curr);
  }

  // --- renaming to the prev revision's section names ---
  for (const n of ins) {
    const mapped = pyGet(cToP, n.section);
    pyGet(sectionsCurr, n.section);
    n.section = mapped || n.section;
  }
  for (const c of [...chg, ...move]) {
    pyGet(sectionsPrev, c.prev.section);
    const mapped = pyGet(cToP, c.curr.section);
    pyGet(sectionsCurr, c.curr.section);
    c.curr.section = mapped || c.curr.section;
  }
  return { remove: rem, insert: ins, change: chg, move };
}
