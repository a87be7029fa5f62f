/**
 * A benchmark bundle with BERT-base-shaped encoders (12 layers, hidden 768, vocabulary 119,547):
 * the fixture bundle's manifest, tokenizer and classifier, with its four encoders replaced by
 * BERT-base-shaped graphs generated on demand into models/generated/ (not committed).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildBertOnnx, BERT_BASE, initBertWeights } from "../models/onnx-bert.ts";

const REPO = resolve(import.meta.dirname, "..");

export function ensureBertBaseBundle(precision: "fp32" | "int8" = "int8"): string {
  const dir = join(REPO, "models/generated", `bert-base-bundle-${precision}`);
  const manifestPath = join(dir, "manifest.json");
  if (existsSync(manifestPath)) return dir;
  mkdirSync(dir, { recursive: true });
  const fixture = join(REPO, "models/fixture");
  for (const f of ["tokenizer.json", "tokenizer_config.json", "classifier.json"])
    copyFileSync(join(fixture, f), join(dir, f));
  const manifest = JSON.parse(readFileSync(join(fixture, "manifest.json"), "utf8"));
  for (const [name, labels] of [
    ["classifier", 2],
    ["title", 1],
  ] as const) {
    const file = join(dir, `${name}.onnx`);
    console.error(
      `generating a BERT-base-shaped ${precision} encoder with ${labels} output(s) (about a minute)…`,
    );
    const cfg = { ...BERT_BASE, numLabels: labels };
    writeFileSync(file, buildBertOnnx(cfg, initBertWeights(cfg, labels), { quantize: precision === "int8" }));
  }
  for (const name of ["title", "insert", "remove", "change"]) {
    manifest.encoders[name].onnx = name === "title" ? "title.onnx" : "classifier.onnx";
    delete manifest.encoders[name].onnx_int8;
  }
  manifest.model_version = `bert-base-shaped-${precision}`;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  return dir;
}
