/**
 * CatBoost JSON evaluator on small models written by hand in CatBoost's JSON export format. Every
 * expectation is derived by hand in the comments (leaf values are chosen so the raw score reads as a
 * sum of visible terms). Categorical hashes used here are CatBoost's own values from its canonical test
 * output (test/data/catboost/catboost-canon-adult.json), not values computed by the code under test, and
 * CTR keys are computed by an inline formula written from CatBoost's CalcHash.
 */
import { describe, expect, it } from "vitest";
import { CatBoostInputError, CatBoostModelError, sigmoid } from "../shared/model/catboost/evaluator.ts";
import {
  CheckFileMismatchError,
  parseCheckFile,
  verifyCheckFile,
} from "../shared/model/catboost/check-file.ts";
import { checkManifestFeatures, loadCatBoost } from "../shared/model/catboost/load.ts";
import { type CatBoostJson } from "../shared/model/catboost/model-json.ts";
import canon from "./data/catboost/catboost-canon-adult.json" with { type: "json" };

const H = canon.cat_features_hashes as Record<string, number>; // CatBoost's own hashes (int32)

// CTR key, written independently from CatBoost's CalcHash: M * (a + M * b) mod 2^64, with categorical
// hashes sign-extended from int32 to 64 bits.
const M = 0x4906ba494954cb65n;
const MOD = 1n << 64n;
const step = (a: bigint, b: bigint): bigint => (M * ((a + M * b) % MOD)) % MOD;
const sext = (h: number): bigint => (h < 0 ? MOD + BigInt(h) : BigInt(h));
const key = (...parts: bigint[]): string => parts.reduce((acc, p) => step(acc, p), 0n).toString();

const ident = (elements: object[], type: string) => JSON.stringify({ identifier: elements, type });
const leaf = (bit: number) => [0, bit];

// ---------------------------------------------------------------------------------------------------
// Float features

const floatModel = (): CatBoostJson => ({
  model_info: { params: { loss_function: { type: "Logloss" } } },
  features_info: {
    float_features: [
      { feature_index: 0, flat_feature_index: 0, feature_name: "a", borders: [0.5, 1.5], has_nans: false, nan_value_treatment: "AsIs" },
      { feature_index: 1, flat_feature_index: 1, feature_name: "b", borders: [0.1], has_nans: true, nan_value_treatment: "AsTrue" },
      { feature_index: 2, flat_feature_index: 2, feature_name: "c", borders: [0], has_nans: true, nan_value_treatment: "AsFalse" },
      { feature_index: 3, flat_feature_index: 3, feature_name: "d", borders: [0], has_nans: false, nan_value_treatment: "AsTrue" },
    ],
  },
  oblivious_trees: [
    {
      // bit 0: a > 0.5, bit 1: b > 0.1
      splits: [
        { split_type: "FloatFeature", split_index: 0, float_feature_index: 0, border: 0.5 },
        { split_type: "FloatFeature", split_index: 2, float_feature_index: 1, border: 0.1 },
      ],
      leaf_values: [0.1, 0.2, 0.3, 0.4],
    },
    { splits: [{ split_type: "FloatFeature", split_index: 1, float_feature_index: 0, border: 1.5 }], leaf_values: [-0.05, 0.15] },
    {
      // bit 0: c > 0, bit 1: d > 0
      splits: [
        { split_type: "FloatFeature", split_index: 3, float_feature_index: 2, border: 0 },
        { split_type: "FloatFeature", split_index: 4, float_feature_index: 3, border: 0 },
      ],
      leaf_values: [0, 0.01, 0.1, 1],
    },
  ],
  scale_and_bias: [2, [0.5]],
}); // prettier-ignore

