/**
 * Helpers over the parser's node contract (shared/wikitext/nodes.ts) with mwparserfromhell 0.6.4
 * semantics, as the edit-type algorithm uses them (edittypes.md §2.3 "Parser API surface"):
 * child code lists in order, the recursive pre-order walk, strip_code, flat sections, entity values.
 */
import type { Node, Wikicode } from "../wikitext/nodes.ts";
import { HTML4_ENTITIES } from "./data.ts";

/** What the edit-type code needs from a parser: mwparserfromhell.parse with style tags on. */
export type ParseFn = (text: string) => Wikicode;

/** Source text of a wikicode. */
export function codeToString(code: Wikicode | null | undefined): string {
  if (!code) return "";
  if (code.length === 1) return code[0]!.str;
  let s = "";
  for (const n of code) s += n.str;
  return s;
}

/** The node's child code lists, in mwparserfromhell's `__children__` order (edittypes.md §2.5 table). */
export function childCodes(node: Node): Wikicode[] {
  switch (node.type) {
    case "Template": {
      const out: Wikicode[] = [node.name];
      for (const p of node.params) {
        if (p.showkey) out.push(p.name);
        out.push(p.value);
      }
      return out;
    }
    case "Tag": {
      const out: Wikicode[] = [];
      if (!node.wiki_markup) out.push(node.tag);
      for (const a of node.attributes) {
        out.push(a.name);
        if (a.value !== null) out.push(a.value);
      }
      if (!node.self_closing) {
        out.push(node.contents ?? []);
        if (!node.wiki_markup && node.closing_tag && codeToString(node.closing_tag) !== "") {
          out.push(node.closing_tag);
        }
      }
      return out;
    }
    case "Wikilink":
      return node.text !== null ? [node.title, node.text] : [node.title];
    case "ExternalLink":
      return node.title !== null ? [node.url, node.title] : [node.url];
    case "Argument":
      return node.default !== null ? [node.name, node.default] : [node.name];
    case "Heading":
      return [node.title];
    default:
      return [];
  }
}

/** Recursive pre-order walk over every node of a wikicode (mwparserfromhell `ifilter(recursive=True)`). */
export function* walk(code: Wikicode): Generator<Node> {
  // Explicit stack: deep nesting must not overflow the JS call stack.
  const stack: Array<{ code: Wikicode; i: number }> = [{ code, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.code.length) {
      stack.pop();
      continue;
    }
    const node = top.code[top.i++]!;
    yield node;
    const kids = childCodes(node);
    for (let k = kids.length - 1; k >= 0; k--) stack.push({ code: kids[k]!, i: 0 });
  }
}

/** `len(code.filter())`: number of nodes in the recursive walk. */
export function countAll(code: Wikicode, limit = Infinity): number {
  let n = 0;
  for (const _ of walk(code)) {
    if (++n >= limit) break;
  }
  return n;
}

/** Python `chr(int(...))` of an entity node (`HTMLEntity.normalize()`). */
export function entityNormalize(node: Extract<Node, { type: "HTMLEntity" }>): string {
  let cp: number | undefined;
  if (node.named) cp = HTML4_ENTITIES[node.value];
  else cp = parseInt(node.value, node.hexadecimal ? 16 : 10);
  if (cp === undefined || !Number.isFinite(cp) || cp < 0 || cp > 0x10ffff) return node.str;
  return String.fromCodePoint(cp);
}

const INVISIBLE_TAGS = new Set([
  "categorytree",
  "gallery",
  "graph",
  "imagemap",
  "inputbox",
  "math",
  "score",
  "section",
  "templatedata",
  "timeline",
]);

export interface StripOptions {
  normalize?: boolean;
  collapse?: boolean;
}

function stripNode(node: Node, opts: Required<StripOptions>): string | null {
  switch (node.type) {
    case "Text":
      return node.str;
    case "Template":
    case "Comment":
      return null;
    case "Argument":
      return node.default !== null ? stripCode(node.default, opts) : null;
    case "Wikilink":
      return node.text !== null ? stripCode(node.text, opts) : stripCode(node.title, opts);
    case "ExternalLink":
      if (node.brackets)
        return node.title && codeToString(node.title) !== "" ? stripCode(node.title, opts) : null;
      return stripCode(node.url, opts);
    case "Heading":
      return stripCode(node.title, opts);
    case "HTMLEntity":
      return opts.normalize ? entityNormalize(node) : node.str;
    case "Tag": {
      const contents = node.contents ?? [];
      if (codeToString(contents) !== "" && !INVISIBLE_TAGS.has(codeToString(node.tag).toLowerCase())) {
        return stripCode(contents, opts);
      }
      return null;
    }
  }
}

/** mwparserfromhell `Wikicode.strip_code(normalize, collapse)` (edittypes.md §2.8). */
export function stripCode(code: Wikicode, options: StripOptions = {}): string {
  const opts = { normalize: options.normalize ?? true, collapse: options.collapse ?? true };
  let out = "";
  for (const node of code) {
    const s = stripNode(node, opts);
    if (s) out += s;
  }
  if (opts.collapse) {
    out = out.replace(/^\n+|\n+$/g, "");
    while (out.includes("\n\n\n")) out = out.replaceAll("\n\n\n", "\n\n");
  }
  return out;
}

/**
 * `get_sections(flat=True, include_lead=True)`: the lead (nodes before the first top-level heading,
 * possibly empty) and one section per top-level heading, up to the next one.
 */
export function sectionsFlat(code: Wikicode): Wikicode[] {
  const out: Wikicode[] = [];
  let start = 0;
  let lead = true;
  for (let i = 0; i < code.length; i++) {
    if (code[i]!.type === "Heading") {
      if (lead) {
        out.push(code.slice(0, i));
        lead = false;
      } else {
        out.push(code.slice(start, i));
      }
      start = i;
    }
  }
  out.push(code.slice(start));
  return out;
}
