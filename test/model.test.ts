import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../shared/model/bundle.ts";
import { loadModel, readManifest, type LoadedModel } from "../functions/node/model-loader.ts";
import type { FeaturizedRevision } from "../shared/model/model-input.ts";
import { ENCODER_FEATURES } from "../shared/model/revertrisk-model.ts";

const FIXTURE = "models/fixture";

/** Deterministic items covering empty lists, several scripts, long texts and pairs. */
function items(manifest: Manifest): FeaturizedRevision[] {
  const texts = [
    "The quick brown fox jumps over the lazy dog.",
    "Москва — столица России.",
    "東京は日本の首都です。",
    "القاهرة هي عاصمة مصر",
    "नई दिल्ली भारत की राजधानी है।",
    "Αθήνα είναι η πρωτεύουσα της Ελλάδας. ".repeat(80),
  ];
  const out: FeaturizedRevision[] = [];
  for (let k = 0; k < 8; k++) {
    const values: FeaturizedRevision["values"] = {};
    for (const f of manifest.features) {
      if (ENCODER_FEATURES.includes(f.name)) continue;
      if (f.name === "wiki_db") values[f.name] = ["enwiki", "dewiki", "jawiki", "ruwiki"][k % 4]!;
      else if (f.kind === "categorical")
        values[f.name] = (k + f.name.length) % 3 === 0 ? f.encoding!.true : f.encoding!.false;
      else values[f.name] = f.name === "revision_text_bytes_diff" ? (k - 4) * 37 : (k * f.name.length) % 4;
    }
    out.push({
      values,
      title: k === 7 ? "" : `Page ${k} ${texts[k % texts.length]!.slice(0, 20)}`,
      inserts: texts.slice(0, k % 4),
      removes: k % 3 === 0 ? [] : [texts[(k + 2) % texts.length]!],
      changes: k % 2 === 0 ? [] : [[texts[k % texts.length]!, texts[(k + 1) % texts.length]!]],
    });
  }
  return out;
}

describe("model bundle + scorer on real onnxruntime sessions", () => {
  let cpu: LoadedModel;
  let wasm: LoadedModel;
  beforeAll(async () => {
    cpu = await loadModel(FIXTURE, { provider: "cpu" });
    wasm = await loadModel(FIXTURE, { provider: "wasm" });
  });
  afterAll(async () => {
    await cpu?.release();
    await wasm?.release();
  });

  it("reports the provider in use", () => {
    expect(cpu.health()).toMatchObject({ provider: "cpu", requestedProvider: "cpu", warmedUp: true });
    expect(wasm.health()).toMatchObject({ provider: "wasm", warmedUp: true });
  });

  it("gives identical probabilities on onnxruntime-node and onnxruntime-web (1e-5)", async () => {
    const its = items(cpu.manifest);
    const a = await cpu.revertRisk.score(its);
    const b = await wasm.revertRisk.score(its);
    a.forEach((r, i) => {
      expect(Math.abs(r.probabilities.true - b[i]!.probabilities.true)).toBeLessThan(1e-5);
      expect(r.probabilities.true + r.probabilities.false).toBeCloseTo(1, 12);
      expect(r.prediction).toBe(r.probabilities.true > cpu.manifest.threshold);
    });
    const ps = a.map((r) => r.probabilities.true);
    expect(Math.max(...ps) - Math.min(...ps)).toBeGreaterThan(0.01);
  });

  it("scores a batch exactly as one item at a time, with −1 for empty lists and titles", async () => {
    const its = items(cpu.manifest);
    const runsBefore = cpu.encoderRuns();
    const batch = await cpu.revertRisk.score(its);
    const batchRuns = cpu.encoderRuns() - runsBefore;
    for (let i = 0; i < its.length; i++) {
      const [single] = await cpu.revertRisk.score([its[i]!]);
      expect(Math.abs(single!.probabilities.true - batch[i]!.probabilities.true)).toBeLessThan(1e-6);
      for (const n of ENCODER_FEATURES)
        expect(Math.abs(Number(single!.features[n]) - Number(batch[i]!.features[n]))).toBeLessThan(1e-5);
    }
    expect(batchRuns).toBeLessThan(its.length);
    const noTitle = batch[7]!;
    expect(noTitle.features.bert_title_score).toBe(-1);
    const noRemoves = batch[0]!;
    for (const s of ["s0_max", "p1_mean"]) expect(noRemoves.features[`bert_remove_${s}`]).toBe(-1);
    expect(Object.keys(batch[0]!.features)).toEqual(cpu.manifest.features.map((f) => f.name));
  });

  it("falls back from CUDA to CPU on a machine without it, and says so", async () => {
    const m = await loadModel(FIXTURE, { provider: "cuda" });
    try {
      const h = m.health();
      expect(h.requestedProvider).toBe("cuda");
      if (h.provider === "cpu") expect(h.fallback).toMatch(/cuda/i);
    } finally {
      await m.release();
    }
  });
});

describe("malformed bundles fail at load naming the file and the problem", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "revrisk-bundle-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function copy(name: string): string {
    const d = join(dir, name);
    cpSync(FIXTURE, d, { recursive: true });
    return d;
  }

  it("missing encoder file", async () => {
    const d = copy("missing");
    unlinkSync(join(d, "insert.onnx"));
    await expect(loadModel(d, { provider: "cpu" })).rejects.toThrow(/insert\.onnx: missing/);
  });

  it("bad JSON in the manifest", () => {
    const d = copy("badjson");
    writeFileSync(join(d, "manifest.json"), "{ not json");
    expect(() => readManifest(d)).toThrow(/manifest\.json: bad JSON/);
  });

  it("wrong feature count versus the classifier", async () => {
    const d = copy("features");
    const m = JSON.parse(readFileSync(join(d, "manifest.json"), "utf8"));
    m.features.pop();
    writeFileSync(join(d, "manifest.json"), JSON.stringify(m));
    await expect(loadModel(d, { provider: "cpu" })).rejects.toThrow(/classifier\.json: .*(feature|137|136)/i);
  });

  it("schema violations name the field", () => {
    const d = copy("schema");
    const m = JSON.parse(readFileSync(join(d, "manifest.json"), "utf8"));
    m.threshold = 2;
    delete m.encoders.change.tokenizer;
    writeFileSync(join(d, "manifest.json"), JSON.stringify(m));
    expect(() => readManifest(d)).toThrow(
      /threshold.*encoders\.change\.tokenizer|encoders\.change\.tokenizer.*threshold/s,
    );
  });

  it("bad classifier JSON", async () => {
    const d = copy("badclf");
    writeFileSync(join(d, "classifier.json"), "[1,2");
    await expect(loadModel(d, { provider: "cpu" })).rejects.toThrow(/classifier\.json: bad JSON/);
  });
});
