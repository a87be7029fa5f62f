/**
 * Tree utilities mirroring the mwparserfromhell 0.6.4 API surface the edit-type code relies on:
 * `str()`, `strip_code()`, `get_sections(flat=True, include_lead=True)`, `filter()` (recursive and
 * top-level) and child code lists in mwparserfromhell's order.
 */
import { HTML4_ENTITIES } from "./entities.ts";
import type { HTMLEntityNode, Node, TagNode, Wikicode } from "./nodes.ts";

export type NodeType = Node["type"];

/** `str(wikicode)`: the exact source text. */
export function toString(nodes: Wikicode): string {
  let out = "";
  for (const n of nodes) out += n.str;
  return out;
}

/**
 * Child code lists of a node, in mwparserfromhell's `__children__` order:
 * Template: name, then per parameter its name (only when showkey) and value; Argument: name,
 * default; Wikilink: title, text; ExternalLink: url, title; Heading: title; Tag: the tag name (only
 * without wiki markup), attribute names and values, contents, the closing tag (only for a tag that
 * is neither self-closing nor wiki markup). Missing (null) lists are skipped.
 */
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
    case "Argument":
      return node.default === null ? [node.name] : [node.name, node.default];
    case "Wikilink":
      return node.text === null ? [node.title] : [node.title, node.text];
    case "ExternalLink":
      return node.title === null ? [node.url] : [node.url, node.title];
    case "Heading":
      return [node.title];
    case "Tag": {
      const out: Wikicode[] = [];
      if (!node.wiki_markup) out.push(node.tag);
      for (const a of node.attributes) {
        out.push(a.name);
        if (a.value !== null) out.push(a.value);
      }
      if (node.contents !== null) out.push(node.contents);
      if (!node.self_closing && !node.wiki_markup && node.closing_tag !== null) out.push(node.closing_tag);
      return out;
    }
    default:
      return [];
  }
}

/**
 * Recursive pre-order walk over every node (like `filter(recursive=True)`): each node, then the
 * nodes of its child code lists in `childCodes` order. Iterative, so deep trees cannot overflow.
 */
export function* walk(nodes: Wikicode): Generator<Node> {
  const stack: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) stack.push(nodes[i]);
  while (stack.length > 0) {
    const node = stack.pop()!;
    yield node;
    const codes = childCodes(node);
    for (let c = codes.length - 1; c >= 0; c--) {
      const code = codes[c];
      for (let i = code.length - 1; i >= 0; i--) stack.push(code[i]);
    }
  }
}

/** `filter(recursive=…, forcetype=…)`: nodes in mwparserfromhell order, optionally by type. */
export function filterNodes(
  nodes: Wikicode,
  options: { recursive?: boolean; types?: NodeType[] } = {},
): Node[] {
  const recursive = options.recursive ?? true;
  const types = options.types ? new Set<string>(options.types) : null;
  const src: Iterable<Node> = recursive ? walk(nodes) : nodes;
  const out: Node[] = [];
  for (const n of src) if (types === null || types.has(n.type)) out.push(n);
  return out;
}

/** Top-level nodes of the given types (`filter(recursive=False, forcetype=…)`). */
export function topLevel(nodes: Wikicode, ...types: NodeType[]): Node[] {
  return filterNodes(nodes, { recursive: false, types: types.length > 0 ? types : undefined });
}

/** `len(code.filter())`: the number of nodes at all depths. */
export function countAll(nodes: Wikicode): number {
  let n = 0;
  for (const _ of walk(nodes)) n++;
  return n;
}

/** Tags whose contents `strip_code` drops (mwparserfromhell 0.6.4 invisible tags). */
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

/** `HTMLEntity.normalize()`: the character an entity stands for. */
export function normalizeEntity(node: HTMLEntityNode): string {
  if (node.named) return String.fromCodePoint(HTML4_ENTITIES.get(node.value) ?? 0xfffd);
  const cp = parseInt(node.value, node.hexadecimal ? 16 : 10);
  // lone surrogates are kept as such, like Python's chr()
  return cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
}

function stripNode(node: Node, opts: Required<StripOptions>): string | null {
  switch (node.type) {
    case "Text":
      return node.str;
    case "Template":
    case "Comment":
      return null;
    case "Argument":
      return node.default === null ? null : stripWikicode(node.default, opts);
    case "Wikilink":
      return stripWikicode(node.text ?? node.title, opts);
    case "ExternalLink":
      if (node.brackets)
        return node.title !== null && toString(node.title) !== "" ? stripWikicode(node.title, opts) : null;
      return stripWikicode(node.url, opts);
    case "Heading":
      return stripWikicode(node.title, opts);
    case "HTMLEntity":
      return opts.normalize ? normalizeEntity(node) : node.str;
    case "Tag":
      return stripTag(node, opts);
  }
}

function stripTag(node: TagNode, opts: Required<StripOptions>): string | null {
  if (node.contents === null || toString(node.contents) === "") return null;
  if (INVISIBLE_TAGS.has(toString(node.tag).toLowerCase())) return null;
  return stripWikicode(node.contents, opts);
}

function stripWikicode(nodes: Wikicode, opts: Required<StripOptions>): string {
  let out = "";
  for (const n of nodes) {
    const s = stripNode(n, opts);
    if (s) out += s;
  }
  if (!opts.collapse) return out;
  // strip("\n") then squeeze runs of 3+ newlines to 2
  let a = 0;
  let b = out.length;
  while (a < b && out[a] === "\n") a++;
  while (b > a && out[b - 1] === "\n") b--;
  return out.slice(a, b).replace(/\n{3,}/g, "\n\n");
}

/** `strip_code(normalize, collapse)` (defaults true, true, like mwparserfromhell). */
export function stripCode(nodes: Wikicode, options: StripOptions = {}): string {
  return stripWikicode(nodes, { normalize: options.normalize ?? true, collapse: options.collapse ?? true });
}

/**
 * `get_sections(flat=True, include_lead=True)` as lists of top-level nodes: the lead (the nodes
 * before the first top-level heading, possibly none), then one section per top-level heading,
 * running up to the next top-level heading of any level.
 */
export function getSectionNodesFlat(nodes: Wikicode): Wikicode[] {
  const heads: number[] = [];
  nodes.forEach((n, i) => {
    if (n.type === "Heading") heads.push(i);
  });
  const out: Wikicode[] = [nodes.slice(0, heads.length > 0 ? heads[0] : nodes.length)];
  for (let k = 0; k < heads.length; k++)
    out.push(nodes.slice(heads[k], k + 1 < heads.length ? heads[k + 1] : nodes.length));
  return out;
}

/** `get_sections(flat=True, include_lead=True)` as strings. */
export function getSectionsFlat(nodes: Wikicode): string[] {
  return getSectionNodesFlat(nodes).map(toString);
}
