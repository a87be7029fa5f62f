/**
 * Python `difflib.SequenceMatcher(None, a, b)` (autojunk on, no junk predicate) for sequences of
 * strings: matching blocks and opcodes identical to CPython 3.11's (encoder texts, docs/featurizer.md).
 * Written from the documented algorithm (Ratcliff/Obershelp longest-match recursion).
 */

export type OpTag = "replace" | "delete" | "insert" | "equal";
export type Opcode = [tag: OpTag, i1: number, i2: number, j1: number, j2: number];
export type MatchBlock = [i: number, j: number, size: number];

export class SequenceMatcher {
  private readonly a: readonly string[];
  private readonly b: readonly string[];
  private readonly autojunk: boolean;
  /** b element → increasing indices in b (popular elements removed). */
  private b2j = new Map<string, number[]>();

  constructor(a: readonly string[], b: readonly string[], autojunk = true) {
    this.a = a;
    this.b = b;
    this.autojunk = autojunk;
    this.chainB();
  }

  private chainB(): void {
    const b2j = this.b2j;
    this.b.forEach((elt, i) => {
      let idx = b2j.get(elt);
      if (!idx) {
        idx = [];
        b2j.set(elt, idx);
      }
      idx.push(i);
    });
    const n = this.b.length;
    if (this.autojunk && n >= 200) {
      const ntest = Math.floor(n / 100) + 1;
      for (const [elt, idx] of [...b2j]) {
        if (idx.length > ntest) b2j.delete(elt);
      }
    }
  }

  /** Longest matching block in a[alo:ahi] × b[blo:bhi]; ties → earliest in a, then earliest in b. */
  findLongestMatch(alo: number, ahi: number, blo: number, bhi: number): MatchBlock {
    const { a, b, b2j } = this;
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map<number, number>();
    for (let i = alo; i < ahi; i++) {
      const newj2len = new Map<number, number>();
      const idx = b2j.get(a[i]!);
      if (idx) {
        for (const j of idx) {
          if (j < blo) continue;
          if (j >= bhi) break;
          const k = (j2len.get(j - 1) ?? 0) + 1;
          newj2len.set(j, k);
          if (k > bestsize) {
            besti = i - k + 1;
            bestj = j - k + 1;
            bestsize = k;
          }
        }
      }
      j2len = newj2len;
    }
    // No junk predicate: every element is "not junk", so popular elements extend the match here.
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) {
      bestsize++;
    }
    return [besti, bestj, bestsize];
  }

  getMatchingBlocks(): MatchBlock[] {
    const la = this.a.length;
    const lb = this.b.length;
    const queue: Array<[number, number, number, number]> = [[0, la, 0, lb]];
    const blocks: MatchBlock[] = [];
    while (queue.length > 0) {
      const [alo, ahi, blo, bhi] = queue.pop()!;
      const x = this.findLongestMatch(alo, ahi, blo, bhi);
      const [i, j, k] = x;
      if (k) {
        blocks.push(x);
        if (alo < i && blo < j) queue.push([alo, i, blo, j]);
        if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
      }
    }
    blocks.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
    const out: MatchBlock[] = [];
    let i1 = 0;
    let j1 = 0;
    let k1 = 0;
    for (const [i2, j2, k2] of blocks) {
      if (i1 + k1 === i2 && j1 + k1 === j2) {
        k1 += k2;
      } else {
        if (k1) out.push([i1, j1, k1]);
        i1 = i2;
        j1 = j2;
        k1 = k2;
      }
    }
    if (k1) out.push([i1, j1, k1]);
    out.push([la, lb, 0]);
    return out;
  }

  getOpcodes(): Opcode[] {
    let i = 0;
    let j = 0;
    const answer: Opcode[] = [];
    for (const [ai, bj, size] of this.getMatchingBlocks()) {
      let tag: OpTag | "" = "";
      if (i < ai && j < bj) tag = "replace";
      else if (i < ai) tag = "delete";
      else if (j < bj) tag = "insert";
      if (tag) answer.push([tag, i, ai, j, bj]);
      i = ai + size;
      j = bj + size;
      if (size) answer.push(["equal", ai, i, bj, j]);
    }
    return answer;
  }
}
