/**
 * Parser parity against mwparserfromhell 0.6.4 dumps (test/data/parser/trees.jsonl.gz), the API
 * helpers, the behaviours listed in docs (the mwparserfromhell 0.6.4 API that mwedittypes uses), hard cases, fuzzed round trips and
 * speed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseStrict } from "../shared/featurize/wikitext/parser.ts";
import {
  childCodes,
  countAll,
  filterNodes,
  getSectionsFlat,
  parse,
  stripCode,
  toString,
  topLevel,
  walk,
} from "../shared/featurize/wikitext/index.ts";
import type { Node, TagNode, TemplateNode, Wikicode } from "../shared/featurize/wikitext/index.ts";

interface Fixture {
  id: string;
  lang: string;
  text: string;
  tree: Wikicode;
  sections: string[];
  strip: { collapse: string; no_collapse: string };
}

const fixtures: Fixture[] = gunzipSync(readFileSync(join(import.meta.dirname, "data/parser/trees.jsonl.gz")))
  .toString("utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as Fixture);

/**
 * Structural checks on a parse: the top level round-trips, and (except for templates and tags,
 * which carry synthesized parts: positional parameter names, default closing tags) every node's
 * child code lists are, in order, disjoint substrings of the node's own text.
 */
function checkTree(nodes: Wikicode, text: string): void {
  expect(toString(nodes)).toBe(text);
  for (const node of walk(nodes)) {
    if (node.type === "Template" || node.type === "Tag") continue;
    let at = 0;
    for (const code of childCodes(node)) {
      const part = toString(code);
      const k = node.str.indexOf(part, at);
      expect(
        k,
        `${node.type} ${JSON.stringify(node.str)} lacks ${JSON.stringify(part)}`,
      ).toBeGreaterThanOrEqual(0);
      at = k + part.length;
    }
  }
}

/** Small deterministic PRNG (LCG), so that fuzz runs are reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 0x100000000;
  };
}

const PIECES = [
  "{{",
  "}}",
  "{{{",
  "}}}",
  "[[",
  "]]",
  "[",
  "]",
  "|",
  "=",
  "==",
  "\n",
  "\n\n",
  " ",
  "''",
  "'''",
  "'",
  "<ref>",
  "</ref>",
  "<ref name=a/>",
  '<div class="x">',
  "</div>",
  "<br>",
  "</br>",
  "<li>",
  "<nowiki>",
  "</nowiki>",
  "<!--",
  "-->",
  "&amp;",
  "&#x41;",
  "&bogus;",
  "&",
  "http://x.org/a.",
  "[http://y.org t]",
  "mailto:a@b.c",
  "{|",
  "|}",
  "|-",
  "||",
  "!",
  "!!",
  "*",
  "#",
  ";",
  ":",
  "----",
  "<",
  ">",
  "/",
  '"',
  "a",
  "text",
  "Ж",
  "東京",
  "عربي",
  "\u0301",
  "\ud83d\ude00",
  "\t",
  "{",
  "}",
  "-",
  "<pre>",
  "</pre>",
];

function randomWikitext(r: () => number, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(r() * PIECES.length)];
  return out;
}

function mutate(r: () => number, text: string, edits: number): string {
  let t = text;
  for (let j = 0; j < edits; j++) {
    const p = Math.floor(r() * (t.length + 1));
    if (r() < 0.3) t = t.slice(0, p) + t.slice(p + Math.floor(r() * 30));
    else t = t.slice(0, p) + PIECES[Math.floor(r() * PIECES.length)] + t.slice(p);
  }
  return t;
}

/** Maximum number of nested nodes of one type along any path. */
function nesting(nodes: Wikicode, type: Node["type"]): number {
  let best = 0;
  for (const n of nodes) {
    const inner = Math.max(0, ...childCodes(n).map((c) => nesting(c, type)));
    best = Math.max(best, (n.type === type ? 1 : 0) + inner);
  }
  return best;
}

