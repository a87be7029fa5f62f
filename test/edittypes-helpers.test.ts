/**
 * Edit-type core units that do not need the wikitext parser: the transaction-list tree edit distance
 * (tie order, type-change cost, budget), classification, bare-media search, entry names, the
 * encoder line diff. The end-to-end parity over every fixture is in edittypes-parity.test.ts.
 */
import { describe, expect, it } from "vitest";
import { findNestedMedia, nodeType, textEntryName } from "../shared/featurize/edittypes/classify.ts";
import { treeEditTransactions } from "../shared/featurize/edittypes/ted.ts";
import { type TreeNode, postOrder } from "../shared/featurize/edittypes/tree.ts";
import { diffLines, splitSentences } from "../shared/featurize/texts.ts";
import type { Node } from "../shared/featurize/wikitext/nodes.ts";

function node(ntype: string, text: string, children: TreeNode[] = [], hash = text): TreeNode {
  const n: TreeNode = { ntype, text, hash, section: "0: Lede", parent: null, children, idx: -1 };
  for (const c of children) c.parent = n;
  return n;
}
function indexed(root: TreeNode): TreeNode[] {
  const list = postOrder(root);
  list.forEach((n, i) => (n.idx = i));
  return list;
}

describe("tree edit distance (mwedittypes 1.2.1 tree edit distance)", () => {
  it("records a change only for same-type nodes with different hashes", () => {
    const t1 = indexed(node("Article", "", [node("Section", "", [node("Template", "{{a}}")], "s1")]));
    const t2 = indexed(node("Article", "", [node("Section", "", [node("Template", "{{b}}")], "s2")]));
    const r = treeEditTransactions(t1, t2);
    // Template changed (distance 1); sections have children → distance 0, nothing recorded.
    expect(r.transactions).toEqual([[0, 0]]);
  });
  it("a type change costs 10: remove + insert wins, nothing recorded for the relabel", () => {
    const t1 = indexed(node("Article", "", [node("Section", "", [node("Template", "{{a}}")], "s1")]));
    const t2 = indexed(node("Article", "", [node("Section", "", [node("Wikilink", "[[a]]")], "s2")]));
    // The remove is appended to the list that already holds the insert (rem = T[i-1][j]).
    expect(treeEditTransactions(t1, t2).transactions).toEqual([
      [null, 0],
      [0, null],
    ]);
  });
  it("ties go to remove, then insert, then change (swap of two leaves)", () => {
    const t1 = indexed(
      node("Article", "", [node("Section", "", [node("Text", "A"), node("Text", "B")], "s1")]),
    );
    const t2 = indexed(
      node("Article", "", [node("Section", "", [node("Text", "B"), node("Text", "A")], "s2")]),
    );
    const r = treeEditTransactions(t1, t2);
    // A stays matched (prev 0 ↔ curr 1); B is inserted before and removed after it.
    expect(r.transactions).toEqual([
      [null, 0],
      [1, null],
    ]);
  });
  it("stops with no transactions when the work budget is exceeded", () => {
    const kids = (p: string) => Array.from({ length: 20 }, (_, i) => node("Text", `${p}${i}`));
    const t1 = indexed(node("Article", "", [node("Section", "", kids("a"), "s1")]));
    const t2 = indexed(node("Article", "", [node("Section", "", kids("b"), "s2")]));
    const full = treeEditTransactions(t1, t2);
    expect(full.transactions!.length).toBe(20);
    const cut = treeEditTransactions(t1, t2, 10);
    expect(cut.transactions).toBeNull();
    expect(cut.work).toBeGreaterThan(10);
    expect(full.work).toBeGreaterThan(cut.work);
  });
});

const link = (title: string): Node => ({
  type: "Wikilink",
  str: `[[${title}]]`,
  title: [{ type: "Text", str: title }],
  text: null,
});
const tag = (name: string): Node => ({
  type: "Tag",
  str: `<${name}>x</${name}>`,
  tag: [{ type: "Text", str: name }],
  contents: [{ type: "Text", str: "x" }],
  attributes: [],
  wiki_markup: null,
  self_closing: false,
  implicit: false,
  invalid: false,
  closing_tag: [{ type: "Text", str: name }],
});

