/**
 * Document trees for the tree differ: construction, section pruning, size modes and expansion of
 * nested nodes (mwedittypes 1.2.1 tree building).
 */
import type { Wikicode } from "../wikitext/nodes.ts";
import { cpLength } from "../pycompat.ts";
import { findNestedMedia, nodeType } from "./classify.ts";
import { type ParseFn, codeToString, countAll, sectionsFlat, walk } from "./wikicode.ts";

export interface TreeNode {
  ntype: string;
  /** Wikitext of the node (for a Section: its first node). */
  text: string;
  /** Equality key (the full section text for sections, else the text). */
  hash: string;
  /** Name of the section the node belongs to. */
  section: string;
  parent: TreeNode | null;
  children: TreeNode[];
  /** Post-order index, set by the differ. */
  idx: number;
}

export interface WikitextTree {
  root: TreeNode;
  /** Section name → full section wikitext, in document order. */
  secnameToText: Map<string, string>;
  lang: string;
}

function makeNode(
  ntype: string,
  text: string,
  hash: string,
  section: string,
  parent: TreeNode | null,
): TreeNode {
  const n: TreeNode = { ntype, text, hash, section, parent, children: [], idx: -1 };
  if (parent) parent.children.push(n);
  return n;
}

/** Build the Article → Section → top-level node tree of a revision (mwedittypes 1.2.1 tree building). */
export function buildTree(wikitext: string, lang: string, parse: ParseFn): WikitextTree {
  const root = makeNode("Article", "", "", "", null);
  const secnameToText = new Map<string, string>();
  const sections = sectionsFlat(parse(wikitext));
  sections.forEach((nodes, sidx) => {
    const secText = codeToString(nodes);
    if (secText !== "") {
      const first = nodes[0]!.str;
      const name = `${sidx}: ${sidx === 0 ? "Lede" : first}`;
      secnameToText.set(name, secText);
      const sec = makeNode("Section", first, secText, name, root);
      for (const n of nodes) makeNode(nodeType(n, lang), n.str, n.str, name, sec);
    } else {
      const name = `${sidx}: ${sidx === 0 ? "Lede" : ""}`;
      secnameToText.set(name, "");
      makeNode("Section", "", "", name, root);
    }
  });
  return { root, secnameToText, lang };
}

/** Post-order list of a tree's nodes (children in order). */
export function postOrder(root: TreeNode): TreeNode[] {
  const out: TreeNode[] = [];
  const stack: Array<{ n: TreeNode; i: number }> = [{ n: root, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i < top.n.children.length) {
      stack.push({ n: top.n.children[top.i++]!, i: 0 });
    } else {
      out.push(top.n);
      stack.pop();
    }
  }
  return out;
}

export type SizeMode = "expanded" | "top-level" | "sections-only";

/** Children of identical sections are dropped, greedily in order, each curr section matched once. */
export function pruneSections(t1: WikitextTree, t2: WikitextTree): void {
  const s1 = t1.root.children;
  const s2 = [...t2.root.children];
  for (const a of s1) {
    const k = s2.findIndex((b) => b.hash === a.hash);
    if (k >= 0) {
      a.children = [];
      s2[k]!.children = [];
      s2.splice(k, 1);
    }
  }
}

export const SECTIONS_ONLY_THRESHOLD = 500;
export const EXPAND_THRESHOLD = 1000;

/** Prune and pick the size mode; expands both trees in expanded mode (mwedittypes 1.2.1 tree building). */
export function pruneTrees(t1: WikitextTree, t2: WikitextTree, parse: ParseFn): SizeMode {
  pruneSections(t1, t2);
  const n1 = postOrder(t1.root);
  const n2 = postOrder(t2.root);
  if (n1.length + n2.length > SECTIONS_ONLY_THRESHOLD) {
    for (const s of t1.root.children) s.children = [];
    for (const s of t2.root.children) s.children = [];
    return "sections-only";
  }
  let total = 0;
  for (const n of [...n1, ...n2]) {
    if (n.text === "") continue;
    total += countAll(parse(n.text), EXPAND_THRESHOLD - total);
    if (total >= EXPAND_THRESHOLD) return "top-level";
  }
  expandNested(t1, parse);
  expandNested(t2, parse);
  return "expanded";
}

const NOT_EXPANDED = new Set(["Article", "Section", "Heading", "Text"]);

/** Expand every top-level node except headings and text (post-order; new nodes are not revisited). */
export function expandNested(t: WikitextTree, parse: ParseFn): void {
  for (const n of postOrder(t.root)) {
    if (!NOT_EXPANDED.has(n.ntype)) unnest(n, t.lang, parse);
  }
}

/** Code-point ↔ UTF-16 offset helpers for one string (identity when it has no astral characters). */
class Offsets {
  private readonly s: string;
  private readonly astral: boolean;
  constructor(s: string) {
    this.s = s;
    this.astral = /[\ud800-\udfff]/.test(s);
  }
  /** Python `s.find(sub, start)` with code-point offsets. */
  find(sub: string, start: number): number {
    // A negative start counts from the end, as in Python.
    if (start < 0) start = Math.max(0, (this.astral ? cpLength(this.s) : this.s.length) + start);
    if (!this.astral) return this.s.indexOf(sub, Math.max(0, start));
    const from = this.toUnits(Math.max(0, start));
    const k = this.s.indexOf(sub, from);
    return k < 0 ? -1 : cpLength(this.s.slice(0, k));
  }
  private toUnits(cp: number): number {
    let units = 0;
    let count = 0;
    for (const ch of this.s) {
      if (count >= cp) break;
      units += ch.length;
      count++;
    }
    return units;
  }
}

/** Build the nested nodes of one node from a re-parse of its text (mwedittypes 1.2.1 nested nodes). */
export function unnest(self: TreeNode, lang: string, parse: ParseFn): void {
  let code: Wikicode;
  if (self.ntype === "Gallery") {
    const text = self.text;
    const start = text.indexOf(">");
    const end = text.lastIndexOf("<");
    // Python text[start+1:end]; JS slice has the same meaning for end == -1.
    const inner = text.slice(start + 1, end);
    code = parse("<br>" + inner);
  } else {
    code = parse(self.text);
  }
  const offsets = new Offsets(self.text);
  let parentNode: TreeNode = self;
  const ranges: Array<{ start: number; end: number; node: TreeNode }> = [
    { start: 0, end: cpLength(self.text), node: self },
  ];
  const searchMedia = self.ntype === "Template" || self.ntype === "Gallery";
  let first = true;
  for (const nn of walk(code)) {
    if (first) {
      first = false;
      continue;
    }
    const ntype = nodeType(nn, lang);
    if (ntype === "Text") {
      if (searchMedia) {
        for (const m of findNestedMedia(nn.str)) makeNode("Media", m, m, self.section, self);
      }
    } else if (ntype === "Table Element") {
      continue;
    } else {
      const str = nn.str;
      const nodeStart = offsets.find(str, ranges[0]!.start);
      for (const r of ranges) {
        if (nodeStart < r.end) {
          parentNode = r.node;
          break;
        }
      }
      const child = makeNode(ntype, str, str, self.section, parentNode);
      ranges.unshift({ start: nodeStart, end: nodeStart + cpLength(str), node: child });
    }
  }
}