const types = (nodes: Wikicode): string[] =>
  nodes.map((n) => (n.type === "Tag" ? `Tag:${toString(n.tag)}` : n.type));

describe("mwparserfromhell 0.6.4 parity (157 dumps)", () => {
  it("has all fixtures", () => {
    expect(fixtures.length).toBe(157);
  });
  for (const f of fixtures) {
    it(`${f.id}: tree, sections, strip`, () => {
      const tree = parse(f.text);
      expect(tree).toEqual(f.tree);
      expect(getSectionsFlat(tree)).toEqual(f.sections);
      expect(stripCode(tree, { normalize: true, collapse: true })).toBe(f.strip.collapse);
      expect(stripCode(tree, { normalize: true, collapse: false })).toBe(f.strip.no_collapse);
    });
  }
});

describe("API", () => {
  const text = "{{a|x|k=[[L|t]]}} ''i'' <ref name=r>c</ref>\n== H ==\nb";
  const tree = parse(text);

  it("toString round-trips", () => {
    expect(toString(tree)).toBe(text);
  });

  it("walks in mwparserfromhell pre-order over child code lists", () => {
    const seq = [...walk(tree)].map((n) => `${n.type}:${n.str}`);
    expect(seq).toEqual([
      "Template:{{a|x|k=[[L|t]]}}",
      "Text:a",
      "Text:x", // a positional value; its synthesized name "1" is not a child (showkey is false)
      "Text:k",
      "Wikilink:[[L|t]]",
      "Text:L",
      "Text:t",
      "Text: ",
      "Tag:''i''",
      "Text:i", // wiki-markup tags yield no tag-name code
      "Text: ",
      "Tag:<ref name=r>c</ref>",
      "Text:ref",
      "Text:name",
      "Text:r",
      "Text:c",
      "Text:ref", // the closing tag
      "Text:\n",
      "Heading:== H ==",
      "Text: H ",
      "Text:\nb",
    ]);
    expect(countAll(tree)).toBe(seq.length);
  });

  it("filters top-level and recursively by type", () => {
    expect(types(topLevel(tree))).toEqual([
      "Template",
      "Text",
      "Tag:i",
      "Text",
      "Tag:ref",
      "Text",
      "Heading",
      "Text",
    ]);
    expect(topLevel(tree, "Heading").map((n) => n.str)).toEqual(["== H =="]);
    expect(filterNodes(tree, { types: ["Wikilink"] }).map((n) => n.str)).toEqual(["[[L|t]]"]);
    expect(filterNodes(tree, { recursive: false, types: ["Wikilink"] })).toEqual([]);
  });

  it("child code lists follow the documented order", () => {
    const tpl = tree[0] as TemplateNode;
    expect(childCodes(tpl).map(toString)).toEqual(["a", "x", "k", "[[L|t]]"]);
    const ref = tree[4] as TagNode;
    expect(childCodes(ref).map(toString)).toEqual(["ref", "name", "r", "c", "ref"]);
    const br = parse("<br/>")[0];
    expect(childCodes(br).map(toString)).toEqual(["br", ""]);
  });

  it("sections (flat, with lead) and strip_code", () => {
    expect(getSectionsFlat(tree)).toEqual(["{{a|x|k=[[L|t]]}} ''i'' <ref name=r>c</ref>\n", "== H ==\nb"]);
    expect(getSectionsFlat(parse(""))).toEqual([""]);
    expect(getSectionsFlat(parse("== A ==\n=== B ===\nx"))).toEqual(["", "== A ==\n", "=== B ===\nx"]);
    expect(stripCode(tree)).toBe(" i c\n H \nb");
    expect(stripCode(parse("a&nbsp;b&#x41;"), { normalize: false })).toBe("a&nbsp;b&#x41;");
    expect(stripCode(parse("a&nbsp;b&#x41;"), { normalize: true })).toBe("a\u00a0bA");
    expect(stripCode(parse("\n\na\n\n\n\nb\n"), { collapse: true })).toBe("a\n\nb");
    expect(stripCode(parse("\n\na\n\n\n\nb\n"), { collapse: false })).toBe("\n\na\n\n\n\nb\n");
  });
});

