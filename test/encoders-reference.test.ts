/**
 * The generated ONNX graphs compute BERT: onnxruntime-node and onnxruntime-web logits on the probe
 * batches match an independent PyTorch BertForSequenceClassification loaded with the same weights
 * (models/reference/check_bert.py → test/data/bert-reference/reference.json) to ≤ 1e-5.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { ENCODER_NAMES, Manifest } from "../shared/model/bundle.ts";
import { createEncoderSession, type Backend, type EncoderSession } from "../shared/model/encoders.ts";
import { BertTokenizer } from "../shared/model/tokenizer.ts";
import { loadOnnxNode } from "../functions/node/onnxruntime-node.ts";

const BUNDLE = new URL("../models/fixture/", import.meta.url).pathname;
const DATA = new URL("./data/bert-reference/", import.meta.url).pathname;

interface ProbeBatch {
  texts: (string | [string, string])[];
  rows: number;
  seq_len: number;
  lengths: number[];
  input_ids: number[];
  attention_mask: number[];
  token_type_ids: number[];
}
const probe = JSON.parse(readFileSync(`${DATA}probe.json`, "utf8")) as {
  single: ProbeBatch;
  pair: ProbeBatch;
};
const reference = JSON.parse(readFileSync(`${DATA}reference.json`, "utf8")) as {
  model_version: string;
  encoders: Record<string, { input: "single" | "pair"; logits: number[][] }>;
};
const manifest = Manifest.parse(JSON.parse(readFileSync(`${BUNDLE}manifest.json`, "utf8")));
const quiet = { info: () => {}, warn: () => {} };
const sessions: EncoderSession[] = [];

afterAll(async () => {
  for (const s of sessions) await s.release();
});

const toBig = (xs: number[]): BigInt64Array => BigInt64Array.from(xs, (x) => BigInt(x));

describe("probe data", () => {
  it("was made from the committed bundle and tokenizer", () => {
    expect(reference.model_version).toBe(manifest.model_version);
    const tok = BertTokenizer.fromJSON(readFileSync(`${BUNDLE}tokenizer.json`, "utf8"));
    for (const kind of ["single", "pair"] as const) {
      const b = tok.encodeBatch(probe[kind].texts);
      expect(Array.from(b.inputIds, Number)).toEqual(probe[kind].input_ids);
      expect(Array.from(b.tokenTypeIds, Number)).toEqual(probe[kind].token_type_ids);
      expect(b.lengths).toEqual(probe[kind].lengths);
    }
    expect(probe.single.seq_len).toBe(512); // one row is truncated to 512
    expect(new Set(probe.pair.token_type_ids).size).toBe(2);
    expect(probe.single.attention_mask).toContain(0); // padding present
  });
});

for (const backend of ["node", "web"] as Backend[]) {
  describe(`onnxruntime-${backend} vs PyTorch reference`, () => {
    for (const name of ENCODER_NAMES) {
      it(`${name}: max |Δ| ≤ 1e-5`, async () => {
        const ref = reference.encoders[name];
        if (!ref) throw new Error(`no reference for ${name}`);
        const p = probe[ref.input];
        const s = await createEncoderSession(`${BUNDLE}${manifest.encoders[name].onnx}`, {
          backend,
          providers: ["cpu"],
          numOutputs: manifest.encoders[name].num_outputs,
          logger: quiet,
          nodeRuntime: loadOnnxNode,
        });
        sessions.push(s);
        const got = await s.run({
          rows: p.rows,
          seqLen: p.seq_len,
          inputIds: toBig(p.input_ids),
          attentionMask: toBig(p.attention_mask),
          tokenTypeIds: toBig(p.token_type_ids),
        });
        const want = ref.logits.flat();
        expect(got.length).toBe(want.length);
        let max = 0;
        want.forEach((w, i) => (max = Math.max(max, Math.abs((got[i] as number) - w))));
        expect(max).toBeLessThanOrEqual(1e-5);
      });
    }
  });
}
