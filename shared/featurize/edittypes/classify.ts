/**
 * Node classification, plaintext extraction, bare-media search and entry names
 * (mwedittypes 1.2.1 node classification, bare-media search and section plaintext).
 */
import type { Node, Wikicode } from "../wikitext/nodes.ts";
import { capitalize, cpLength, cpSlice, lower, strip } from "../pycompat.ts";
import {
  LIST_TAGS,
  MEDIA_EXTENSIONS,
  TABLE_ELEMENT_TAGS,
  TEXT_FORMATTING_TAGS,
  prefixesFor,
} from "./data.ts";
import { codeToString, entityNormalize, stripCode } from "./wikicode.ts";

/** The edit type of a parsed node (mwedittypes 1.2.1 node classification). */
export function nodeType(node: Node, lang: string): string {
  switch (node.type) {
    case "Text":
      return "Text";
    case "Wikilink": {
      const title = codeToString(node.title);
      const colon = title.indexOf(":");
      const prefix = lower(colon >= 0 ? title.slice(0, colon) : title);
      const p = prefixesFor(lang);
      if (p.media.has(prefix)) return "Media";
      if (p.category.has(prefix)) return "Category";
      return "Wikilink";
    }
    case "Tag": {
      const tag = codeToString(node.tag);
      if (TEXT_FORMATTING_TAGS.has(tag)) return "Text Formatting";
      if (LIST_TAGS.has(tag)) return "List";
      if (tag === "table") return "Table";
      if (TABLE_ELEMENT_TAGS.has(tag)) return "Table Element";
      if (tag === "gallery") return "Gallery";
      if (tag === "ref") return "Reference";
      if (tag === "noinclude") return "Comment";
      return capitalize(tag) + " Tag";
    }
    default:
      return node.type;
  }
}

/** Display text of one top-level node (`extract_text`, mwedittypes 1.2.1's per-type table). */
export function extractText(node: Node, lang: string): string {
  const t = nodeType(node, lang);
  switch (t) {
    case "Text":
      return node.str;
    case "HTMLEntity":
      return entityNormalize(node as Extract<Node, { type: "HTMLEntity" }>);
    case "Wikilink": {
      const w = node as Extract<Node, { type: "Wikilink" }>;
      // Python tests the wikicode's truthiness: an empty text falls back to the title.
      return w.text !== null && codeToString(w.text) !== "" ? stripCode(w.text) : stripCode(w.title);
    }
    case "ExternalLink": {
      const e = node as Extract<Node, { type: "ExternalLink" }>;
      return e.title !== null && codeToString(e.title) !== "" ? stripCode(e.title) : "";
    }
    case "Table":
      return stripCode((node as Extract<Node, { type: "Tag" }>).contents ?? [], { collapse: false });
    case "Text Formatting": {
      let s = "";
      for (const n of (node as Extract<Node, { type: "Tag" }>).contents ?? []) s += extractText(n, "en");
      return s;
    }
    default:
      return "";
  }
}

/** Plaintext of a parsed section: the concatenated `extract_text` of its top-level nodes. */
export function sectionPlaintext(code: Wikicode, lang: string): string {
  let s = "";
  for (const n of code) s += extractText(n, lang);
  return s;
}

const MAX_MEDIA_LENGTH = 240;
const EXT_SET = new Set(MEDIA_EXTENSIONS);
const EXT_LENGTHS = [...new Set(MEDIA_EXTENSIONS.map((e) => e.length))].sort((a, b) => b - a);
const WORD_CHAR = /[\p{L}\p{N}_]/u;
const RUN_CHAR = /[\p{L}\p{N}_ ,().-]/u;

function isRunChar(s: string, i: number): boolean {
  return RUN_CHAR.test(charAt(s, i));
}

function charAt(s: string, i: number): string {
  const cp = s.codePointAt(i);
  return cp === undefined ? "" : String.fromCodePoint(cp);
}

/**
 * `find_nested_media`: case-insensitive search for bare file names: runs of `[\w ,().-]+` ending in a
 * media extension followed by a word boundary, ≤ 240 code points, in original case, stripped
 * (mwedittypes 1.2.1 nested nodes). Equivalent to the greedy regex search: within each maximal run the match
 * starts at the run start (or the search position) and ends at the last extension hit in the run.
 */
export function findNestedMedia(wikitext: string): string[] {
  const lc = lower(wikitext);
  const out: string[] = [];
  const sameShape = lc.length === wikitext.length && cpLength(lc) === cpLength(wikitext);
  let pos = 0;
  const n = lc.length;
  while (pos < n) {
    // Start of the next run.
    let rs = pos;
    while (rs < n && !isRunChar(lc, rs)) rs += charAt(lc, rs).length || 1;
    if (rs >= n) break;
    let re = rs;
    while (re < n && isRunChar(lc, re)) re += charAt(lc, re).length;
    // Last '.' at e > rs (prefix non-empty) followed by an extension and a word boundary.
    let matchEnd = -1;
    for (let e = re - 1; e > rs && matchEnd < 0; e--) {
      if (lc.charCodeAt(e) !== 0x2e) continue;
      for (const len of EXT_LENGTHS) {
        const end = e + 1 + len;
        if (end > re) continue;
        if (!EXT_SET.has(lc.slice(e + 1, end))) continue;
        if (end < n && WORD_CHAR.test(charAt(lc, end))) continue;
        matchEnd = end;
        break;
      }
    }
    if (matchEnd < 0) {
      pos = re;
      continue;
    }
    if (cpLength(lc.slice(rs, matchEnd)) <= MAX_MEDIA_LENGTH) {
      // Python slices the original text with the lower-cased text's (code point) offsets.
      const piece = sameShape
        ? wikitext.slice(rs, matchEnd)
        : cpSlice(wikitext, cpLength(lc.slice(0, rs)), cpLength(lc.slice(0, matchEnd)));
      out.push(strip(piece));
    }
    pos = matchEnd;
  }
  return out;
}

/** `node_to_name` of a text: `Text: ` + the text with newlines escaped, cut to 10 code points + `...` if longer than 13. */
export function textEntryName(text: string): string {
  const t = text.replaceAll("\n", "\\n");
  return cpLength(t) > 13 ? `Text: ${cpSlice(t, 0, 10)}...` : `Text: ${t}`;
}
