#!/usr/bin/env node
/**
 * `npm run models:fixture [-- --out DIR] [--seed N] [--no-int8]`
 *   writes the tiny, deterministic revertrisk-multilingual fixture bundle (default models/fixture/):
 *   manifest.json, tokenizer.json (+ tokenizer_config.json), four tiny BERT encoders (+ int8 variants,
 *   + HF-style *.config.json) and the CatBoost classifier fixture (classifier.json).
 *
 * `npm run models:fixture -- --bert-base [--out DIR]`
 *   writes one full-size BERT-base-shaped encoder (12 layers, hidden 768, 12 heads, FFN 3072,
 *   vocabulary 119,547; fp32 + int8) for benchmarks (default models/generated/bert-base/, not committed).
 *
 * No downloads; same seed → byte-identical output.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Manifest, type EncoderName } from "../shared/model/bundle.ts";
import { generateCatBoostFixture } from "./catboost-fixture.ts";
import { rrmlFeatures, SUPPORTED_WIKIS } from "./features.ts";
import { BERT_BASE, buildBertOnnx, initBertWeights, TINY, type BertConfig } from "./onnx-bert.ts";
import { buildTokenizerConfig, buildTokenizerJson, buildVocab } from "./wordpiece-vocab.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "..");

export const FIXTURE_VOCAB_SIZE = 2000;
/** Init std of the tiny encoders' weights (larger than BERT's 0.02 so outputs vary with the input). */
export const FIXTURE_WEIGHT_STD = 0.2;

interface EncoderPlan {
  name: EncoderName;
  input: "single" | "pair";
  task: "regression" | "classification";
  numLabels: number;
  seedOffset: number;
}

export const ENCODER_PLAN: readonly EncoderPlan[] = [
  { name: "title", input: "single", task: "regression", numLabels: 1, seedOffset: 1 },
  { name: "insert", input: "single", task: "classification", numLabels: 2, seedOffset: 2 },
  { name: "remove", input: "single", task: "classification", numLabels: 2, seedOffset: 3 },
  { name: "change", input: "pair", task: "classification", numLabels: 2, seedOffset: 4 },
];

/** Hugging Face-style config.json for a generated encoder. */
export function hfConfig(cfg: BertConfig): Record<string, unknown> {
  const labels = Array.from({ length: cfg.numLabels }, (_, i) => [String(i), `LABEL_${i}`]);
  return {
    architectures: ["BertForSequenceClassification"],
    model_type: "bert",
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hiddenSize,
    num_hidden_layers: cfg.numLayers,
    num_attention_heads: cfg.numHeads,
    intermediate_size: cfg.intermediateSize,
    hidden_act: "gelu",
    max_position_embeddings: cfg.maxPositions,
    type_vocab_size: cfg.typeVocabSize,
    layer_norm_eps: cfg.layerNormEps,
    num_labels: cfg.numLabels,
    problem_type: cfg.numLabels === 1 ? "regression" : "single_label_classification",
    id2label: Object.fromEntries(labels),
    label2id: Object.fromEntries(labels.map(([i, l]) => [l, Number(i)])),
    onnx_weight_layout: "Linear weights stored [in, out] (transposed vs torch nn.Linear.weight)",
  };
}

function write(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  const size = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
  console.log(`  ${relative(process.cwd(), path)}  ${(size / 1024).toFixed(1)} KiB`);
}

export interface FixtureOptions {
  out: string;
  seed: number;
  int8: boolean;
}

