#!/usr/bin/env node
/**
 * Writes test/data/bert-reference/probe.json: the fixed probe batches (mixed lengths, padding, a
 * 512-token row, pairs with token type ids) tokenized with the fixture tokenizer. check_bert.py feeds
 * them to an independent PyTorch BERT; test/encoders-reference.test.ts feeds them to onnxruntime.
 *
 *   node models/reference/make-probe.ts && /usr/bin/python3 models/reference/check_bert.py
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BertTokenizer, type EncodedBatch, type TextInput } from "../../shared/model/tokenizer.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const sample = readFileSync(join(REPO, "models/sample-text.txt"), "utf8").split("\n");
const long = sample.join(" ");

export const PROBE_SINGLE: string[] = [
  "Stone bridge",
  (sample[2] as string) + " " + (sample[12] as string),
  long, // truncated to 512 tokens
  "河流穿过老城区。",
  "x",
];

export const PROBE_PAIR: [string, string][] = [
  ["The bridge was built in 1875.", "The stone bridge was built in 1875 and restored in 2003."],
  [sample[13] as string, sample[14] as string],
  [long, "Kurz."],
  ["Café", long],
];

function plain(b: EncodedBatch): Record<string, unknown> {
  return {
    rows: b.rows,
    seq_len: b.seqLen,
    lengths: b.lengths,
    input_ids: Array.from(b.inputIds, Number),
    attention_mask: Array.from(b.attentionMask, Number),
    token_type_ids: Array.from(b.tokenTypeIds, Number),
  };
}

const tok = BertTokenizer.fromJSON(readFileSync(join(REPO, "models/fixture/tokenizer.json"), "utf8"));
const batch = (xs: TextInput[]): Record<string, unknown> => plain(tok.encodeBatch(xs));
const probe = {
  note: "Probe batches for the fixture encoders (models/reference/make-probe.ts); row-major [rows × seq_len].",
  single: { texts: PROBE_SINGLE, ...batch(PROBE_SINGLE) },
  pair: { texts: PROBE_PAIR, ...batch(PROBE_PAIR) },
};
const out = join(REPO, "test/data/bert-reference/probe.json");
writeFileSync(out, JSON.stringify(probe) + "\n");
console.log(`wrote ${out}`);