describe("float features", () => {
  const model = loadCatBoost(floatModel());

  it.each([
    // a, b, c, d → tree0 + tree1 + tree2 = sum; raw = 2 * sum + 0.5
    ["all splits true but a > 1.5", [1, 0.2, 1, 1], 0.4 - 0.05 + 1, 3.2],
    ["values on the borders are false (strict >)", [0.5, 0.1, 0, 0], 0.1 - 0.05 + 0, 0.6],
    // 0.1000000001 rounds to the same float32 as the border 0.1 → not greater
    ["inputs are rounded to float32", [2, 0.1000000001, -1, -1], 0.2 + 0.15 + 0, 1.2],
    // fround(0.50000001) = 0.5 → false; b NaN (has_nans, AsTrue) → true; c NaN (AsFalse) → false;
    // d NaN (AsTrue but has_nans false: CatBoost does not substitute) → false
    ["NaN treatments", [0.50000001, NaN, NaN, NaN], 0.3 - 0.05 + 0, 1.0],
    // fround(0.5000001) = 0.50000011920928955 > 0.5; c = 1e-7 > 0
    ["just above a border", [0.5000001, -5, 1e-7, 0], 0.2 - 0.05 + 0.01, 0.82],
    ["infinities", [Infinity, -Infinity, Infinity, -Infinity], 0.2 + 0.15 + 0.01, 1.22],
  ])("%s", (_name, row, sum, raw) => {
    expect(2 * sum + 0.5).toBeCloseTo(raw, 12);
    expect(model.predictRaw(row)).toBeCloseTo(raw, 9);
    expect(model.predictProbability(row)).toBeCloseTo(1 / (1 + Math.exp(-raw)), 9);
  });

  it("batch helpers agree with single rows", () => {
    const rows = [
      [1, 0.2, 1, 1],
      [0.5, 0.1, 0, 0],
    ];
    expect(Array.from(model.predictRawBatch(rows))).toEqual(rows.map((r) => model.predictRaw(r)));
    expect(Array.from(model.predictProbabilityBatch(rows))).toEqual(
      rows.map((r) => model.predictProbability(r)),
    );
  });

  it("describes the model", () => {
    expect(model.featureCount).toBe(4);
    expect(model.treeCount).toBe(3);
    expect(model.dimension).toBe(1);
    expect(model.lossFunction).toBe("Logloss");
    expect(model.categoricalIndices).toEqual([]);
    expect(model.featureNames).toEqual(["a", "b", "c", "d"]);
  });

  it("reads multi-dimensional leaves as leaf index × dimension + k", () => {
    const m = loadCatBoost({
      features_info: { float_features: [{ feature_index: 0, flat_feature_index: 0, borders: [0, 10] }] },
      oblivious_trees: [
        {
          splits: [
            { split_type: "FloatFeature", float_feature_index: 0, border: 0 },
            { split_type: "FloatFeature", float_feature_index: 0, border: 10 },
          ],
          // leaf 0: [1,2,3], leaf 1: [4,5,6], leaf 2: [7,8,9], leaf 3: [10,11,12]
          leaf_values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        },
      ],
      scale_and_bias: [1, [0.1, 0.2, 0.3]],
    });
    expect(m.dimension).toBe(3);
    expect(m.predictRawMulti([-1])).toEqual([1.1, 2.2, 3.3]);
    expect(m.predictRawMulti([5])).toEqual([4.1, 5.2, 6.3]);
    expect(m.predictRawMulti([20])).toEqual([10.1, 11.2, 12.3]);
    expect(() => m.predictRaw([5])).toThrow(CatBoostInputError);
  });

  it("supports non-symmetric trees (true → right)", () => {
    const m = loadCatBoost({
      features_info: {
        float_features: [
          { feature_index: 0, flat_feature_index: 0, borders: [1] },
          { feature_index: 1, flat_feature_index: 1, borders: [0] },
        ],
      },
      trees: [
        {
          split: { split_type: "FloatFeature", split_index: 0, float_feature_index: 0, border: 1 },
          left: { value: 0.1, weight: 3 },
          right: {
            split: { split_type: "FloatFeature", split_index: 1, float_feature_index: 1, border: 0 },
            left: { value: 0.2 },
            right: { value: 0.3 },
          },
        },
        { value: 1 }, // a tree that is a single leaf
      ],
      scale_and_bias: [1, [0]],
    });
    expect(m.predictRaw([0, 5])).toBeCloseTo(1.1, 12);
    expect(m.predictRaw([2, -1])).toBeCloseTo(1.2, 12);
    expect(m.predictRaw([2, 1])).toBeCloseTo(1.3, 12);
  });
});

// ---------------------------------------------------------------------------------------------------
// One-hot categorical splits

