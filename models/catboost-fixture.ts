/**
 * Deterministic synthetic CatBoost model (CatBoost JSON export format) for the fixture bundle.
 *
 * It is NOT a trained model. It is shaped like the real revertrisk-multilingual classifier so that the
 * evaluator's paths are all exercised end to end:
 * - float splits on the numeric features (edit counts, byte diff, the bert_* features);
 * - one-hot splits on the boolean categorical features (value = CatBoost hash of the `true` string);
 * - CTR splits on `wiki_db` (Borders with three priors, Counter), and on combinations:
 *   wiki_db × is_anonymous (two categorical values), wiki_db × (revision_text_bytes_diff > 0) (a
 *   binarized float part) and wiki_db × (is_mobile_edit == true) (an exact-value part), with
 *   `ctr_data` tables covering the 47 training wikis.
 * Leaf values follow plausible risk directions (anonymous, high bert p1, high wiki revert rate → higher
 * risk) so probabilities spread over (0, 1) on realistic rows (see `generateFixtureRows`).
 *
 * Output depends only on (features, seed).
 */
import { mulberry32 } from "./rng.ts";
import type { FeatureSpec } from "../shared/model/bundle.ts";
import { catFeatureHashInt32, catHashAsCtrInput, ctrHashStep } from "../shared/model/catboost/hash.ts";
import {
  type CatBoostJson,
  type CatBoostJsonCatFeature,
  type CatBoostJsonCtr,
  type CatBoostJsonCtrElement,
  type CatBoostJsonCtrTable,
  type CatBoostJsonFloatFeature,
  type CatBoostJsonObliviousTree,
  type CatBoostJsonSplit,
} from "../shared/model/catboost/model-json.ts";
import { type FeatureValue } from "../shared/model/catboost/evaluator.ts";

/** Language codes of the 47 wikis revertrisk-multilingual was trained on. */
export const FIXTURE_WIKI_LANGS = [
  "ka", "lv", "ta", "ur", "eo", "lt", "sl", "hy", "hr", "sk", "eu", "et", "ms", "az", "da", "bg",
  "sr", "ro", "el", "th", "bn", "no", "hi", "ca", "hu", "ko", "fi", "vi", "uz", "sv", "cs", "he",
  "id", "tr", "uk", "nl", "pl", "ar", "fa", "it", "zh", "ru", "es", "ja", "de", "fr", "en",
] as const; // prettier-ignore

/** `wiki_db` strings of the 47 wikis (`<lang>wiki`). */
export const FIXTURE_WIKIS: readonly string[] = FIXTURE_WIKI_LANGS.map((l) => `${l}wiki`);

const DEFAULT_ENCODING = { true: "1", false: "0" } as const;
const TREE_COUNT = 160;
const LEARNING_RATE = 0.025;

const round6 = (v: number): number => Number(v.toPrecision(6));

interface Candidate {
  split: CatBoostJsonSplit;
  /** Risk direction of "split true" (positive: the split being true makes a revert more likely). */
  sign: number;
  weight: number;
  key: string;
}

function numericBorders(name: string): { borders: number[]; sign: number; weight: number } {
  const bert = /^bert_(insert|remove|change)_(s0|s1|p0|p1)_(max|mean)$/.exec(name);
  if (bert) {
    const kind = bert[2]!;
    const isProb = kind === "p0" || kind === "p1";
    const borders = isProb ? [-0.5, 0.125, 0.25, 0.5, 0.75, 0.875] : [-3, -1.5, -0.5, 0.5, 1.5, 3];
    const sign = kind === "p1" || kind === "s1" ? 1 : -1;
    return { borders, sign: bert[1] === "remove" ? sign * 0.8 : sign, weight: 3 };
  }
  if (name === "bert_title_score") return { borders: [-0.5, 0.125, 0.25, 0.375, 0.5], sign: 1, weight: 4 };
  if (name === "revision_text_bytes_diff") {
    return { borders: [-1000, -100, -10, 0, 10, 100, 1000], sign: -0.6, weight: 6 };
  }
  return { borders: [0.5, 1.5, 3.5, 10.5], sign: 0, weight: 0.4 };
}

