/**
 * shared/model/tokenizer.ts against the Hugging Face Rust tokenizer (npm `tokenizers`, native binding) as
 * oracle: same tokenizer.json, truncation 512 longest_first, BERT templates.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tokenizer as RustTokenizer } from "tokenizers";
import { Rng } from "../models/rng.ts";
import {
  BertTokenizer,
  effectiveLength,
  longestFirstAllowance,
  type TextInput,
} from "../shared/model/tokenizer.ts";

const tokenizerJson = readFileSync(new URL("../models/fixture/tokenizer.json", import.meta.url), "utf8");
const sampleLines = readFileSync(new URL("../models/sample-text.txt", import.meta.url), "utf8")
  .split("\n")
  .filter((l) => l.length > 0);

const tok = BertTokenizer.fromJSON(tokenizerJson);
const rust = RustTokenizer.fromString(tokenizerJson);
rust.setTruncation(512);

async function oracle(input: TextInput): Promise<{ ids: number[]; typeIds: number[] }> {
  const e = typeof input === "string" ? await rust.encode(input) : await rust.encode(input[0], input[1]);
  return { ids: e.getIds(), typeIds: e.getTypeIds() };
}

const rng = new Rng(7);
const words = sampleLines.flatMap((l) => l.split(/\s+/)).filter(Boolean);
/** Extra characters outside the sample (→ [UNK] words or unseen pieces), mixed scripts. */
const extraChars = [
  "ß",
  "Ω",
  "ж",
  "ע",
  "ف",
  "क्ष",
  "ত",
  "ღ",
  "ա",
  "ก",
  "漢",
  "カ",
  "한",
  "🙂",
  "\u200d",
  "\u00ad",
  "\t",
  "\u3000",
];

function randomText(nWords: number): string {
  const out: string[] = [];
  for (let i = 0; i < nWords; i++) {
    if (rng.uniform() < 0.08) out.push(rng.pick(extraChars) + rng.pick(words));
    else if (rng.uniform() < 0.05)
      out.push(rng.pick(words) + rng.pick(words)); // glued → word pieces
    else out.push(rng.pick(words));
  }
  return out.join(rng.uniform() < 0.5 ? " " : "  ");
}

function contentLength(text: string): number {
  return tok.pieces(text).ids.length;
}

/** A text of at least n word pieces. */
function textOfAtLeast(n: number): string {
  let t = randomText(Math.ceil(n / 2));
  while (contentLength(t) < n) t += " " + randomText(20);
  return t;
}

describe("BertTokenizer special ids (mBERT layout)", () => {
  it("reads [PAD]=0 [UNK]=100 [CLS]=101 [SEP]=102", () => {
    expect([tok.padId, tok.unkId, tok.clsId, tok.sepId]).toEqual([0, 100, 101, 102]);
    expect(tok.maxLength).toBe(512);
  });

  it("keeps accents and case (cased WordPiece, strip_accents null)", () => {
    const { tokens } = tok.pieces("Café Zürich ZÜRICH");
    expect(tokens.join(" ")).toContain("é");
    expect(tokens.join(" ")).toContain("Z");
  });
});

