/**
 * The fixture CatBoost model (models/catboost-fixture.ts) over the 137 RRML features: deterministic,
 * shaped like the real model (float, one-hot and CTR splits over the 47 wikis), and scored identically by
 * the evaluator and by a straightforward reference applier written here after CatBoost's exported Python
 * applier (binarize every feature into CatBoost's binary-feature list, then walk trees by split_index).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { catFeatureHash } from "../shared/model/catboost/hash.ts";
import { checkManifestFeatures, loadCatBoost } from "../shared/model/catboost/load.ts";
import { parseCheckFile, verifyCheckFile } from "../shared/model/catboost/check-file.ts";
import { type CatBoostJson } from "../shared/model/catboost/model-json.ts";
import { type FeatureValue } from "../shared/model/catboost/evaluator.ts";
import { FIXTURE_WIKIS, generateCatBoostFixture, generateFixtureRows } from "../models/catboost-fixture.ts";
import { RRML_FEATURES } from "./data/catboost/rrml-features.ts";

const CHECK_FILE = new URL("./data/catboost/fixture-seed1.check.jsonl", import.meta.url);

/** Reference applier: simple, slow, and structured like CatBoost's standalone Python applier. */
function referenceRaw(json: CatBoostJson, row: FeatureValue[]): number {
  const f = Math.fround;
  const info = json.features_info;
  const M = 0x4906ba494954cb65n;
  const MOD = 1n << 64n;
  const step = (a: bigint, b: bigint) => (M * ((a + M * b) % MOD)) % MOD;
  const catFlat = new Map(info.categorical_features!.map((c) => [c.feature_index, c.flat_feature_index]));
  const floatOf = new Map(info.float_features!.map((x) => [x.feature_index, x]));
  const hashOf = (cat: number) => catFeatureHash(String(row[catFlat.get(cat)!])) | 0;
  const floatGt = (idx: number, border: number) => {
    const ff = floatOf.get(idx)!;
    const v = f(row[ff.flat_feature_index] as number);
    if (Number.isNaN(v)) return ff.has_nans === true && ff.nan_value_treatment === "AsTrue";
    return v > f(border);
  };
  const ctrValue = (c: NonNullable<typeof info.ctrs>[number]) => {
    let h = 0n;
    const els = [...c.elements].sort(
      (a, b) =>
        ["cat_feature_value", "float_feature", "cat_feature_exact_value"].indexOf(a.combination_element) -
        ["cat_feature_value", "float_feature", "cat_feature_exact_value"].indexOf(b.combination_element),
    );
    for (const e of els) {
      if (e.combination_element === "cat_feature_value")
        h = step(h, (BigInt(hashOf(e.cat_feature_index)) + MOD) % MOD);
      else if (e.combination_element === "float_feature")
        h = step(h, floatGt(e.float_feature_index, e.border) ? 1n : 0n);
      else h = step(h, hashOf(e.cat_feature_index) === e.value ? 1n : 0n);
    }
    const table = json.ctr_data![c.identifier]!;
    let good = 0;
    let total = 0;
    for (let p = 0; p < table.hash_map.length; p += table.hash_stride) {
      if (BigInt(table.hash_map[p]!) !== h) continue;
      const vals = table.hash_map.slice(p + 1, p + table.hash_stride) as number[];
      if (c.ctr_type === "Counter") good = vals[0]!;
      else [good, total] = [vals[1]!, vals[0]! + vals[1]!];
    }
    if (c.ctr_type === "Counter") total = table.counter_denominator!;
    const r = f(f(good + c.prior_numerator) / f(total + c.prior_denomerator));
    return f(f(r + c.shift) * c.scale);
  };
  // CatBoost's binary features: float borders, one-hot values, CTR borders
  const bins: Array<() => boolean> = [];
  for (const ff of info.float_features!)
    for (const b of ff.borders ?? []) bins.push(() => floatGt(ff.feature_index, b));
  for (const cf of info.categorical_features!) {
    for (const v of cf.values ?? []) bins.push(() => hashOf(cf.feature_index) === v);
  }
  for (const c of info.ctrs ?? []) for (const b of c.borders) bins.push(() => ctrValue(c) > f(b));
  let sum = 0;
  for (const t of json.oblivious_trees!) {
    let idx = 0;
    t.splits.forEach((s, d) => {
      if (bins[s.split_index!]!()) idx |= 1 << d;
    });
    sum += t.leaf_values[idx]!;
  }
  return json.scale_and_bias![0] * sum + json.scale_and_bias![1][0]!;
}