const oneHotModel = (): CatBoostJson => ({
  features_info: {
    float_features: [{ feature_index: 0, flat_feature_index: 1, borders: [10] }],
    categorical_features: [
      { feature_index: 0, flat_feature_index: 0, feature_name: "sex", values: [H.Female!], string_values: ["Female"] },
      { feature_index: 1, flat_feature_index: 2, feature_name: "flag", values: [H["1"]!, H["0"]!] },
    ],
  },
  oblivious_trees: [
    {
      // bit 0: sex == "Female", bit 1: x > 10
      splits: [
        { split_type: "OneHotFeature", split_index: 1, cat_feature_index: 0, value: H.Female! },
        { split_type: "FloatFeature", split_index: 0, float_feature_index: 0, border: 10 },
      ],
      leaf_values: [0, 1, 2, 3],
    },
    { splits: [{ split_type: "OneHotFeature", split_index: 3, cat_feature_index: 1, value: H["0"]! }], leaf_values: [0, 0.5] },
    { splits: [{ split_type: "OneHotFeature", split_index: 2, cat_feature_index: 1, value: H["1"]! }], leaf_values: [0, 0.25] },
  ],
  scale_and_bias: [1, [0]],
}); // prettier-ignore

describe("one-hot categorical splits", () => {
  const model = loadCatBoost(oneHotModel());

  it.each([
    ["value equal to the split value", ["Female", 5, "1"], 1 + 0 + 0.25],
    ["other values are false", ["Male", 20, "0"], 2 + 0.5 + 0],
    ["unseen values (and case differences) are false", ["female", 20, "2"], 2 + 0 + 0],
    ["an integer is its decimal string", ["Female", 20, 1], 3 + 0 + 0.25],
  ])("%s", (_name, row, raw) => {
    expect(model.predictRaw(row as Array<string | number>)).toBeCloseTo(raw, 12);
  });

  it("lists categorical positions", () => {
    expect(model.categoricalIndices).toEqual([0, 2]);
    expect(model.usesCategorical).toBe(true);
  });

  it("rejects non-string categorical input and non-numeric float input", () => {
    expect(() => model.predictRaw(["Female", 5, 1.5])).toThrow(/categorical and needs a string/);
    expect(() => model.predictRaw(["Female", "5", "1"])).toThrow(/is numeric/);
    expect(() => model.predictRaw(["Female", 5])).toThrow(/row has 2 features, the model reads 3/);
  });

  it("checks string_values against the hashing at load time", () => {
    const json = oneHotModel();
    json.features_info.categorical_features![0]!.string_values = ["Male"];
    expect(() => loadCatBoost(json)).toThrow(/hashing disagrees with CatBoost/);
  });

  it("checks cat_features_hash entries against the hashing at load time", () => {
    const json = oneHotModel();
    json.features_info.cat_features_hash = [
      { hash: H.Female! >>> 0, value: "Female" },
      { hash: H.Male! >>> 0, value: "Male" },
    ];
    expect(() => loadCatBoost(json)).not.toThrow();
    json.features_info.cat_features_hash.push({ hash: 12345, value: "Italy" });
    expect(() => loadCatBoost(json)).toThrow(/"Italy" is \d+ here but 12345/);
  });
});

// ---------------------------------------------------------------------------------------------------
// CTR splits
//
// Row: [wiki (cat 0), anon (cat 1), bytes (float 0), mobile (cat 2, one-hot on "1")]. CatBoost's hashes
// of the strings: Italy, Canada, Mexico; Male, Female (negative: exercises the sign extension); "1", "0".

const WIKI = { combination_element: "cat_feature_value", cat_feature_index: 0 } as const;
const ANON = { combination_element: "cat_feature_value", cat_feature_index: 1 } as const;
const BYTES_POS = { border: 0, combination_element: "float_feature", float_feature_index: 0 } as const;
const MOBILE_1 = {
  cat_feature_index: 2,
  combination_element: "cat_feature_exact_value",
  value: H["1"]!,
} as const;

const I = sext(H.Italy!);
const C = sext(H.Canada!);

