/**
 * Reference parity of the featurizer's edit types and texts against mwedittypes 1.2.1 on
 * mwparserfromhell 0.6.4 (standins/mediawiki-fixture/edits/*.jsonl.gz): status, the full actions dict and the
 * model's 88 counts exactly; tree_diff exactly where present; the three text lists and the encoder
 * inputs as multisets. Also asserts that no fixture comes near the tree-edit work budget.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { isDeepStrictEqual } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_TED_BUDGET } from "../shared/featurize/edittypes/ted.ts";
import { EDIT_TYPE_FEATURES, editTypesAndTexts } from "../shared/featurize/featurizer.ts";
import { encoderInputs } from "../shared/featurize/texts.ts";

interface Fixture {
  id: string;
  lang: string;
  prev: string;
  curr: string;
  expected: {
    status: string;
    actions: Record<string, Record<string, number>>;
    features: Record<string, number>;
    tree_diff?: unknown;
    texts_insert: string[];
    texts_removed: string[];
    texts_change: Array<[string, string]>;
    bert_insert_inputs: string[];
    bert_remove_inputs: string[];
    bert_change_inputs: Array<[string, string]>;
  };
}

function load(name: string): Fixture[] {
  const path = new URL(`../standins/mediawiki-fixture/edits/${name}.jsonl.gz`, import.meta.url);
  return gunzipSync(readFileSync(path))
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Fixture);
}

const multiset = (xs: unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();
const sameMultiset = (a: unknown[], b: unknown[]): boolean => isDeepStrictEqual(multiset(a), multiset(b));

function features88(actions: Record<string, Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of EDIT_TYPE_FEATURES) {
    const sep = name.indexOf("_");
    const v = actions[name.slice(sep + 1)]?.[name.slice(0, sep)] ?? 0;
    if (v !== 0) out[name] = v;
  }
  return out;
}

const FILES = ["handmade", "multilingual", "real-articles"] as const;
const summary: string[] = [];
let maxWork = 0;
let maxWorkId = "";

describe.each(FILES)("parity: %s", (file) => {
  const rows = load(file);
  const results = rows.map((r) => ({ r, ...editTypesAndTexts(r.prev, r.curr, r.lang) }));
  for (const { r, editTypes } of results) {
    if (editTypes.work > maxWork) {
      maxWork = editTypes.work;
      maxWorkId = r.id;
    }
  }
  const count = (pred: (x: (typeof results)[number]) => boolean) => results.filter(pred).length;
  const n = results.length;
  const status = count(({ r, editTypes }) => editTypes.status === r.expected.status);
  const actions = count(({ r, editTypes }) => isDeepStrictEqual(editTypes.actions, r.expected.actions));
  const feats = count(({ r, editTypes }) =>
    isDeepStrictEqual(features88(editTypes.actions), r.expected.features),
  );
  const withTree = results.filter(
    ({ r }) => r.expected.tree_diff !== undefined && r.expected.tree_diff !== null,
  );
  const tree = withTree.filter(({ r, editTypes }) =>
    isDeepStrictEqual(editTypes.treeDiff, r.expected.tree_diff),
  );
  const texts = count(
    ({ r, texts }) =>
      sameMultiset(texts.inserts, r.expected.texts_insert) &&
      sameMultiset(texts.removes, r.expected.texts_removed) &&
      sameMultiset(texts.changes, r.expected.texts_change),
  );
  const bert = count(({ r, texts }) => {
    const b = encoderInputs(texts);
    return (
      sameMultiset(b.inserts, r.expected.bert_insert_inputs) &&
      sameMultiset(b.removes, r.expected.bert_remove_inputs) &&
      sameMultiset(b.changes, r.expected.bert_change_inputs)
    );
  });
  summary.push(
    `${file}: status ${status}/${n}, actions ${actions}/${n}, features ${feats}/${n}, ` +
      `tree_diff ${tree.length}/${withTree.length}, texts ${texts}/${n}, bert inputs ${bert}/${n}`,
  );

  it("status matches on every fixture", () => {
    for (const { r, editTypes } of results) expect(editTypes.status, r.id).toBe(r.expected.status);
  });
  it("the full actions dict and the 88 counts match on every fixture", () => {
    for (const { r, editTypes } of results) {
      expect(editTypes.actions, r.id).toEqual(r.expected.actions);
      expect(features88(editTypes.actions), r.id).toEqual(r.expected.features);
    }
  });
  it("tree_diff matches wherever the fixture has one", () => {
    for (const { r, editTypes } of withTree) expect(editTypes.treeDiff, r.id).toEqual(r.expected.tree_diff);
  });
  it("texts match as multisets on ≥ 99% of fixtures", () => {
    const bad = results
      .filter(
        ({ r, texts }) =>
          !(
            sameMultiset(texts.inserts, r.expected.texts_insert) &&
            sameMultiset(texts.removes, r.expected.texts_removed) &&
            sameMultiset(texts.changes, r.expected.texts_change)
          ),
      )
      .map(({ r }) => r.id);
    expect(texts / n, `text mismatches: ${bad.join(", ")}`).toBeGreaterThanOrEqual(0.99);
  });
  it("no fixture exhausts the work budget", () => {
    for (const { r, editTypes } of results) expect(editTypes.budgetExhausted, r.id).toBe(false);
  });
});

describe("work budget", () => {
  it("on exhaustion takes Python's timeout path (no node edits, positional section mapping)", () => {
    // Expected: the unmodified mwedittypes 1.2.1 code with timeout=-1 (its clock fires after the first
    // keyroot pair), PYTHONHASHSEED=0, run on this project's parse trees through a stand-in for
    // mwparserfromhell's node API (which reproduces all 504 fixtures). Budget 0 is exhausted after
    // the first keyroot pair as well.
    const expected: Record<string, { status: string; actions: Record<string, Record<string, number>> }> = {
      en_template_param: { status: "ok", actions: {} },
      en_section_insert: {
        status: "ok",
        actions: {
          Whitespace: { remove: 13 },
          Punctuation: { remove: 2, change: 2 },
          Word: { remove: 1, change: 10 },
          Sentence: { remove: 2, change: 2 },
          Paragraph: { remove: 1, change: 1 },
          Section: { change: 1 },
        },
      },
      en_section_remove: { status: "error:IndexError", actions: {} },
      en_sentence_word_change: {
        status: "ok",
        actions: {
          Word: { change: 1 },
          Sentence: { change: 1 },
          Paragraph: { change: 1 },
          Section: { change: 1 },
        },
      },
      en_page_creation: {
        status: "ok",
        actions: {
          Whitespace: { insert: 19 },
          Punctuation: { insert: 4 },
          Word: { insert: 16 },
          Sentence: { insert: 1 },
          Paragraph: { insert: 1 },
          Section: { insert: 1 },
        },
      },
    };
    const rows = load("handmade").filter((r) => r.id in expected);
    expect(rows).toHaveLength(5);
    for (const r of rows) {
      const { editTypes } = editTypesAndTexts(r.prev, r.curr, r.lang, { budget: 0 });
      expect(editTypes.budgetExhausted, r.id).toBe(true);
      expect({ status: editTypes.status, actions: editTypes.actions }, r.id).toEqual(expected[r.id]);
    }
  });

  it("stays at least 10× above the largest fixture's tree-edit work", () => {
    expect(maxWork * 10).toBeLessThan(DEFAULT_TED_BUDGET);
  });
});

afterAll(() => {
  console.log(
    ["edit-type parity (mwedittypes 1.2.1):", ...summary, `max work ${maxWork} (${maxWorkId})`].join("\n  "),
  );
});