describe("fixture CatBoost model", () => {
  const json = generateCatBoostFixture(RRML_FEATURES, 1);
  const model = loadCatBoost(json);
  const rows = generateFixtureRows(RRML_FEATURES, 2, 400);

  it("is deterministic in (features, seed) and small", () => {
    expect(JSON.stringify(generateCatBoostFixture(RRML_FEATURES, 1))).toBe(JSON.stringify(json));
    expect(JSON.stringify(generateCatBoostFixture(RRML_FEATURES, 2))).not.toBe(JSON.stringify(json));
    expect(JSON.stringify(json).length).toBeLessThan(400_000);
    expect(JSON.stringify(generateFixtureRows(RRML_FEATURES, 2, 400))).toBe(JSON.stringify(rows));
  });

  it("matches the manifest features and is a binary Logloss model", () => {
    checkManifestFeatures(model, RRML_FEATURES);
    expect(model.featureCount).toBe(137);
    expect(model.categoricalIndices.length).toBe(23);
    expect(model.lossFunction).toBe("Logloss");
    expect(model.treeCount).toBeGreaterThanOrEqual(100);
    expect(model.treeCount).toBeLessThanOrEqual(300);
  });

  it("uses float, one-hot and CTR splits, and CTR projections of every element kind", () => {
    const types = new Set(json.oblivious_trees!.flatMap((t) => t.splits.map((s) => s.split_type)));
    expect(types).toEqual(new Set(["FloatFeature", "OneHotFeature", "OnlineCtr"]));
    const depths = json.oblivious_trees!.map((t) => t.splits.length);
    expect(Math.min(...depths)).toBeGreaterThanOrEqual(4);
    expect(Math.max(...depths)).toBeLessThanOrEqual(6);
    const kinds = new Set(
      json.features_info.ctrs!.flatMap((c) => c.elements.map((e) => e.combination_element)),
    );
    expect(kinds).toEqual(new Set(["cat_feature_value", "float_feature", "cat_feature_exact_value"]));
    expect(json.features_info.ctrs!.some((c) => c.elements.filter((e) => e.combination_element === "cat_feature_value").length === 2)).toBe(true); // prettier-ignore
    // bert features are split on
    const bertIdx = new Set(json.features_info.float_features!.filter((f) => f.feature_id!.startsWith("bert_")).map((f) => f.feature_index)); // prettier-ignore
    expect(json.oblivious_trees!.some((t) => t.splits.some((s) => s.split_type === "FloatFeature" && bertIdx.has(s.float_feature_index)))).toBe(true); // prettier-ignore
  });

  it("covers all 47 wikis in the wiki_db CTR table", () => {
    expect(FIXTURE_WIKIS.length).toBe(47);
    const wikiCtr = json.features_info.ctrs!.find(
      (c) => c.elements.length === 1 && c.ctr_type === "Borders",
    )!;
    const table = json.ctr_data![wikiCtr.identifier]!;
    expect(table.hash_map.length / table.hash_stride).toBe(47);
    // each wiki's CTR differs from the unseen-wiki value somewhere → its row is found
    const base = [...rows[0]!];
    const wikiPos = RRML_FEATURES.findIndex((f) => f.name === "wiki_db");
    const scores = new Set(
      [...FIXTURE_WIKIS, "testwiki"].map((w) => {
        base[wikiPos] = w;
        return model.predictRaw(base);
      }),
    );
    expect(scores.size).toBeGreaterThan(10);
  });

  it("scores like the reference applier", () => {
    for (const row of rows.slice(0, 200))
      expect(model.predictRaw(row)).toBeCloseTo(referenceRaw(json, row), 10);
    const unseen = [...rows[0]!];
    unseen[0] = "xxwiki";
    expect(model.predictRaw(unseen)).toBeCloseTo(referenceRaw(json, unseen), 10);
  });

  it("gives probabilities that vary over realistic rows", () => {
    const p = Array.from(model.predictProbabilityBatch(rows)).sort((a, b) => a - b);
    const q = (x: number) => p[Math.floor(x * (p.length - 1))]!;
    expect(q(0.05)).toBeLessThan(0.1);
    expect(q(0.5)).toBeGreaterThan(0.05);
    expect(q(0.5)).toBeLessThan(0.5);
    expect(q(0.95)).toBeGreaterThan(0.6);
    const anonPos = RRML_FEATURES.findIndex((f) => f.name === "is_anonymous");
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const anon = rows.filter((r) => r[anonPos] === "True").map((r) => model.predictProbability(r));
    const reg = rows.filter((r) => r[anonPos] === "False").map((r) => model.predictProbability(r));
    expect(mean(anon)).toBeGreaterThan(mean(reg) + 0.1);
  });

  it("agrees with its committed check file (generated by the reference applier)", () => {
    const check = parseCheckFile(readFileSync(CHECK_FILE, "utf8"));
    expect(check.length).toBe(40);
    const res = verifyCheckFile(model, check);
    expect(res.maxAbsDiff).toBeLessThan(1e-9);
    const corrupted = check.map((r) => ({ ...r }));
    corrupted[17]!.probability = Math.min(1, corrupted[17]!.probability + 1e-5);
    expect(() => verifyCheckFile(model, corrupted)).toThrow(/check file row 17/);
  });
});

// Regenerate the check file: REVRISK_WRITE_CATBOOST_CHECK=1 npx vitest run test/classifier-fixture.test.ts
if (process.env.REVRISK_WRITE_CATBOOST_CHECK === "1") {
  const { writeFileSync } = await import("node:fs");
  const json = generateCatBoostFixture(RRML_FEATURES, 1);
  const lines = generateFixtureRows(RRML_FEATURES, 99, 40).map((row) => {
    const raw = referenceRaw(json, row);
    return JSON.stringify({ features: row, raw, probability: 1 / (1 + Math.exp(-raw)) });
  });
  writeFileSync(CHECK_FILE, lines.join("\n") + "\n");
}