/** Float32 value of the CTR whose (good, total) are given. */
const ctrs = (): CatBoostJson["features_info"]["ctrs"] => [
  // c0: Borders(wiki), prior 0.5/1, scale 15. Italy [3 neg, 1 pos] → (1+.5)/(4+1)*15 = 4.5; Canada [1,4] →
  // (4+.5)/(5+1)*15 = 11.25; unseen → (0+.5)/(0+1)*15 = 7.5.
  { identifier: ident([WIKI], "Borders"), elements: [WIKI], ctr_type: "Borders", prior_numerator: 0.5, prior_denomerator: 1, shift: -0, scale: 15, target_border_idx: 0, borders: [4.5, 7.4] },
  // c1: Counter(wiki), prior 1/1, denominator 9. Italy 9 → (9+1)/(9+1)*15 = 15; Canada 2 → 4.5; unseen →
  // (0+1)/(9+1)*15 = 1.5 (CatBoost uses the counter denominator for unseen keys too).
  { identifier: ident([WIKI], "Counter"), elements: [WIKI], ctr_type: "Counter", prior_numerator: 1, prior_denomerator: 1, shift: 0, scale: 15, target_border_idx: 0, borders: [5] },
  // c2: Borders(wiki, anon), prior 0/1. Italy×Male [1,3] → 3/5 = 0.6; Italy×Female [4,1] → 1/6.
  { identifier: ident([WIKI, ANON], "Borders"), elements: [WIKI, ANON], ctr_type: "Borders", prior_numerator: 0, prior_denomerator: 1, shift: 0, scale: 1, target_border_idx: 0, borders: [0.5] },
  // c3: Borders(wiki, bytes > 0). Canada,1 [0,2] → 2/3; Canada,0 [2,0] → 0.
  { identifier: ident([WIKI, BYTES_POS], "Borders"), elements: [WIKI, BYTES_POS], ctr_type: "Borders", prior_numerator: 0, prior_denomerator: 1, shift: 0, scale: 1, target_border_idx: 0, borders: [0.5] },
  // c4: Borders(wiki, mobile == "1"). Italy,1 [0,5] → 5/6: float32 0.8333333134651184, which is NOT greater
  // than the border fround(5/6) although the double 5/6 would be. Italy,0 [5,0] → 0.
  { identifier: ident([WIKI, MOBILE_1], "Borders"), elements: [WIKI, MOBILE_1], ctr_type: "Borders", prior_numerator: 0, prior_denomerator: 1, shift: 0, scale: 1, target_border_idx: 0, borders: [0.5, 0.8333333134651184] },
  // c5: Buckets(wiki), target class 0. Italy [3,1] → 3/(4+1) = 0.6; Canada [1,4] → 1/6.
  { identifier: ident([WIKI], "Buckets"), elements: [WIKI], ctr_type: "Buckets", prior_numerator: 0, prior_denomerator: 1, shift: 0, scale: 1, target_border_idx: 0, borders: [0.55] },
  // c6: BinarizedTargetMeanValue(wiki). Italy sum 2.5 count 5 → 2.5/6 = 0.4167; Canada 0.5/6.
  { identifier: ident([WIKI], "BinarizedTargetMeanValue"), elements: [WIKI], ctr_type: "BinarizedTargetMeanValue", prior_numerator: 0, prior_denomerator: 1, shift: 0, scale: 1, target_border_idx: 0, borders: [0.4] },
  // c7: Borders(anon) over 3 classes, target border 1: good = class 2, total = all. Male [1,1,2] → 2/(4+1) = 0.4;
  // Female [3,1,0] → 0.
  { identifier: ident([ANON], "Borders"), elements: [ANON], ctr_type: "Borders", prior_numerator: 0, prior_denomerator: 1, shift: 0, scale: 1, target_border_idx: 1, borders: [0.35] },
]; // prettier-ignore

const ctrData = (): NonNullable<CatBoostJson["ctr_data"]> => ({
  [ident([WIKI], "Borders")]: { hash_map: [key(I), 3, 1, key(C), 1, 4], hash_stride: 3 },
  [ident([WIKI], "Counter")]: { hash_map: [key(I), 9, key(C), 2], hash_stride: 2, counter_denominator: 9 },
  [ident([WIKI, ANON], "Borders")]: {
    hash_map: [key(I, sext(H.Male!)), 1, 3, key(I, sext(H.Female!)), 4, 1],
    hash_stride: 3,
  },
  [ident([WIKI, BYTES_POS], "Borders")]: { hash_map: [key(C, 1n), 0, 2, key(C, 0n), 2, 0], hash_stride: 3 },
  [ident([WIKI, MOBILE_1], "Borders")]: { hash_map: [key(I, 1n), 0, 5, key(I, 0n), 5, 0], hash_stride: 3 },
  [ident([WIKI], "Buckets")]: { hash_map: [key(I), 3, 1, key(C), 1, 4], hash_stride: 3 },
  [ident([WIKI], "BinarizedTargetMeanValue")]: { hash_map: [key(I), 2.5, 5, key(C), 0.5, 5], hash_stride: 3 },
  [ident([ANON], "Borders")]: {
    hash_map: [key(sext(H.Male!)), 1, 1, 2, key(sext(H.Female!)), 3, 1, 0],
    hash_stride: 4,
  },
});

