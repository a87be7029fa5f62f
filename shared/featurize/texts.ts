/**
 * Text lists for the mBERT encoders (encoder texts, docs/featurizer.md, encoder texts, docs/featurizer.md): inserted / removed section
 * plaintexts from the tree diff, plus a sentence-level line diff of changed sections, with greedy
 * fuzzy pairing of deleted × added sentences.
 */
import { SequenceMatcher } from "./difflib.ts";
import type { TreeDiff } from "./edittypes/diff.ts";
import { codePoints, lcsLength, pythonSetOrder, ratioFromLcs, splitlines, strip } from "./pycompat.ts";

export interface TextLists {
  inserts: string[];
  removes: string[];
  changes: Array<[string, string]>;
  /** Set when the pairing stopped at PAIRING_BUDGET (pathological inputs only). */
  pairingTruncated?: true;
}

/**
 * Safety cap on the sentence pairing: at most this many fuzzy-ratio (LCS) evaluations per changed
 * section. Python has no cap (a section with thousands of changed lines on both sides costs
 * |deleted| × |added| ratio calls); beyond the cap the remaining sentences stay unpaired. No fixture
 * comes near it (docs/featurizer.md).
 */
export const PAIRING_BUDGET = 2_000_000;

/** Python `re.split(r"[.!?](?!$)", line)`: `$` also matches before a final newline. */
const SENTENCE_SPLIT_RE = /[.!?](?!\n?(?![\s\S]))/;

/** Sentences of one line: split on `.`, `!`, `?` except at the very end, each piece stripped. */
export function splitSentences(line: string): string[] {
  return line.split(SENTENCE_SPLIT_RE).map(strip);
}

/** Threshold of the fuzzy pairing: a pair is a change when `ratio > 60`. */
export const CHANGE_RATIO_THRESHOLD = 60;

/**
 * Iteration order of the `added` / `deleted` sets during the greedy pairing:
 * - "python": CPython 3.11's set order with PYTHONHASHSEED=0, the setting the reference fixtures
 *   were generated with (deterministic, and identical to the reference);
 * - "insertion": first-insertion order.
 * Python with a random hash seed (as in training) may pick either; results are multisets either way.
 */
export type PairingOrder = "python" | "insertion";

/** Line diff of one changed section (step 3 of encoder texts, docs/featurizer.md). */
export function diffLines(
  prevText: string,
  currText: string,
  order: PairingOrder = "python",
  pairingBudget: number = PAIRING_BUDGET,
): TextLists {
  const oldLines = splitlines(prevText);
  const newLines = splitlines(currText);
  const addedSeq: string[] = [];
  const deletedSeq: string[] = [];
  for (const [tag, i1, i2, j1, j2] of new SequenceMatcher(oldLines, newLines).getOpcodes()) {
    if (tag === "equal") continue;
    for (let j = j1; j < j2; j++) addedSeq.push(...splitSentences(newLines[j]!));
    for (let i = i1; i < i2; i++) deletedSeq.push(...splitSentences(oldLines[i]!));
  }
  const added = order === "python" ? pythonSetOrder(addedSeq) : [...new Set(addedSeq)];
  const deleted = order === "python" ? pythonSetOrder(deletedSeq) : [...new Set(deletedSeq)];
  const seen = new Set<string>();
  const changes: Array<[string, string]> = [];
  const cps = new Map<string, number[]>();
  const cpOf = (s: string): number[] => {
    let c = cps.get(s);
    if (!c) {
      c = codePoints(s);
      cps.set(s, c);
    }
    return c;
  };
  let evaluations = 0;
  let truncated = false;
  // ratio(d, a) > 60 for d ≠ a, exactly as fuzz.ratio, with an exact shortcut: the LCS is at most the
  // shorter length, so when even that bound gives ≤ 60 the pair cannot match.
  const similar = (d: string, a: string): boolean => {
    if (d.length === 0 || a.length === 0) return false;
    const cd = cpOf(d);
    const ca = cpOf(a);
    const total = cd.length + ca.length;
    if (ratioFromLcs(total, Math.min(cd.length, ca.length)) <= CHANGE_RATIO_THRESHOLD) return false;
    evaluations++;
    return ratioFromLcs(total, lcsLength(cd, ca)) > CHANGE_RATIO_THRESHOLD;
  };
  outer: for (const d of deleted) {
    for (const a of added) {
      if (seen.has(d) || seen.has(a)) continue;
      if (evaluations >= pairingBudget) {
        truncated = true;
        break outer;
      }
      if (d !== a && similar(d, a)) {
        changes.push([d, a]);
        seen.add(d);
        seen.add(a);
      } else if (d === a) {
        seen.add(d);
        seen.add(a);
      }
    }
  }
  return {
    inserts: added.filter((a) => !seen.has(a)),
    removes: deleted.filter((d) => !seen.has(d)),
    changes,
    ...(truncated ? { pairingTruncated: true as const } : {}),
  };
}

/** The three text lists from a tree diff (`get_changes`); empty when the diff failed. */
export function textsFromTreeDiff(diff: TreeDiff | null, order: PairingOrder = "python"): TextLists {
  const out: TextLists = { inserts: [], removes: [], changes: [] };
  if (!diff) return out;
  for (const e of diff.insert) if (e.type === "Text") out.inserts.push(e.text);
  for (const e of diff.remove) if (e.type === "Text") out.removes.push(e.text);
  for (const c of diff.change) {
    if (c.prev.type !== "Text" || c.curr.type !== "Text") continue;
    const d = diffLines(c.prev.text, c.curr.text, order);
    out.inserts.push(...d.inserts);
    out.removes.push(...d.removes);
    out.changes.push(...d.changes);
    if (d.pairingTruncated) out.pairingTruncated = true;
  }
  return out;
}

/** Encoder inputs (encoder texts, docs/featurizer.md): no empty texts, no unchanged pairs. */
export function encoderInputs(t: TextLists): TextLists {
  return {
    inserts: t.inserts.filter((s) => s.length > 0),
    removes: t.removes.filter((s) => s.length > 0),
    changes: t.changes.filter(([a, b]) => a !== b),
  };
}