describe("parser behaviours of the mwparserfromhell 0.6.4 API that mwedittypes uses", () => {
  const one = (text: string): Node => {
    const tree = parse(text);
    expect(tree).toHaveLength(1);
    return tree[0];
  };

  it("style markup", () => {
    const b = one("'''abc\nxyz'''") as TagNode;
    expect([toString(b.tag), b.wiki_markup]).toEqual(["b", "'''"]);
    const i = one("''a'''b'''c''") as TagNode;
    expect(toString(i.tag)).toBe("i");
    expect(types(i.contents!)).toEqual(["Text", "Tag:b", "Text"]);
    expect(toString((one("'''''bi'''''") as TagNode).tag)).toBe("i");
    expect(types(parse("it's ''x"))).toEqual(["Text"]);
  });

  it("lists and rules", () => {
    const li = parse("* a");
    expect(types(li)).toEqual(["Tag:li", "Text"]);
    expect((li[0] as TagNode).contents).toEqual([]);
    expect(li[1].str).toBe(" a");
    expect(types(parse("**"))).toEqual(["Tag:li", "Tag:li"]);
    expect(types(parse(";term:def"))).toEqual(["Tag:dt", "Text", "Tag:dd", "Text"]);
    expect(types(parse("----"))).toEqual(["Tag:hr"]);
  });

  it("wikilinks", () => {
    expect(one("[[File:A.jpg|thumb|[[b|c]] d]]").type).toBe("Wikilink");
    expect(one("[[Foo|a [[b]] c]]").type).toBe("Wikilink");
    expect(types(parse("[[a\nb]]"))).toEqual(["Text"]);
  });

  it("external links", () => {
    const t = parse("http://x.org/a.");
    expect(types(t)).toEqual(["ExternalLink", "Text"]);
    expect(t.map((n) => n.str)).toEqual(["http://x.org/a", "."]);
    const tpl = one("{{cite|url=http://x.org/|title=T}}") as TemplateNode;
    expect(types(tpl.params[0].value)).toEqual(["ExternalLink"]);
  });

  it("templates", () => {
    expect(one("{{DEFAULTSORT:Name}}").type).toBe("Template");
    expect(one("{{#if:x|y|z}}").type).toBe("Template");
    expect(one("{{{{{a}}}}}").type).toBe("Template");
    expect(types(parse("{{a|{{b}}}}}"))).toEqual(["Template", "Text"]);
  });

  it("HTML entities", () => {
    expect(types(parse("&amp;&eacute;&#65;&#x41;"))).toEqual([
      "HTMLEntity",
      "HTMLEntity",
      "HTMLEntity",
      "HTMLEntity",
    ]);
    expect(types(parse("&NewLine;"))).toEqual(["Text"]);
    expect(types(parse("&#0;"))).toEqual(["Text"]);
  });

  it("tags", () => {
    expect(types(parse("<ref>abc"))).toEqual(["Text"]);
    const ref = one("<ref name=a>x</REF>") as TagNode;
    expect(toString(ref.closing_tag!)).toBe("REF");
    for (const t of ["nowiki", "pre", "math", "gallery", "source", "syntaxhighlight", "score", "timeline"]) {
      const tag = one(`<${t}>{{x}} [[y]] ''z''</${t}>`) as TagNode;
      expect(types(tag.contents!)).toEqual(["Text"]);
    }
  });

  it("headings", () => {
    expect(types(parse("== H == <!-- c -->"))).toEqual(["Heading", "Text", "Comment"]);
    const h = one("==H=");
    expect(h.type === "Heading" && [h.level, toString(h.title)]).toEqual([1, "=H"]);
  });
});