describe("BertTokenizer vs Rust tokenizers (oracle)", () => {
  it("single texts: sample lines, edge cases, long multilingual texts (> 512 tokens)", async () => {
    const inputs: string[] = [
      ...sampleLines,
      "",
      " ",
      "[CLS] inside [MASK] text",
      "a".repeat(99),
      "b".repeat(101),
      "ไทย".repeat(40),
      sampleLines.join(" "),
      sampleLines.join("\n").repeat(3),
    ];
    for (const n of [509, 510, 511, 512, 513, 700, 2000]) inputs.push(textOfAtLeast(n));
    for (let i = 0; i < 40; i++) inputs.push(randomText(rng.int(400)));
    let long = 0;
    for (const text of inputs) {
      const want = await oracle(text);
      const got = tok.encode(text);
      expect(got.ids, text.slice(0, 60)).toEqual(want.ids);
      expect(got.typeIds).toEqual(want.typeIds);
      expect(got.ids[0]).toBe(101);
      expect(got.ids.at(-1)).toBe(102);
      expect(got.ids.length).toBeLessThanOrEqual(512);
      if (contentLength(text) > 510) long++;
    }
    expect(long).toBeGreaterThanOrEqual(5);
  });

  it("pairs: short/short, long/short, short/long, long/long (longest_first, early exit)", async () => {
    const sizes = [
      0, 1, 5, 100, 250, 254, 255, 256, 300, 505, 506, 509, 510, 511, 512, 513, 514, 520, 600, 1200,
    ];
    const pairs: [string, string][] = [
      ["", ""],
      ["Café", ""],
      ["", "Café"],
    ];
    for (const a of sizes) {
      for (const b of sizes) {
        if (rng.uniform() < 0.35 || (a > 500 && b > 500)) pairs.push([textOfAtLeast(a), textOfAtLeast(b)]);
      }
    }
    let truncated = 0;
    for (const pair of pairs) {
      const want = await oracle(pair);
      const got = tok.encode(pair);
      expect(got.ids, `${contentLength(pair[0])}/${contentLength(pair[1])}`).toEqual(want.ids);
      expect(got.typeIds).toEqual(want.typeIds);
      if (got.ids.length === 512) truncated++;
      // [CLS] A [SEP] B [SEP]: types 0 up to and including the first [SEP], then 1.
      const firstSep = got.ids.indexOf(102);
      expect(got.typeIds.slice(0, firstSep + 1).every((t) => t === 0)).toBe(true);
      expect(got.typeIds.slice(firstSep + 1).every((t) => t === 1)).toBe(true);
      expect(got.ids.at(-1)).toBe(102);
    }
    expect(truncated).toBeGreaterThan(20);
  });
});

describe("batches", () => {
  it("pads to the longest row with [PAD]/mask 0/type 0 and reports lengths", async () => {
    const inputs: TextInput[] = ["short", textOfAtLeast(600), ["a pair", "of texts"], ""];
    const b = tok.encodeBatch(inputs);
    expect(b.rows).toBe(4);
    expect(b.seqLen).toBe(512);
    expect(b.inputIds.length).toBe(4 * 512);
    for (let r = 0; r < b.rows; r++) {
      const want = await oracle(inputs[r] as TextInput);
      expect(b.lengths[r]).toBe(want.ids.length);
      const row = (a: BigInt64Array): number[] =>
        Array.from(a.subarray(r * b.seqLen, (r + 1) * b.seqLen), Number);
      const n = want.ids.length;
      expect(row(b.inputIds)).toEqual([...want.ids, ...new Array<number>(512 - n).fill(0)]);
      expect(row(b.tokenTypeIds)).toEqual([...want.typeIds, ...new Array<number>(512 - n).fill(0)]);
      expect(row(b.attentionMask)).toEqual([
        ...new Array<number>(n).fill(1),
        ...new Array<number>(512 - n).fill(0),
      ]);
    }
  });

  it("dynamic padding: a batch of short texts is short", () => {
    const b = tok.encodeBatch(["a", "Stone bridge"]);
    expect(b.seqLen).toBe(Math.max(...b.lengths));
    expect(b.seqLen).toBeLessThan(10);
    expect(tok.encodeBatch([]).rows).toBe(0);
  });

  it("honours a smaller maxLength", async () => {
    const small = BertTokenizer.fromJSON(JSON.parse(tokenizerJson), {}, { maxLength: 32 });
    const r = RustTokenizer.fromString(tokenizerJson);
    r.setTruncation(32);
    const pair: [string, string] = [textOfAtLeast(40), textOfAtLeast(25)];
    expect(small.encode(pair).ids).toEqual((await r.encode(pair[0], pair[1])).getIds());
    expect(small.encode(pair[0]).ids.length).toBe(32);
  });
});

describe("truncation helpers", () => {
  it("longestFirstAllowance follows truncation.rs", () => {
    expect(longestFirstAllowance(10, 20, 509)).toEqual([10, 20]);
    expect(longestFirstAllowance(100, 600, 509)).toEqual([100, 409]);
    expect(longestFirstAllowance(600, 100, 509)).toEqual([409, 100]);
    expect(longestFirstAllowance(300, 300, 509)).toEqual([254, 255]);
    expect(longestFirstAllowance(700, 600, 509)).toEqual([255, 254]);
    expect(longestFirstAllowance(600, 700, 509)).toEqual([254, 255]);
  });

  it("effectiveLength stops at the first word start at or after maxLength", () => {
    expect(effectiveLength(["a", "##b", "c"], 5)).toBe(3);
    expect(effectiveLength(["a", "b", "##c", "##d", "e", "f"], 2)).toBe(4);
  });
});
