/**
 * The committed fixture bundle (models/fixture/): manifest contract, tokenizer layout, ONNX graph
 * interface (dynamic axes, int8 pattern), CatBoost classifier against the manifest, and byte-exact
 * regeneration by `npm run models:fixture`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { generateFixture } from "../models/generate-fixture.ts";
import { ENCODER_NAMES, Manifest } from "../shared/model/bundle.ts";
import { fixtureLabelledSet } from "../models/fixture-labels.ts";
import { checkManifestFeatures, loadCatBoost } from "../shared/model/catboost/load.ts";

const BUNDLE = new URL("../models/fixture/", import.meta.url).pathname;
const read = (f: string): string => readFileSync(join(BUNDLE, f), "utf8");
const manifest = Manifest.parse(JSON.parse(read("manifest.json")));

describe("manifest", () => {
  it("is a revertrisk-multilingual fixture with the 47 training wikis", () => {
    expect(manifest.format).toBe("revrisk-bundle/1");
    expect(manifest.model_name).toBe("revertrisk-multilingual");
    expect(manifest.model_version).toMatch(/^fixture-/);
    expect(manifest.threshold).toBe(0.5);
    expect(manifest.supported_wikis).toHaveLength(47);
    expect(new Set(manifest.supported_wikis).size).toBe(47);
    expect(manifest.supported_wikis).toContain("en");
    expect(manifest.missing_categorical).toBe("-1");
  });

  it("lists the 137 features in training order, 23 categorical, with boolean encodings", () => {
    const f = manifest.features;
    expect(f).toHaveLength(137);
    expect(f.filter((x) => x.kind === "categorical")).toHaveLength(23);
    expect(f[0]).toEqual({ name: "wiki_db", kind: "categorical" });
    expect(f[1]).toEqual({ name: "revision_text_bytes_diff", kind: "numeric" });
    expect(f[2]).toEqual({
      name: "is_mobile_edit",
      kind: "categorical",
      encoding: { true: "1", false: "0" },
    });
    expect(f[7]?.name).toBe("change_Argument");
    expect(f[8]?.name).toBe("insert_Argument");
    expect(f[94]?.name).toBe("remove_Word");
    expect(f[95]?.name).toBe("bert_insert_s0_max");
    expect(f[110]?.name).toBe("bert_remove_p1_mean");
    expect(f[118]?.name).toBe("bert_change_p1_mean");
    expect(f[119]?.name).toBe("bert_title_score");
    expect(f[120]).toEqual({
      name: "is_editor",
      kind: "categorical",
      encoding: { true: "True", false: "False" },
    });
    expect(f[136]).toEqual({
      name: "is_anonymous",
      kind: "categorical",
      encoding: { true: "True", false: "False" },
    });
    expect(f.map((x) => x.name)).toContain("change_Table Element");
    expect(new Set(f.map((x) => x.name)).size).toBe(137);
  });

  it("describes the four encoders", () => {
    expect(manifest.encoders.title).toMatchObject({ input: "single", task: "regression", num_outputs: 1 });
    for (const n of ["insert", "remove"] as const) {
      expect(manifest.encoders[n]).toMatchObject({ input: "single", task: "classification", num_outputs: 2 });
    }
    expect(manifest.encoders.change).toMatchObject({ input: "pair", task: "classification", num_outputs: 2 });
    for (const n of ENCODER_NAMES) {
      expect(manifest.encoders[n]).toMatchObject({
        output: "logits",
        max_length: 512,
        tokenizer: "tokenizer.json",
      });
      expect(manifest.encoders[n].onnx_int8).toBe(`${n}.int8.onnx`);
    }
  });

  it("has a CatBoost classifier that agrees with the feature list", () => {
    const model = loadCatBoost(JSON.parse(read(manifest.classifier.file)));
    checkManifestFeatures(model, manifest.features);
    expect(model.featureCount).toBeLessThanOrEqual(137);
  });
});

describe("tokenizer.json", () => {
  const tj = JSON.parse(read("tokenizer.json")) as {
    normalizer: Record<string, unknown>;
    pre_tokenizer: { type: string };
    model: {
      type: string;
      vocab: Record<string, number>;
      continuing_subword_prefix: string;
      unk_token: string;
    };
    post_processor: { type: string };
  };
  it("uses mBERT's special-token ids", () => {
    const v = tj.model.vocab;
    expect([
      v["[PAD]"],
      v["[unused1]"],
      v["[unused99]"],
      v["[UNK]"],
      v["[CLS]"],
      v["[SEP]"],
      v["[MASK]"],
    ]).toEqual([0, 1, 99, 100, 101, 102, 103]);
    const ids = Object.values(v).sort((a, b) => a - b);
    expect(ids).toEqual(ids.map((_, i) => i)); // dense ids
  });
  it("is cased WordPiece with BERT normalisation and templates", () => {
    expect(tj.normalizer).toEqual({
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: false,
    });
    expect(tj.pre_tokenizer.type).toBe("BertPreTokenizer");
    expect(tj.model.type).toBe("WordPiece");
    expect(tj.model.continuing_subword_prefix).toBe("##");
    expect(tj.model.unk_token).toBe("[UNK]");
    expect(tj.post_processor.type).toBe("TemplateProcessing");
  });
  it("covers several scripts", () => {
    const v = tj.model.vocab;
    for (const ch of ["é", "ж", "ع", "क", "河", "ก", "λ", "ქ", "강", "は", "ש", "ա", "த"])
      expect(v[ch], ch).toBeTypeOf("number");
  });
});

describe("ONNX encoders", () => {
  const { onnx } = onnxProto;

  it("have int64 inputs input_ids/attention_mask/token_type_ids, output logits, dynamic batch and sequence", async () => {
    for (const name of ENCODER_NAMES) {
      for (const file of [`${name}.onnx`, `${name}.int8.onnx`]) {
        const s = await ort.InferenceSession.create(join(BUNDLE, file));
        expect(s.inputNames).toEqual(["input_ids", "attention_mask", "token_type_ids"]);
        expect(s.outputNames).toEqual(["logits"]);
        for (const [b, n] of [
          [1, 1],
          [3, 37],
          [2, 512],
        ] as const) {
          const t = (v: bigint): ort.Tensor =>
            new ort.Tensor("int64", new BigInt64Array(b * n).fill(v), [b, n]);
          const out = await s.run({ input_ids: t(101n), attention_mask: t(1n), token_type_ids: t(0n) });
          expect(out.logits?.dims).toEqual([b, manifest.encoders[name].num_outputs]);
        }
        await s.release();
      }
    }
  });

  it("are BERT-shaped (2 layers, hidden 64) and the int8 variant uses DynamicQuantizeLinear → MatMulInteger", () => {
    const fp32 = onnx.ModelProto.decode(readFileSync(join(BUNDLE, "insert.onnx")));
    const int8 = onnx.ModelProto.decode(readFileSync(join(BUNDLE, "insert.int8.onnx")));
    const ops = (m: typeof fp32): Map<string, number> => {
      const c = new Map<string, number>();
      for (const n of m.graph?.node ?? []) c.set(n.opType ?? "", (c.get(n.opType ?? "") ?? 0) + 1);
      return c;
    };
    const f = ops(fp32);
    expect(f.get("LayerNormalization")).toBe(1 + 2 * 2);
    expect(f.get("Softmax")).toBe(2);
    expect(f.get("Erf")).toBe(2);
    expect(f.get("Tanh")).toBe(1);
    const q = ops(int8);
    expect(q.get("MatMulInteger")).toBe(6 * 2);
    expect(q.get("DynamicQuantizeLinear")).toBe(6 * 2);
    expect(q.get("DequantizeLinear")).toBe(1);
    const wq = int8.graph?.initializer?.find(
      (t) => t.name === "bert.encoder.layer.0.attention.self.query.weight_quantized",
    );
    expect(wq?.dataType).toBe(onnx.TensorProto.DataType.INT8);
    expect(Number(fp32.opsetImport?.[0]?.version)).toBe(17);
  });
});

describe("generator", () => {
  it("regenerates the committed bundle byte for byte (the manifest's statistics come from `revrisk evaluate`)", async () => {
    const out = mkdtempSync(join(tmpdir(), "revrisk-fixture-"));
    try {
      const log = console.log;
      console.log = () => {};
      try {
        await generateFixture({ out, seed: 1, int8: true });
      } finally {
        console.log = log;
      }
      const files = readdirSync(out).sort();
      expect([...files, "evaluation.jsonl"].sort()).toEqual(readdirSync(BUNDLE).sort());
      for (const f of files.filter((f) => f !== "manifest.json")) {
        expect(readFileSync(join(out, f)).equals(readFileSync(join(BUNDLE, f))), f).toBe(true);
      }
      const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
      const committed = manifest(BUNDLE);
      expect(committed.statistics).toBeDefined();
      expect({ ...committed, statistics: undefined }).toEqual({ ...manifest(out), statistics: undefined });
      const labels = readFileSync(join(BUNDLE, "evaluation.jsonl"), "utf8").trim().split("\n");
      expect(labels.map((l) => JSON.parse(l))).toEqual(fixtureLabelledSet());
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