describe("classification (mwedittypes 1.2.1 node classification)", () => {
  it("uses English prefixes plus the language's aliases, case-insensitively", () => {
    expect(nodeType(link("File:A.jpg"), "xx")).toBe("Media");
    expect(nodeType(link("image:A.jpg"), "en")).toBe("Media");
    expect(nodeType(link("Datei:A.jpg"), "de")).toBe("Media");
    expect(nodeType(link("Datei:A.jpg"), "en")).toBe("Wikilink");
    expect(nodeType(link("Kategorie:X"), "de")).toBe("Category");
    expect(nodeType(link("Category:X"), "ja")).toBe("Category");
    expect(nodeType(link("К:X"), "ru")).toBe("Category");
    expect(nodeType(link(" File:A.jpg"), "en")).toBe("Wikilink"); // prefix is not stripped
  });
  it("compares tag names case-sensitively and capitalizes unknown ones", () => {
    expect(nodeType(tag("b"), "en")).toBe("Text Formatting");
    expect(nodeType(tag("B"), "en")).toBe("B Tag");
    expect(nodeType(tag("ref"), "en")).toBe("Reference");
    expect(nodeType(tag("DIV"), "en")).toBe("Div Tag");
    expect(nodeType(tag("noinclude"), "en")).toBe("Comment");
    expect(nodeType(tag("td"), "en")).toBe("Table Element");
  });
});

describe("bare-media search (mwedittypes 1.2.1 nested nodes)", () => {
  it("finds runs ending in a media extension followed by a word boundary", () => {
    expect(findNestedMedia("image = Foo bar.JPG\n")).toEqual(["Foo bar.JPG"]);
    expect(findNestedMedia("a.jpg|Caption one\nB.png")).toEqual(["a.jpg", "B.png"]);
    expect(findNestedMedia("x.jpgs y.svg.")).toEqual(["x.jpgs y.svg"]);
    expect(findNestedMedia("nothing here.jpeg2")).toEqual([]);
    expect(findNestedMedia("Map (2).png, b.gif")).toEqual(["Map (2).png, b.gif"]);
  });
  it("drops hits longer than 240 code points", () => {
    expect(findNestedMedia("a".repeat(240) + ".png")).toEqual([]);
    expect(findNestedMedia("a".repeat(236) + ".png")).toEqual(["a".repeat(236) + ".png"]);
    // Astral letters count once (code points), and lower-casing keeps the offsets.
    expect(findNestedMedia("𐐀".repeat(236) + ".png")).toEqual(["𐐀".repeat(236) + ".png"]);
    expect(findNestedMedia("𐐀".repeat(237) + ".png")).toEqual([]);
    expect(findNestedMedia("😀 a.png")).toEqual(["a.png"]);
  });
});

describe("entry names and encoder texts", () => {
  it("names text entries like node_to_name", () => {
    expect(textEntryName("\nAigen was born")).toBe("Text: \\nAigen wa...");
    expect(textEntryName("short")).toBe("Text: short");
  });
  it("splits sentences on . ! ? except at the very end", () => {
    expect(splitSentences("A b. C d! E?")).toEqual(["A b", "C d", "E?"]);
    expect(splitSentences("")).toEqual([""]);
  });
  it("pairs deleted and added sentences with ratio > 60", () => {
    const d = diffLines(
      "Intro.\nThe cat sat on the mat. It was warm.\n",
      "Intro.\nThe cat sat on a mat. It was warm. New one.\n",
      "insertion",
    );
    expect(d.changes).toEqual([
      ["The cat sat on the mat", "The cat sat on a mat"],
      ["It was warm.", "It was warm"], // end-of-line "." is kept, mid-line it is a split point
    ]);
    expect(d.inserts).toEqual(["New one."]);
    expect(d.removes).toEqual([]);
  });
  it("pairs in CPython's set order (PYTHONHASHSEED=0) by default", () => {
    // Two candidates for one deleted sentence: the greedy pairing follows set iteration order.
    // Expected values computed with CPython 3.11 (PYTHONHASHSEED=0) running the training code's pairing.
    const prev = "Intro.\nIncludes a dozen references to the book. Dallek, Robert.\n";
    const curr =
      "Intro.\nDallek, Robert. Includes over 2 dozen references to the book.\nIncludes a dozen references to the book.\n";
    expect(diffLines(prev, curr)).toEqual({
      inserts: ["Includes over 2 dozen references to the book."],
      removes: [],
      changes: [
        ["Dallek, Robert.", "Dallek, Robert"],
        ["Includes a dozen references to the book", "Includes a dozen references to the book."],
      ],
    });
    // Insertion order pairs differently (same multiset sizes, different pairs).
    expect(diffLines(prev, curr, "insertion").changes[0]).toEqual([
      "Includes a dozen references to the book",
      "Includes over 2 dozen references to the book.",
    ]);
  });
  it("caps the pairing work and leaves the rest unpaired", () => {
    const prev = Array.from({ length: 30 }, (_, i) => `Old sentence number ${i} here`).join("\n");
    const curr = Array.from({ length: 30 }, (_, i) => `New sentence number ${i} here`).join("\n");
    const full = diffLines(prev, curr);
    expect(full.pairingTruncated).toBeUndefined();
    expect(full.changes).toHaveLength(30);
    const cut = diffLines(prev, curr, "python", 5);
    expect(cut.pairingTruncated).toBe(true);
    expect(cut.changes.length).toBeLessThan(30);
    expect(cut.changes.length * 2 + cut.inserts.length + cut.removes.length).toBe(60);
  });
});