// Binary features in CatBoost's order: float border (0), one-hot value (1), CTR borders: c0 (2, 3), c1 (4),
// c2 (5), c3 (6), c4 (7, 8), c5 (9), c6 (10), c7 (11).
const ctrSplit = (splitIndex: number, border: number, target = 0) => ({
  split_type: "OnlineCtr" as const,
  split_index: splitIndex,
  ctr_target_border_idx: target,
  border,
});

const ctrModel = (): CatBoostJson => ({
  features_info: {
    float_features: [{ feature_index: 0, flat_feature_index: 2, borders: [0] }],
    categorical_features: [
      { feature_index: 0, flat_feature_index: 0 },
      { feature_index: 1, flat_feature_index: 1 },
      { feature_index: 2, flat_feature_index: 3, values: [H["1"]!] },
    ],
    ctrs: ctrs(),
  },
  oblivious_trees: [
    // one split per tree, leaf [0, 2^k]: the raw score is a bit mask of the CTR splits
    { splits: [ctrSplit(2, 4.5)], leaf_values: leaf(1) },
    { splits: [ctrSplit(3, 7.4)], leaf_values: leaf(2) },
    { splits: [ctrSplit(4, 5)], leaf_values: leaf(4) },
    { splits: [ctrSplit(5, 0.5)], leaf_values: leaf(8) },
    { splits: [ctrSplit(6, 0.5)], leaf_values: leaf(16) },
    { splits: [ctrSplit(7, 0.5)], leaf_values: leaf(32) },
    { splits: [ctrSplit(8, 0.8333333134651184)], leaf_values: leaf(64) },
    { splits: [ctrSplit(9, 0.55)], leaf_values: leaf(128) },
    { splits: [ctrSplit(10, 0.4)], leaf_values: leaf(256) },
    { splits: [ctrSplit(11, 0.35, 1)], leaf_values: leaf(512) },
    {
      // mixed tree: bit 0 bytes > 0, bit 1 mobile == "1", bit 2 c0 > 4.5; leaf i → 1024 i
      splits: [
        { split_type: "FloatFeature", split_index: 0, float_feature_index: 0, border: 0 },
        { split_type: "OneHotFeature", split_index: 1, cat_feature_index: 2, value: H["1"]! },
        ctrSplit(2, 4.5),
      ],
      leaf_values: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => 1024 * i),
    },
  ],
  ctr_data: ctrData(),
  scale_and_bias: [1, [0]],
});