export async function generateFixture(opts: FixtureOptions): Promise<Manifest> {
  const { out, seed } = opts;
  console.log(`fixture bundle → ${out} (seed ${seed})`);
  const text = readFileSync(join(HERE, "sample-text.txt"), "utf8");
  const vocab = buildVocab(text, FIXTURE_VOCAB_SIZE);
  write(join(out, "tokenizer.json"), JSON.stringify(buildTokenizerJson(vocab)) + "\n");
  write(join(out, "tokenizer_config.json"), JSON.stringify(buildTokenizerConfig(), null, 2) + "\n");

  const encoders: Record<string, unknown> = {};
  for (const plan of ENCODER_PLAN) {
    const cfg: BertConfig = { ...TINY, vocabSize: vocab.length, numLabels: plan.numLabels };
    const weights = initBertWeights(cfg, seed * 100 + plan.seedOffset, FIXTURE_WEIGHT_STD);
    const doc = `revrisk fixture encoder '${plan.name}' (random weights, seed ${seed * 100 + plan.seedOffset})`;
    write(join(out, `${plan.name}.onnx`), buildBertOnnx(cfg, weights, { docString: doc }));
    if (opts.int8) {
      write(
        join(out, `${plan.name}.int8.onnx`),
        buildBertOnnx(cfg, weights, { quantize: true, docString: `${doc}, int8` }),
      );
    }
    write(join(out, `${plan.name}.config.json`), JSON.stringify(hfConfig(cfg), null, 2) + "\n");
    encoders[plan.name] = {
      onnx: `${plan.name}.onnx`,
      ...(opts.int8 ? { onnx_int8: `${plan.name}.int8.onnx` } : {}),
      tokenizer: "tokenizer.json",
      input: plan.input,
      task: plan.task,
      num_outputs: plan.numLabels,
      output: "logits",
      max_length: 512,
    };
  }

  const features = rrmlFeatures();
  const manifest = Manifest.parse({
    format: "revrisk-bundle/1",
    model_name: "revertrisk-multilingual",
    model_version: `fixture-${seed}`,
    threshold: 0.5,
    supported_wikis: SUPPORTED_WIKIS,
    encoders,
    classifier: { format: "catboost-json", file: "classifier.json" },
    features,
    missing_categorical: "-1",
  });
  write(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");

  write(join(out, "classifier.json"), JSON.stringify(generateCatBoostFixture(features, seed)) + "\n");
  return manifest;
}

export interface BertBaseOptions {
  out: string;
  seed: number;
  int8: boolean;
}

/** One BERT-base-shaped classification encoder (2 labels), fp32 and optionally int8. */
export function generateBertBase(opts: BertBaseOptions): { fp32: string; int8?: string } {
  const cfg: BertConfig = { ...BERT_BASE, numLabels: 2 };
  console.log(`BERT-base-shaped encoder → ${opts.out} (seed ${opts.seed}); this takes a minute`);
  const t0 = performance.now();
  const weights = initBertWeights(cfg, opts.seed);
  const fp32 = join(opts.out, "encoder.onnx");
  write(fp32, buildBertOnnx(cfg, weights, { docString: "revrisk BERT-base-shaped benchmark encoder" }));
  let int8: string | undefined;
  if (opts.int8) {
    int8 = join(opts.out, "encoder.int8.onnx");
    write(
      int8,
      buildBertOnnx(cfg, weights, {
        quantize: true,
        docString: "revrisk BERT-base-shaped benchmark encoder, int8",
      }),
    );
  }
  write(join(opts.out, "config.json"), JSON.stringify(hfConfig(cfg), null, 2) + "\n");
  console.log(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return int8 ? { fp32, int8 } : { fp32 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      seed: { type: "string", default: "1" },
      "bert-base": { type: "boolean", default: false },
      "no-int8": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npm run models:fixture -- [--out DIR] [--seed N] [--no-int8] [--bert-base]\n" +
        "  default: tiny fixture bundle into models/fixture/\n" +
        "  --bert-base: BERT-base-shaped benchmark encoder into models/generated/bert-base/",
    );
    return;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer`);
  const int8 = !values["no-int8"];
  if (values["bert-base"]) {
    generateBertBase({ out: resolve(values.out ?? join(REPO, "models/generated/bert-base")), seed, int8 });
  } else {
    await generateFixture({ out: resolve(values.out ?? join(REPO, "models/fixture")), seed, int8 });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