describe("hard cases", () => {
  it("unclosed markup falls back to text", () => {
    for (const t of [
      "{{unclosed",
      "[[unclosed link",
      "<ref>no close",
      "<!-- unclosed",
      "{|\n| a",
      "'''bold",
      "{{{a",
    ]) {
      expect(types(parse(t)), t).toEqual(["Text"]);
    }
    expect(types(parse("{{a|[[b}}"))).toEqual(["Template"]);
    expect(types(parse("[[a|{{b]]"))).toEqual(["Wikilink"]);
  });

  it("nesting limit of 40 route frames", () => {
    // A template in a template's positional value costs 3 frames (brace frame, template, parameter
    // key); with the root frame, 1 + 3k < 40 allows 13 levels. In named values the key frame is
    // gone (2 per level: 20 levels); a wikilink or an HTML tag costs 1 frame (39 levels).
    expect(nesting(parse("{{a|".repeat(50) + "}}".repeat(50)), "Template")).toBe(13);
    expect(nesting(parse("{{a|b=".repeat(50) + "}}".repeat(50)), "Template")).toBe(20);
    expect(nesting(parse("[[a|".repeat(50) + "]]".repeat(50)), "Wikilink")).toBe(39);
    expect(nesting(parse("<div>".repeat(50) + "</div>".repeat(50)), "Tag")).toBe(39);
    for (const t of ["{{a|".repeat(500) + "}}".repeat(500), "<div>".repeat(500), "[[a|".repeat(500)]) {
      checkTree(parseStrict(t), t);
    }
  });

  it("long heading lines and brace runs do not overflow the call stack", () => {
    for (const t of ["=" + "a=".repeat(100000), "{".repeat(30000) + "}".repeat(30000), "'".repeat(50000)]) {
      checkTree(parseStrict(t), t);
    }
    const h = parseStrict("== a == b == c ==\n");
    expect(h[0].type === "Heading" && toString(h[0].title)).toBe(" a == b == c ");
  });

  it("non-Latin scripts", () => {
    const t = "'''東京'''は[[日本|日本国]]の首都。\n[[Категория:Города]] {{شريط|نص}} &#x0915;";
    const tree = parse(t);
    expect(types(tree)).toEqual([
      "Tag:b",
      "Text",
      "Wikilink",
      "Text",
      "Wikilink",
      "Text",
      "Template",
      "Text",
      "HTMLEntity",
    ]);
    expect(stripCode(tree)).toBe("東京は日本国の首都。\nКатегория:Города  क");
    // URL schemes and tag names must be ASCII, as in mwparserfromhell
    expect(types(parse("éhttp://x.org"))).toEqual(["Text"]);
    expect(types(parse("<éxamplé>"))).toEqual(["Text"]);
  });
});

describe("robustness", () => {
  it("round-trips random wikitext (fuzz)", () => {
    const r = rng(1);
    for (let k = 0; k < 1500; k++) {
      const t = randomWikitext(r, 1 + Math.floor(r() * 60));
      checkTree(parseStrict(t), t);
    }
  });

  it("round-trips mutated fixture articles", () => {
    const r = rng(2);
    for (let k = 0; k < 60; k++) {
      const base = fixtures[Math.floor(r() * fixtures.length)].text;
      const t = mutate(r, base, 1 + Math.floor(r() * 40));
      checkTree(parseStrict(t), t);
    }
  });

  it("parses a 500 KB page well under a second", () => {
    let big = "";
    for (let i = 0; big.length < 500_000; i++) big += fixtures[i % fixtures.length].text + "\n";
    parse(big); // warm-up
    const t0 = performance.now();
    const tree = parse(big);
    const ms = performance.now() - t0;
    expect(toString(tree)).toBe(big);
    expect(ms).toBeLessThan(1000);
  });

  it("stays fast on pathological input", () => {
    const filler = "Some words here. ".repeat(30) + "\n";
    for (const open of [
      "<div>",
      "{{a|",
      "[[a|",
      "''",
      "{|\n| ",
      "<nowiki>",
      "<!--",
      "== a ",
      '<span style="a ',
    ]) {
      const t = (open + filler).repeat(400);
      const t0 = performance.now();
      checkTree(parseStrict(t), t);
      expect(performance.now() - t0, open).toBeLessThan(2000);
    }
  });
});