/** Risk direction of a boolean categorical being `true`. */
function flagSign(name: string): number {
  if (name === "is_anonymous") return 1.2;
  if (name === "is_mobile_edit" || name === "is_mobile_web_edit" || name === "is_ios_app_edit") return 0.4;
  if (name === "is_visualeditor" || name === "is_wikieditor") return -0.15;
  return -0.7; // user groups: trusted users are reverted less
}

function identifierOf(elements: CatBoostJsonCtrElement[], type: string): string {
  // CatBoost writes this description with object keys in sorted order.
  const sorted = elements.map((e) =>
    Object.fromEntries(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1))),
  );
  return JSON.stringify({ identifier: sorted, type });
}

/**
 * Builds the fixture classifier for the given manifest feature list. Requirements: at least one numeric
 * feature. A categorical feature named `wiki_db` (or else the first categorical feature without an
 * encoding) gets CTRs; categorical features with a boolean encoding get one-hot splits.
 */
export function generateCatBoostFixture(features: FeatureSpec[], seed: number): CatBoostJson {
  const rnd = mulberry32(seed ^ 0x5eed5eed);
  const floatFeatures: CatBoostJsonFloatFeature[] = [];
  const catFeatures: CatBoostJsonCatFeature[] = [];
  const floatCands: Candidate[] = [];
  const oneHotCands: Candidate[] = [];
  const floatIndexByName = new Map<string, number>();
  const catIndexByName = new Map<string, number>();
  const encodingByName = new Map<string, { true: string; false: string }>();

  const wikiSpec =
    features.find((f) => f.kind === "categorical" && f.name === "wiki_db") ??
    features.find((f) => f.kind === "categorical" && f.encoding === undefined);

  features.forEach((f, flat) => {
    if (f.kind === "numeric") {
      const idx = floatFeatures.length;
      const { borders, sign, weight } = numericBorders(f.name);
      floatFeatures.push({
        feature_index: idx,
        flat_feature_index: flat,
        feature_id: f.name,
        borders,
        has_nans: false,
        nan_value_treatment: "AsFalse",
      });
      floatIndexByName.set(f.name, idx);
      for (const b of borders) {
        // counts: small random directions so they matter a little
        const s = sign === 0 ? (rnd() - 0.5) * 0.6 : sign;
        floatCands.push({
          split: { split_type: "FloatFeature", float_feature_index: idx, border: b },
          sign: s,
          weight: weight / borders.length,
          key: `f${idx}:${b}`,
        });
      }
    } else {
      const idx = catFeatures.length;
      const cf: CatBoostJsonCatFeature = { feature_index: idx, flat_feature_index: flat, feature_id: f.name };
      catIndexByName.set(f.name, idx);
      if (f !== wikiSpec) {
        const enc = f.encoding ?? DEFAULT_ENCODING;
        encodingByName.set(f.name, enc);
        const v = catFeatureHashInt32(enc.true);
        cf.values = [v];
        cf.string_values = [enc.true];
        oneHotCands.push({
          split: { split_type: "OneHotFeature", cat_feature_index: idx, value: v },
          sign: flagSign(f.name),
          weight: f.name === "is_anonymous" ? 6 : 1,
          key: `o${idx}`,
        });
      }
      catFeatures.push(cf);
    }
  });
  if (floatFeatures.length === 0)
    throw new Error("generateCatBoostFixture: needs at least one numeric feature");

  // ---- CTRs
  const ctrs: CatBoostJsonCtr[] = [];
  const ctrData: Record<string, CatBoostJsonCtrTable> = {};
  const ctrCands: Candidate[] = [];
  if (wikiSpec !== undefined) {
    const w = catIndexByName.get(wikiSpec.name)!;
    const wikiEl: CatBoostJsonCtrElement = { combination_element: "cat_feature_value", cat_feature_index: w };
    // per-wiki base revert rate and volume
    const wikiRate = new Map<string, number>();
    const wikiCount = new Map<string, number>();
    for (const wiki of FIXTURE_WIKIS) {
      wikiRate.set(wiki, 0.04 + 0.3 * rnd());
      wikiCount.set(wiki, Math.round(200 + 4800 * rnd() * rnd()));
    }
    const wikiKey = (wiki: string) => ctrHashStep(0n, catHashAsCtrInput(catFeatureHashInt32(wiki)));
    /** Rows of a wiki × binary-part CTR table: [rate multiplier, share of the wiki's volume] for bit 1, then bit 0. */
    const wikiBitRows = (one: readonly [number, number], zero: readonly [number, number]) =>
      FIXTURE_WIKIS.flatMap((wiki) =>
        (
          [
            [1n, ...one],
            [0n, ...zero],
          ] as const
        ).map(([bit, mul, part]) => ({
          key: ctrHashStep(wikiKey(wiki), bit),
          total: Math.max(1, Math.round(wikiCount.get(wiki)! * part)),
          rate: wikiRate.get(wiki)! * mul,
        })),
      );

    /** Borders table over keys; rateMul/countShare per sub-key. */
    const bordersTable = (
      rows: Array<{ key: bigint; total: number; rate: number }>,
    ): CatBoostJsonCtrTable => {
      const hashMap: Array<string | number> = [];
      for (const r of rows) {
        const pos = Math.round(r.total * Math.min(0.95, r.rate));
        hashMap.push(r.key.toString(), r.total - pos, pos);
      }
      return { hash_map: hashMap, hash_stride: 3, counter_denominator: 0 };
    };
    const addCtr = (
      elements: CatBoostJsonCtrElement[],
      type: "Borders" | "Counter",
      priors: Array<[number, number]>,
      borders: number[],
      table: CatBoostJsonCtrTable,
      sign: number,
      weight: number,
    ) => {
      const identifier = identifierOf(elements, type);
      ctrData[identifier] = table;
      for (const [pn, pd] of priors) {
        const c = ctrs.length;
        ctrs.push({
          identifier,
          elements,
          ctr_type: type,
          prior_numerator: pn,
          prior_denomerator: pd,
          shift: -0,
          scale: 15,
          target_border_idx: 0,
          borders,
        });
        for (const b of borders) {
          ctrCands.push({
            // split_index is filled in below, once the binary feature list is known
            split: { split_type: "OnlineCtr", split_index: -1, ctr_target_border_idx: 0, border: b },
            sign,
            weight: weight / (borders.length * priors.length),
            key: `c${c}:${b}`,
          });
        }
      }
    };

    // wiki_db alone: Borders (3 priors) and Counter
    addCtr(
      [wikiEl],
      "Borders",
      [
        [0, 1],
        [0.5, 1],
        [1, 1],
      ],
      [1.5, 2.5, 3.5, 4.5],
      bordersTable(
        FIXTURE_WIKIS.map((wiki) => ({
          key: wikiKey(wiki),
          total: wikiCount.get(wiki)!,
          rate: wikiRate.get(wiki)!,
        })),
      ),
      1,
      8,
    );
    const maxCount = Math.max(...wikiCount.values());
    const counterMap: Array<string | number> = [];
    for (const wiki of FIXTURE_WIKIS) counterMap.push(wikiKey(wiki).toString(), wikiCount.get(wiki)!);
    addCtr(
      [wikiEl],
      "Counter",
      [[0, 1]],
      [2.5, 5.5, 9.5],
      {
        hash_map: counterMap,
        hash_stride: 2,
        counter_denominator: maxCount,
      },
      -0.3,
      2,
    );

    // wiki_db × is_anonymous (two categorical values)
    const anon = features.find((f) => f.kind === "categorical" && f.name === "is_anonymous");
    if (anon !== undefined && anon !== wikiSpec) {
      const a = catIndexByName.get(anon.name)!;
      const enc = encodingByName.get(anon.name)!;
      const rows: Array<{ key: bigint; total: number; rate: number }> = [];
      for (const wiki of FIXTURE_WIKIS) {
        const share = 0.15 + 0.3 * rnd();
        for (const [value, mul, part] of [
          [enc.true, 2.2, share],
          [enc.false, 0.6, 1 - share],
        ] as const) {
          const key = ctrHashStep(wikiKey(wiki), catHashAsCtrInput(catFeatureHashInt32(value)));
          rows.push({
            key,
            total: Math.max(1, Math.round(wikiCount.get(wiki)! * part)),
            rate: wikiRate.get(wiki)! * mul,
          });
        }
      }
      addCtr(
        [wikiEl, { combination_element: "cat_feature_value", cat_feature_index: a }],
        "Borders",
        [[0.5, 1]],
        [1.5, 3.5, 5.5],
        bordersTable(rows),
        1,
        5,
      );
    }

    // wiki_db × (revision_text_bytes_diff > 0) (a binarized float part)
    const bytesIdx = floatIndexByName.get("revision_text_bytes_diff");
    if (bytesIdx !== undefined) {
      const rows = wikiBitRows([0.8, 0.7], [1.6, 0.3]);
      addCtr(
        [wikiEl, { combination_element: "float_feature", float_feature_index: bytesIdx, border: 0 }],
        "Borders",
        [[1, 1]],
        [2.5, 4.5],
        bordersTable(rows),
        1,
        3,
      );
    }

    // wiki_db × (is_mobile_edit == true) (an exact-value part)
    const mobile = features.find((f) => f.kind === "categorical" && f.name === "is_mobile_edit");
    if (mobile !== undefined && mobile !== wikiSpec) {
      const m = catIndexByName.get(mobile.name)!;
      const rows = wikiBitRows([1.7, 0.25], [0.85, 0.75]);
      addCtr(
        [
          wikiEl,
          {
            combination_element: "cat_feature_exact_value",
            cat_feature_index: m,
            value: catFeatureHashInt32(encodingByName.get(mobile.name)!.true),
          },
        ],
        "Borders",
        [[0, 1]],
        [2.5, 4.5],
        bordersTable(rows),
        1,
        3,
      );
    }
  }

  // ---- split_index: CatBoost's binary feature order (float borders, one-hot values, CTR borders)
  let binIndex = 0;
  const floatBinStart = new Map<number, number>();
  for (const ff of floatFeatures) {
    floatBinStart.set(ff.feature_index, binIndex);
    binIndex += ff.borders!.length;
  }
  for (const c of floatCands) {
    const s = c.split as Extract<CatBoostJsonSplit, { split_type: "FloatFeature" }>;
    s.split_index =
      floatBinStart.get(s.float_feature_index)! +
      floatFeatures[s.float_feature_index]!.borders!.indexOf(s.border);
  }
  for (const c of oneHotCands) c.split.split_index = binIndex++;
  const ctrBinStart: number[] = [];
  for (const ctr of ctrs) {
    ctrBinStart.push(binIndex);
    binIndex += ctr.borders.length;
  }
  for (const c of ctrCands) {
    const [ci, b] = c.key.slice(1).split(":");
    const ctr = ctrs[Number(ci)]!;
    c.split.split_index = ctrBinStart[Number(ci)]! + ctr.borders.indexOf(Number(b));
  }

  // ---- trees
  const groups: Array<{ cands: Candidate[]; p: number }> = [
    { cands: floatCands.filter((c) => c.sign !== 0), p: 0.45 },
    { cands: oneHotCands, p: 0.2 },
    { cands: ctrCands, p: 0.25 },
    { cands: floatCands, p: 0.1 },
  ].filter((g) => g.cands.length > 0);
  const pTotal = groups.reduce((s, g) => s + g.p, 0);
  const pick = (): Candidate => {
    let r = rnd() * pTotal;
    let g = groups[groups.length - 1]!;
    for (const cand of groups) {
      if (r < cand.p) {
        g = cand;
        break;
      }
      r -= cand.p;
    }
    const wTotal = g.cands.reduce((s, c) => s + c.weight, 0);
    let x = rnd() * wTotal;
    for (const c of g.cands) {
      if (x < c.weight) return c;
      x -= c.weight;
    }
    return g.cands[g.cands.length - 1]!;
  };

  const trees: CatBoostJsonObliviousTree[] = [];
  for (let t = 0; t < TREE_COUNT; t++) {
    const depth = 4 + Math.floor(rnd() * 3);
    const chosen: Candidate[] = [];
    const used = new Set<string>();
    let guard = 0;
    while (chosen.length < depth && guard++ < 1000) {
      const c = pick();
      if (used.has(c.key)) continue;
      used.add(c.key);
      chosen.push(c);
    }
    const leafValues: number[] = [];
    for (let leaf = 0; leaf < 1 << chosen.length; leaf++) {
      let v = 0;
      chosen.forEach((c, d) => {
        v += ((leaf >> d) & 1 ? 1 : -1) * c.sign * 0.5;
      });
      v += (rnd() - 0.5) * 0.4;
      leafValues.push(round6(v * LEARNING_RATE));
    }
    trees.push({ splits: chosen.map((c) => ({ ...c.split })), leaf_values: leafValues });
  }

  const json: CatBoostJson = {
    model_info: {
      params: { loss_function: { type: "Logloss" } },
      revrisk_fixture: {
        generator: "models/catboost-fixture.ts",
        seed,
        note: "synthetic, not a trained model",
      },
    },
    features_info: {
      float_features: floatFeatures,
      ...(catFeatures.length > 0 ? { categorical_features: catFeatures } : {}),
      ...(ctrs.length > 0 ? { ctrs } : {}),
    },
    oblivious_trees: trees,
    ...(ctrs.length > 0 ? { ctr_data: ctrData } : {}),
    scale_and_bias: [1, [-0.9]],
  };
  return json;
}