describe("CTR splits", () => {
  const model = loadCatBoost(ctrModel());

  it.each([
    // c0 4.5 (not > 4.5), c1 15 → 4, c2 0.6 → 8, c3 (Italy,1) unseen → 0, c4 5/6 → 32 but not 64 (float32),
    // c5 0.6 → 128, c6 0.4167 → 256, c7 Male 0.4 → 512; mixed tree leaf 3 (bytes > 0, mobile) → 3072
    ["seen keys", ["Italy", "Male", 10, "1"], 4 + 8 + 32 + 128 + 256 + 512 + 3072],
    // c0 11.25 → 1 + 2; everything else false (Canada×Female, (Canada, mobile 0) unseen; c1 4.5 ≤ 5);
    // mixed tree leaf 4 (c0 only) → 4096
    ["another wiki", ["Canada", "Female", -3, "0"], 3 + 4096],
    // unseen wiki: c0 7.5 → 1 + 2; c1 1.5; all others 0; mixed leaf 7 → 7168
    ["unseen wiki", ["Mexico", "True", 1, "1"], 3 + 7168],
    ["unseen wiki (not in CatBoost's table at all)", ["zzwiki", "True", 1, "1"], 3 + 7168],
    // c0 3, c3 (Canada, bytes > 0) 2/3 → 16, c7 Male → 512, mixed leaf 7 → 7168
    ["binarized float part", ["Canada", "Male", 5, "1"], 3 + 16 + 512 + 7168],
  ])("%s", (_name, row, raw) => {
    expect(model.predictRaw(row as Array<string | number>)).toBe(raw);
  });

  it("resolves a CTR split without split_index when its border is unique", () => {
    const json = ctrModel();
    delete (json.oblivious_trees![2]!.splits[0] as { split_index?: number }).split_index;
    expect(loadCatBoost(json).predictRaw(["Italy", "Male", 10, "1"])).toBe(4012);
  });

  it("rejects an ambiguous CTR split", () => {
    const json = ctrModel();
    delete (json.oblivious_trees![3]!.splits[0] as { split_index?: number }).split_index; // border 0.5: c2, c3, c4
    expect(() => loadCatBoost(json)).toThrow(/cannot tell which CTR/);
  });

  it("finds ctr_data tables whose key is formatted differently", () => {
    const json = ctrModel();
    const data = json.ctr_data!;
    const k = ident([WIKI], "Counter");
    const table = data[k]!;
    delete data[k];
    data[
      '{ "type": "Counter", "identifier": [ { "combination_element": "cat_feature_value", "cat_feature_index": 0 } ] }'
    ] = table;
    expect(loadCatBoost(json).predictRaw(["Italy", "Male", 10, "1"])).toBe(4012);
  });

  it("names a missing ctr_data table", () => {
    const json = ctrModel();
    delete json.ctr_data![ident([WIKI], "Buckets")];
    expect(() => loadCatBoost(json)).toThrow(/ctrs\[5\]: no table in ctr_data/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Malformed and unsupported models

describe("loader errors", () => {
  const cases: Array<[string, (j: CatBoostJson) => unknown, RegExp]> = [
    ["missing features_info", (j) => delete (j as Partial<CatBoostJson>).features_info, /missing features_info/],
    ["no trees", (j) => delete j.oblivious_trees, /neither oblivious_trees nor trees/],
    [
      "unknown split type",
      (j) => ((j.oblivious_trees![0]!.splits[0] as { split_type: string }).split_type = "EstimatedFeature"),
      /split_type "EstimatedFeature" is not supported/,
    ],
    ["leaf count", (j) => j.oblivious_trees![0]!.leaf_values.pop(), /leaf values do not form whole dimensions/],
    ["text features", (j) => (j.features_info.text_features = [{}]), /text_features is not supported/],
    [
      "unknown float feature",
      (j) => ((j.oblivious_trees![1]!.splits[0] as { float_feature_index: number }).float_feature_index = 9),
      /unknown float feature_index 9/,
    ],
    [
      "NaN treatment",
      (j) => ((j.features_info.float_features![0] as { nan_value_treatment: string }).nan_value_treatment = "AsMax"),
      /nan_value_treatment "AsMax" is unknown/,
    ],
    ["non-numeric leaf", (j) => ((j.oblivious_trees![0]!.leaf_values as unknown[])[0] = "x"), /leaf_values\[0\] must be a finite number/],
    ["bias count", (j) => (j.scale_and_bias = [1, [0, 0]]), /2 biases for dimension 1/],
  ]; // prettier-ignore
  it.each(cases)("%s", (_name, mutate, message) => {
    const json = floatModel();
    mutate(json);
    expect(() => loadCatBoost(json)).toThrow(CatBoostModelError);
    expect(() => loadCatBoost(json)).toThrow(message);
  });

  it("rejects an unsupported CTR type and a bad hash_stride", () => {
    const json = ctrModel();
    json.features_info.ctrs![0]!.ctr_type = "FeatureFreqWeird" as "Borders";
    expect(() => loadCatBoost(json)).toThrow(/ctr_type "FeatureFreqWeird" is not supported/);
    const json2 = ctrModel();
    json2.ctr_data![ident([WIKI], "Counter")]!.hash_stride = 3;
    expect(() => loadCatBoost(json2)).toThrow(/hash_map length is not a multiple|must have hash_stride 2/);
  });

  it("accepts JSON text and rejects non-JSON", () => {
    expect(loadCatBoost(JSON.stringify(floatModel())).predictRaw([1, 0.2, 1, 1])).toBeCloseTo(3.2, 12);
    expect(() => loadCatBoost("{nope")).toThrow(/not valid JSON/);
    expect(() => loadCatBoost(42)).toThrow(/top level must be a JSON object/);
  });

  it("refuses probabilities for non-Logloss models", () => {
    const json = floatModel();
    json.model_info = { params: { loss_function: { type: "RMSE" } } };
    const m = loadCatBoost(json);
    expect(m.predictRaw([1, 0.2, 1, 1])).toBeCloseTo(3.2, 12);
    expect(() => m.predictProbability([1, 0.2, 1, 1])).toThrow(/needs a Logloss model/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Manifest cross-check and check files

describe("checkManifestFeatures", () => {
  const model = loadCatBoost(oneHotModel());
  it("accepts a matching feature list and names the first disagreement", () => {
    checkManifestFeatures(model, [
      { name: "sex", kind: "categorical" },
      { name: "x", kind: "numeric" },
      { name: "flag", kind: "categorical" },
    ]);
    expect(() =>
      checkManifestFeatures(model, [
        { name: "sex", kind: "categorical" },
        { name: "x", kind: "categorical" },
        { name: "flag", kind: "categorical" },
      ]),
    ).toThrow(/feature 1 \(x\) is categorical in the manifest but numeric in the model/);
    expect(() =>
      checkManifestFeatures(model, [
        { name: "gender", kind: "categorical" },
        { name: "x", kind: "numeric" },
        { name: "flag", kind: "categorical" },
      ]),
    ).toThrow(/feature 0 is gender in the manifest but sex in the model/);
    expect(() => checkManifestFeatures(model, [{ name: "sex", kind: "categorical" }])).toThrow(
      /lists 1 features/,
    );
  });
});

describe("check files", () => {
  const model = loadCatBoost(ctrModel());
  // Probabilities from the hand-derived raw scores above.
  const lines = [
    { features: ["Italy", "Male", 10, "1"], probability: sigmoid(4012 / 1000) },
    { features: ["Canada", "Female", -3, "0"], probability: sigmoid(4099 / 1000) },
  ];
  // scale the model so the probabilities are not all 1
  const scaled = ctrModel();
  scaled.scale_and_bias = [0.001, [0]];
  const m = loadCatBoost(scaled);
  const text = lines.map((l) => JSON.stringify(l)).join("\n") + "\n";

  it("passes when every row agrees", () => {
    const res = verifyCheckFile(m, parseCheckFile(text));
    expect(res.rows).toBe(2);
    expect(res.maxAbsDiff).toBeLessThan(1e-12);
    expect(model.predictRaw(lines[0]!.features)).toBe(4012);
  });

  it("fails loudly on the first mismatching row", () => {
    const bad = parseCheckFile(text);
    bad[1]!.probability += 2e-6;
    expect(() => verifyCheckFile(m, bad)).toThrow(CheckFileMismatchError);
    expect(() => verifyCheckFile(m, bad)).toThrow(
      /row 1: probability .* differs from CatBoost's .* \(tolerance 0.000001\)/,
    );
    const badFeatures = parseCheckFile(text.replace('"Canada"', '"Italy"'));
    expect(() => verifyCheckFile(m, badFeatures)).toThrow(/row 1/);
  });

  it("checks raw scores when present, and null as NaN", () => {
    const rows = parseCheckFile('{"features":["Italy","Male",null,"1"],"probability":0.98,"raw":4.011}\n');
    expect(Number.isNaN(rows[0]!.features[2])).toBe(true);
    // bytes NaN (AsIs) → false: mixed tree leaf 2 → raw 0.940 + 2.048 = 2.988
    expect(() => verifyCheckFile(m, rows, 1)).toThrow(/raw score 2.98\d* differs/);
  });

  it("rejects malformed check files", () => {
    expect(() => parseCheckFile('{"features":[1]}')).toThrow(/line 1: expected/);
    expect(() => parseCheckFile("{")).toThrow(/line 1: not JSON/);
    expect(() => verifyCheckFile(m, [])).toThrow(/no rows/);
  });
});