/**
 * Realistic-looking input rows for `features` (deterministic in `seed`): wiki_db from the 47 wikis,
 * boolean categoricals as their encoded strings, anonymous editors without groups, -1 for empty bert
 * lists, small edit counts. For tests, calibration and the fixture bundle's samples.
 */
export function generateFixtureRows(features: FeatureSpec[], seed: number, n: number): FeatureValue[][] {
  const rnd = mulberry32(seed ^ 0x0f1e2d3c);
  const rows: FeatureValue[][] = [];
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  for (let i = 0; i < n; i++) {
    const anonymous = rnd() < 0.3;
    const risk = normal(); // latent: shared by the bert features so they correlate
    const lists = new Map<string, number[] | null>();
    for (const list of ["insert", "remove", "change"]) {
      if (rnd() < 0.45) {
        lists.set(list, null);
        continue;
      }
      const k = 1 + Math.floor(rnd() * 4);
      const vecs: number[][] = [];
      for (let j = 0; j < k; j++) {
        const s1 = 1.2 * risk + 1.5 * normal() - 0.5;
        const s0 = -s1 + 0.3 * normal();
        const e0 = Math.exp(s0);
        const e1 = Math.exp(s1);
        vecs.push([s0, s1, e0 / (e0 + e1), e1 / (e0 + e1)]);
      }
      const max = [0, 1, 2, 3].map((c) => Math.max(...vecs.map((v) => v[c]!)));
      const mean = [0, 1, 2, 3].map((c) => vecs.reduce((s, v) => s + v[c]!, 0) / vecs.length);
      lists.set(list, [...max, ...mean]);
    }
    const suffixes = ["s0_max", "s1_max", "p0_max", "p1_max", "s0_mean", "s1_mean", "p0_mean", "p1_mean"];
    const row = features.map((f): FeatureValue => {
      if (f.kind === "categorical") {
        if (f.name === "wiki_db" || (f.encoding === undefined && f.name.includes("wiki"))) {
          return FIXTURE_WIKIS[Math.floor(rnd() * FIXTURE_WIKIS.length)]!;
        }
        const enc = f.encoding ?? DEFAULT_ENCODING;
        let p: number;
        if (f.name === "is_anonymous") p = anonymous ? 1 : 0;
        else if (f.name.startsWith("is_mobile") || f.name === "is_ios_app_edit") p = 0.25;
        else if (f.name === "is_visualeditor" || f.name === "is_wikieditor") p = 0.3;
        else p = anonymous ? 0 : 0.15;
        return rnd() < p ? enc.true : enc.false;
      }
      const bert = /^bert_(insert|remove|change)_(.+)$/.exec(f.name);
      if (bert) {
        const vals = lists.get(bert[1]!);
        const k = suffixes.indexOf(bert[2]!);
        return vals === null || vals === undefined || k < 0 ? -1 : Math.fround(vals[k]!);
      }
      if (f.name === "bert_title_score")
        return rnd() < 0.03 ? -1 : Math.fround(Math.max(0, 0.12 + 0.08 * normal()));
      if (f.name === "revision_text_bytes_diff") {
        const mag = Math.round(Math.exp(rnd() * 8));
        return rnd() < 0.3 + 0.1 * risk ? -mag : mag;
      }
      return rnd() < 0.7 ? 0 : Math.floor(1 + rnd() * rnd() * 20);
    });
    rows.push(row);
  }
  return rows;
}
