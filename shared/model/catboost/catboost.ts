/**
 * Evaluator for CatBoost models in CatBoost's JSON export format (`save_model(format="json")`),
 * written from CatBoost's documented format and its reference appliers (catboost/catboost:
 * `catboost/libs/model/model_export/json_model_helpers.cpp`, `catboost/libs/model/cpu/quantization.h`,
 * `catboost/libs/model/static_ctr_provider.cpp`, `model_export/resources/*.py`). See docs/classifier.md.
 *
 * Semantics, per input row (the full feature row, indexed by `flat_feature_index`):
 * - Float features are rounded to float32; a split is true when `value > border` (strict). NaN: true
 *   only when the feature `has_nans` and its `nan_value_treatment` is `AsTrue`; otherwise false.
 * - Categorical values are strings, hashed with CatBoost's `CalcCatFeatureHash` (low 32 bits of
 *   CityHash64 v1.0.x of the UTF-8 bytes; see catboost-hash.ts).
 * - One-hot split: true when the value's hash (as int32) equals the split value.
 * - CTR split: the projection key (categorical hashes sign-extended to 64 bits, then binarized float and
 *   one-hot parts as 0/1, combined with CatBoost's CalcHash step) is looked up in `ctr_data`; the CTR
 *   value is computed in float32 as `((good + prior_num) / (total + prior_denom) + shift) * scale` and
 *   compared with the border (`>`). Unseen keys use good = total = 0 (Counter/FeatureFreq: total =
 *   counter_denominator), as CatBoost's static CTR provider does.
 * - Oblivious trees: split d sets bit d of the leaf index. Non-symmetric trees: true → `right`.
 * - raw[k] = scale × Σ leaf[k] + bias[k] (double). Binary Logloss probability = sigmoid(raw).
 *
 * Runtime-agnostic: no Node APIs (runs in Cloudflare Workers too).
 */
import { catFeatureHash, catHashAsCtrInput, ctrHashStep } from "./hash.ts";
import type { FeatureSpec } from "../bundle.ts";

export { catFeatureHash, catFeatureHashInt32, cityHash64, cityHash64String } from "./hash.ts";

// ---------------------------------------------------------------------------------------------------
// The JSON format (the subset this evaluator reads; CatBoost writes more keys, which are ignored).

export type NanValueTreatment = "AsIs" | "AsFalse" | "AsTrue";

export interface CatBoostJsonFloatFeature {
  feature_index: number;
  flat_feature_index: number;
  feature_id?: string;
  feature_name?: string;
  borders?: number[] | null;
  has_nans?: boolean;
  nan_value_treatment?: NanValueTreatment;
}

export interface CatBoostJsonCatFeature {
  feature_index: number;
  flat_feature_index: number;
  feature_id?: string;
  feature_name?: string;
  /** One-hot encoded feature: the hashes (int32) of the values that have a split. */
  values?: number[];
  /** Optional: the strings of `values` (newer CatBoost versions). */
  string_values?: string[];
}

export type CatBoostJsonCtrElement =
  | { combination_element: "cat_feature_value"; cat_feature_index: number }
  | { combination_element: "float_feature"; float_feature_index: number; border: number }
  | { combination_element: "cat_feature_exact_value"; cat_feature_index: number; value: number };

export type CtrType =
  "Borders" | "Buckets" | "BinarizedTargetMeanValue" | "FloatTargetMeanValue" | "Counter" | "FeatureFreq";

export interface CatBoostJsonCtr {
  /** JSON string of {identifier: elements, type}; also the key of this CTR's table in `ctr_data`. */
  identifier: string;
  elements: CatBoostJsonCtrElement[];
  ctr_type: CtrType;
  prior_numerator: number;
  /** Sic: CatBoost's spelling. */
  prior_denomerator: number;
  shift: number;
  scale: number;
  target_border_idx: number;
  borders: number[];
}

export type CatBoostJsonSplit =
  | { split_type: "FloatFeature"; split_index?: number; float_feature_index: number; border: number }
  | { split_type: "OneHotFeature"; split_index?: number; cat_feature_index: number; value: number }
  | { split_type: "OnlineCtr"; split_index: number; ctr_target_border_idx: number; border: number };

export interface CatBoostJsonObliviousTree {
  splits: CatBoostJsonSplit[];
  leaf_values: number[];
  leaf_weights?: number[];
}

export type CatBoostJsonNode =
  | { split: CatBoostJsonSplit; left: CatBoostJsonNode; right: CatBoostJsonNode }
  | { value: number | number[]; weight?: number };

export interface CatBoostJsonCtrTable {
  /** Flat list: hash (decimal ui64 string), then `hash_stride - 1` numbers, repeated. */
  hash_map: Array<string | number>;
  hash_stride: number;
  counter_denominator?: number;
}

export interface CatBoostJson {
  model_info?: Record<string, unknown>;
  features_info: {
    float_features?: CatBoostJsonFloatFeature[];
    categorical_features?: CatBoostJsonCatFeature[];
    ctrs?: CatBoostJsonCtr[];
    cat_features_hash?: Array<{ hash: number; value: string }>;
    [other: string]: unknown;
  };
  oblivious_trees?: CatBoostJsonObliviousTree[];
  trees?: CatBoostJsonNode[];
  ctr_data?: Record<string, CatBoostJsonCtrTable>;
  scale_and_bias?: [number, number[]];
}

// ---------------------------------------------------------------------------------------------------
// Errors

/** The model JSON is malformed or uses something this evaluator does not support. */
export class CatBoostModelError extends Error {
  override name = "CatBoostModelError";
}

/** An input row does not fit the model. */
export class CatBoostInputError extends Error {
  override name = "CatBoostInputError";
}

/** A check file row disagrees with the evaluator. */
export class CheckFileMismatchError extends Error {
  override name = "CheckFileMismatchError";
  readonly row: number;
  readonly expected: number;
  readonly actual: number;
  constructor(message: string, row: number, expected: number, actual: number) {
    super(message);
    this.row = row;
    this.expected = expected;
    this.actual = actual;
  }
}

// ---------------------------------------------------------------------------------------------------
// Public model interface

export type FeatureValue = number | string;

export interface CatBoostModel {
  /** Row length the model reads (1 + the largest flat feature index it declares). */
  readonly featureCount: number;
  /** Flat indices of categorical features (their values must be strings). */
  readonly categoricalIndices: readonly number[];
  /** Feature names by flat index, where the export carries them (`feature_name` / `feature_id`). */
  readonly featureNames: ReadonlyArray<string | undefined>;
  /** Output dimension (1 for binary Logloss). */
  readonly dimension: number;
  readonly treeCount: number;
  /** `model_info.params.loss_function.type`, when present. */
  readonly lossFunction: string | undefined;
  readonly usesCategorical: boolean;
  /** Raw score (dimension 1 only). */
  predictRaw(row: ReadonlyArray<FeatureValue>): number;
  /** Raw scores, one per dimension. */
  predictRawMulti(row: ReadonlyArray<FeatureValue>): number[];
  /** P(class 1) = sigmoid(raw) for a binary (Logloss / CrossEntropy) model. */
  predictProbability(row: ReadonlyArray<FeatureValue>): number;
  predictRawBatch(rows: ReadonlyArray<ReadonlyArray<FeatureValue>>): Float64Array;
  predictProbabilityBatch(rows: ReadonlyArray<ReadonlyArray<FeatureValue>>): Float64Array;
}

export interface LoadOptions {
  /** Bound on the string → hash cache (default 4096 entries; 0 disables caching). */
  hashCacheSize?: number;
}

// ---------------------------------------------------------------------------------------------------
// Internal compiled form

interface FloatInfo {
  flat: number;
  nanTrue: boolean;
}

type Cond =
  | { kind: "float"; feature: number; border: number }
  | { kind: "onehot"; cat: number; value: number }
  | { kind: "ctr"; ctr: number; border: number };

interface CompiledCtr {
  type: CtrType;
  projection: number; // index into projections
  priorNum: number;
  priorDenom: number;
  shift: number;
  scale: number;
  targetBorderIdx: number;
  table: CompiledTable;
}

interface CompiledTable {
  index: Map<bigint, number>;
  values: number[];
  stride: number; // numbers per entry, excluding the hash
  counterDenominator: number;
}

interface Projection {
  cats: number[]; // cat feature indices
  binary: Array<
    { kind: "float"; feature: number; border: number } | { kind: "onehot"; cat: number; value: number }
  >;
}

/** Split conditions are interned: each distinct condition is evaluated once per row. */
interface ObliviousTree {
  conds: Int32Array; // indices into the condition list; split d sets bit d
  leafOffset: number;
}

type NodeTree = { cond: number; left: NodeTree; right: NodeTree } | { leaf: number[] };

function condKey(c: Cond): string {
  switch (c.kind) {
    case "float":
      return `f${c.feature}:${c.border}`;
    case "onehot":
      return `o${c.cat}:${c.value}`;
    case "ctr":
      return `c${c.ctr}:${c.border}`;
  }
}

const f32 = Math.fround;
const CTR_TYPES: readonly CtrType[] = [
  "Borders",
  "Buckets",
  "BinarizedTargetMeanValue",
  "FloatTargetMeanValue",
  "Counter",
  "FeatureFreq",
];

function fail(msg: string): never {
  throw new CatBoostModelError(`CatBoost model: ${msg}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v))
    fail(`${what} must be a finite number (got ${JSON.stringify(v)})`);
  return v;
}

function int(v: unknown, what: string): number {
  const n = num(v, what);
  if (!Number.isInteger(n)) fail(`${what} must be an integer (got ${n})`);
  return n;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) fail(`${what} must be an array`);
  return v;
}

/** Canonical form of a CTR base description (elements + type), independent of key order / spacing. */
function canonicalCtrBase(elements: unknown, type: unknown): string {
  const els = arr(elements, "ctr elements").map((e) => {
    if (!isObject(e)) fail("ctr element must be an object");
    const keys = Object.keys(e).sort();
    return keys.map((k) => `${k}=${JSON.stringify(e[k])}`).join(",");
  });
  return `${String(type)}|${els.join(";")}`;
}

function canonicalFromIdentifier(identifier: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(identifier);
    if (!isObject(parsed)) return undefined;
    return canonicalCtrBase(parsed.identifier, parsed.type);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Loader

export function loadCatBoost(json: unknown, options: LoadOptions = {}): CatBoostModel {
  if (typeof json === "string") {
    try {
      json = JSON.parse(json);
    } catch (e) {
      fail(`not valid JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(json)) fail("top level must be a JSON object");
  const info = json.features_info;
  if (!isObject(info)) fail("missing features_info");
  for (const unsupported of ["text_features", "embedding_features", "estimated_features"]) {
    const v = info[unsupported];
    if (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null) {
      fail(`features_info.${unsupported} is not supported (text/embedding features)`);
    }
  }

  // Float features
  const floatByIndex = new Map<number, FloatInfo>();
  const floatBorders = new Map<number, number[]>();
  const floatOrder: number[] = [];
  const featureNames: Array<string | undefined> = [];
  const kinds = new Map<number, "float" | "cat">();
  let featureCount = 0;
  const claimFlat = (flat: number, kind: "float" | "cat", name: unknown) => {
    if (flat < 0) fail(`negative flat_feature_index ${flat}`);
    if (kinds.has(flat)) fail(`flat_feature_index ${flat} is declared twice`);
    kinds.set(flat, kind);
    featureCount = Math.max(featureCount, flat + 1);
    if (typeof name === "string" && name !== "") featureNames[flat] = name;
  };
  for (const [i, raw] of arr(info.float_features ?? [], "features_info.float_features").entries()) {
    if (!isObject(raw)) fail(`float_features[${i}] must be an object`);
    const idx = int(raw.feature_index, `float_features[${i}].feature_index`);
    const flat = int(raw.flat_feature_index, `float_features[${i}].flat_feature_index`);
    if (floatByIndex.has(idx)) fail(`float feature_index ${idx} is declared twice`);
    claimFlat(flat, "float", raw.feature_name ?? raw.feature_id);
    const treatment = raw.nan_value_treatment ?? "AsIs";
    if (treatment !== "AsIs" && treatment !== "AsFalse" && treatment !== "AsTrue") {
      fail(`float_features[${i}].nan_value_treatment ${JSON.stringify(treatment)} is unknown`);
    }
    const hasNans = raw.has_nans === true;
    floatByIndex.set(idx, { flat, nanTrue: hasNans && treatment === "AsTrue" });
    const borders = arr(raw.borders ?? [], `float_features[${i}].borders`).map((b, j) =>
      f32(num(b, `float_features[${i}].borders[${j}]`)),
    );
    floatBorders.set(idx, borders);
    floatOrder.push(idx);
  }

  // Categorical features
  const catByIndex = new Map<number, number>(); // cat feature_index → flat
  const oneHot: Array<{ cat: number; values: number[] }> = [];
  const catOrder: number[] = [];
  for (const [i, raw] of arr(
    info.categorical_features ?? [],
    "features_info.categorical_features",
  ).entries()) {
    if (!isObject(raw)) fail(`categorical_features[${i}] must be an object`);
    const idx = int(raw.feature_index, `categorical_features[${i}].feature_index`);
    const flat = int(raw.flat_feature_index, `categorical_features[${i}].flat_feature_index`);
    if (catByIndex.has(idx)) fail(`categorical feature_index ${idx} is declared twice`);
    claimFlat(flat, "cat", raw.feature_name ?? raw.feature_id);
    catByIndex.set(idx, flat);
    catOrder.push(idx);
    if (raw.values !== undefined && raw.values !== null) {
      const values = arr(raw.values, `categorical_features[${i}].values`).map(
        (v, j) => int(v, `categorical_features[${i}].values[${j}]`) | 0,
      );
      if (Array.isArray(raw.string_values) && raw.string_values.length > 0) {
        if (raw.string_values.length !== values.length) {
          fail(`categorical_features[${i}]: string_values and values differ in length`);
        }
        raw.string_values.forEach((s, j) => {
          if (typeof s !== "string") fail(`categorical_features[${i}].string_values[${j}] must be a string`);
          const h = catFeatureHash(s) | 0;
          if (h !== values[j]) {
            fail(
              `categorical_features[${i}]: the hash of ${JSON.stringify(s)} is ${h} here but ${values[j]} in the model ` +
                `(categorical hashing disagrees with CatBoost)`,
            );
          }
        });
      }
      oneHot.push({ cat: idx, values });
    }
  }

  // Self-check against the exported hash table, when present.
  if (info.cat_features_hash !== undefined && info.cat_features_hash !== null) {
    for (const [i, e] of arr(info.cat_features_hash, "features_info.cat_features_hash").entries()) {
      if (!isObject(e) || typeof e.value !== "string")
        fail(`cat_features_hash[${i}] must be {hash, value: string}`);
      const expected = int(e.hash, `cat_features_hash[${i}].hash`);
      const h = catFeatureHash(e.value);
      if (h !== expected >>> 0) {
        fail(
          `cat_features_hash[${i}]: the hash of ${JSON.stringify(e.value)} is ${h} here but ${expected} in the model ` +
            `(categorical hashing disagrees with CatBoost)`,
        );
      }
    }
  }

  const requireFloat = (idx: number, what: string) => {
    if (!floatByIndex.has(idx)) fail(`${what} refers to unknown float feature_index ${idx}`);
    return idx;
  };
  const requireCat = (idx: number, what: string) => {
    if (!catByIndex.has(idx)) fail(`${what} refers to unknown categorical feature_index ${idx}`);
    return idx;
  };

  // CTR tables
  const tablesByKey = new Map<string, CompiledTable>();
  const tablesByCanonical = new Map<string, CompiledTable>();
  const tableTypeByKey = new Map<CompiledTable, string>();
  const ctrData = json.ctr_data;
  if (ctrData !== undefined && ctrData !== null) {
    if (!isObject(ctrData)) fail("ctr_data must be an object");
    for (const [key, rawTable] of Object.entries(ctrData)) {
      if (!isObject(rawTable)) fail(`ctr_data[${key}] must be an object`);
      const stride = int(rawTable.hash_stride, `ctr_data[${key}].hash_stride`);
      if (stride < 2) fail(`ctr_data[${key}].hash_stride must be at least 2`);
      const hashMap = arr(rawTable.hash_map, `ctr_data[${key}].hash_map`);
      if (hashMap.length % stride !== 0)
        fail(`ctr_data[${key}].hash_map length is not a multiple of hash_stride`);
      const index = new Map<bigint, number>();
      const values: number[] = [];
      for (let p = 0, entry = 0; p < hashMap.length; p += stride, entry++) {
        const h = hashMap[p];
        let hash: bigint;
        try {
          if (typeof h !== "string" && typeof h !== "number") throw new Error();
          hash = BigInt(h);
        } catch {
          fail(`ctr_data[${key}].hash_map[${p}] is not a hash (${JSON.stringify(h)})`);
        }
        if (hash < 0n || hash > 0xffffffffffffffffn)
          fail(`ctr_data[${key}].hash_map[${p}] is out of ui64 range`);
        if (index.has(hash)) fail(`ctr_data[${key}] lists hash ${hash} twice`);
        index.set(hash, entry);
        for (let j = 1; j < stride; j++)
          values.push(num(hashMap[p + j], `ctr_data[${key}].hash_map[${p + j}]`));
      }
      const counterDenominator =
        rawTable.counter_denominator === undefined
          ? 0
          : num(rawTable.counter_denominator, "counter_denominator");
      const table: CompiledTable = { index, values, stride: stride - 1, counterDenominator };
      tablesByKey.set(key, table);
      const canon = canonicalFromIdentifier(key);
      if (canon !== undefined) tablesByCanonical.set(canon, table);
      let type = "";
      try {
        const parsed: unknown = JSON.parse(key);
        if (isObject(parsed) && typeof parsed.type === "string") type = parsed.type;
      } catch {
        /* key is not JSON; matched by exact string only */
      }
      tableTypeByKey.set(table, type);
    }
  }

  // CTR features
  const projections: Projection[] = [];
  const projectionByKey = new Map<string, number>();
  const ctrs: CompiledCtr[] = [];
  const ctrBorders: number[][] = [];
  for (const [i, raw] of arr(info.ctrs ?? [], "features_info.ctrs").entries()) {
    const what = `ctrs[${i}]`;
    if (!isObject(raw)) fail(`${what} must be an object`);
    const type = raw.ctr_type;
    if (typeof type !== "string" || !(CTR_TYPES as readonly string[]).includes(type)) {
      fail(`${what}.ctr_type ${JSON.stringify(type)} is not supported`);
    }
    const proj: Projection = { cats: [], binary: [] };
    const floats: Projection["binary"] = [];
    const exacts: Projection["binary"] = [];
    for (const [j, el] of arr(raw.elements, `${what}.elements`).entries()) {
      if (!isObject(el)) fail(`${what}.elements[${j}] must be an object`);
      const ew = `${what}.elements[${j}]`;
      switch (el.combination_element) {
        case "cat_feature_value":
          proj.cats.push(requireCat(int(el.cat_feature_index, `${ew}.cat_feature_index`), ew));
          break;
        case "float_feature":
          floats.push({
            kind: "float",
            feature: requireFloat(int(el.float_feature_index, `${ew}.float_feature_index`), ew),
            border: f32(num(el.border, `${ew}.border`)),
          });
          break;
        case "cat_feature_exact_value":
          exacts.push({
            kind: "onehot",
            cat: requireCat(int(el.cat_feature_index, `${ew}.cat_feature_index`), ew),
            value: int(el.value, `${ew}.value`) | 0,
          });
          break;
        default:
          fail(`${ew}.combination_element ${JSON.stringify(el.combination_element)} is not supported`);
      }
    }
    if (proj.cats.length === 0) fail(`${what} has no categorical element`);
    // CatBoost hashes categorical parts first, then binarized float splits, then one-hot parts.
    proj.binary = [...floats, ...exacts];
    const projKey = JSON.stringify(proj);
    let projection = projectionByKey.get(projKey);
    if (projection === undefined) {
      projection = projections.length;
      projections.push(proj);
      projectionByKey.set(projKey, projection);
    }
    const identifier = raw.identifier;
    let table = typeof identifier === "string" ? tablesByKey.get(identifier) : undefined;
    if (table === undefined) table = tablesByCanonical.get(canonicalCtrBase(raw.elements, type));
    if (table === undefined) fail(`${what}: no table in ctr_data for ${String(identifier)}`);
    const tableType = tableTypeByKey.get(table);
    if (tableType !== "" && tableType !== type)
      fail(`${what}: ctr_data table type ${tableType} differs from ${type}`);
    const ctrType = type as CtrType;
    const targetBorderIdx = int(raw.target_border_idx ?? 0, `${what}.target_border_idx`);
    const expectedStride =
      ctrType === "Counter" || ctrType === "FeatureFreq"
        ? 1
        : ctrType === "BinarizedTargetMeanValue" || ctrType === "FloatTargetMeanValue"
          ? 2
          : undefined;
    if (expectedStride !== undefined && table.stride !== expectedStride) {
      fail(`${what}: ${ctrType} table must have hash_stride ${expectedStride + 1}, got ${table.stride + 1}`);
    }
    if (ctrType === "Borders" || ctrType === "Buckets") {
      if (table.stride < 2) fail(`${what}: ${ctrType} table needs at least 2 target classes`);
      if (targetBorderIdx < 0 || targetBorderIdx >= table.stride)
        fail(`${what}.target_border_idx out of range`);
    }
    ctrs.push({
      type: ctrType,
      projection,
      priorNum: f32(num(raw.prior_numerator ?? 0, `${what}.prior_numerator`)),
      priorDenom: f32(num(raw.prior_denomerator ?? 1, `${what}.prior_denomerator`)),
      shift: f32(num(raw.shift ?? 0, `${what}.shift`)),
      scale: f32(num(raw.scale ?? 1, `${what}.scale`)),
      targetBorderIdx,
      table,
    });
    ctrBorders.push(
      arr(raw.borders ?? [], `${what}.borders`).map((b, j) => f32(num(b, `${what}.borders[${j}]`))),
    );
  }

  // CatBoost's list of binary features, in the order `split_index` refers to: every border of every
  // float feature, every one-hot value, every border of every CTR.
  const binFeatures: Cond[] = [];
  for (const idx of floatOrder) {
    for (const b of floatBorders.get(idx)!) binFeatures.push({ kind: "float", feature: idx, border: b });
  }
  for (const oh of oneHot)
    for (const v of oh.values) binFeatures.push({ kind: "onehot", cat: oh.cat, value: v });
  ctrBorders.forEach((borders, c) => {
    for (const b of borders) binFeatures.push({ kind: "ctr", ctr: c, border: b });
  });

  const compileSplit = (raw: unknown, what: string): Cond => {
    if (!isObject(raw)) fail(`${what} must be an object`);
    switch (raw.split_type) {
      case "FloatFeature":
        return {
          kind: "float",
          feature: requireFloat(int(raw.float_feature_index, `${what}.float_feature_index`), what),
          border: f32(num(raw.border, `${what}.border`)),
        };
      case "OneHotFeature":
        return {
          kind: "onehot",
          cat: requireCat(int(raw.cat_feature_index, `${what}.cat_feature_index`), what),
          value: int(raw.value, `${what}.value`) | 0,
        };
      case "OnlineCtr": {
        const border = f32(num(raw.border, `${what}.border`));
        const target = int(raw.ctr_target_border_idx ?? 0, `${what}.ctr_target_border_idx`);
        const matches = (c: Cond | undefined): c is Extract<Cond, { kind: "ctr" }> =>
          c !== undefined &&
          c.kind === "ctr" &&
          c.border === border &&
          ctrs[c.ctr]!.targetBorderIdx === target;
        if (raw.split_index !== undefined) {
          const bf = binFeatures[int(raw.split_index, `${what}.split_index`)];
          if (matches(bf)) return bf;
        }
        // Fall back to the unique CTR with this border and target border index.
        const candidates = binFeatures.filter(matches);
        if (candidates.length === 1) return candidates[0]!;
        fail(
          `${what}: cannot tell which CTR this split uses (split_index ${String(raw.split_index)}, border ${border}; ` +
            `${candidates.length} candidates)`,
        );
        break;
      }
      default:
        fail(`${what}.split_type ${JSON.stringify(raw.split_type)} is not supported`);
    }
  };

  // Trees
  let dimension = 0;
  const setDimension = (d: number, what: string) => {
    if (!Number.isInteger(d) || d < 1) fail(`${what}: leaf values do not form whole dimensions`);
    if (dimension === 0) dimension = d;
    else if (dimension !== d) fail(`${what}: dimension ${d} differs from ${dimension}`);
  };
  const condList: Cond[] = [];
  const condIds = new Map<string, number>();
  const intern = (c: Cond): number => {
    const k = condKey(c);
    let id = condIds.get(k);
    if (id === undefined) {
      id = condList.length;
      condList.push(c);
      condIds.set(k, id);
    }
    return id;
  };
  const oblivious: ObliviousTree[] = [];
  const leafValues: number[] = [];
  const nodeTrees: NodeTree[] = [];
  if (json.oblivious_trees !== undefined && json.trees !== undefined)
    fail("has both oblivious_trees and trees");
  if (json.oblivious_trees !== undefined) {
    for (const [t, raw] of arr(json.oblivious_trees, "oblivious_trees").entries()) {
      const what = `oblivious_trees[${t}]`;
      if (!isObject(raw)) fail(`${what} must be an object`);
      const splits = arr(raw.splits ?? [], `${what}.splits`);
      if (splits.length > 30) fail(`${what} is deeper than 30`);
      const leaves = arr(raw.leaf_values, `${what}.leaf_values`).map((v, j) =>
        num(v, `${what}.leaf_values[${j}]`),
      );
      const nLeaves = 2 ** splits.length;
      setDimension(leaves.length / nLeaves, what);
      oblivious.push({
        conds: Int32Array.from(splits, (s, d) => intern(compileSplit(s, `${what}.splits[${d}]`))),
        leafOffset: leafValues.length,
      });
      for (const v of leaves) leafValues.push(v);
    }
  } else if (json.trees !== undefined) {
    const compileNode = (raw: unknown, what: string, depth: number): NodeTree => {
      if (depth > 64) fail(`${what}: tree deeper than 64`);
      if (!isObject(raw)) fail(`${what} must be an object`);
      if (raw.value !== undefined) {
        const leaf = Array.isArray(raw.value)
          ? raw.value.map((v, j) => num(v, `${what}.value[${j}]`))
          : [num(raw.value, `${what}.value`)];
        setDimension(leaf.length, what);
        return { leaf };
      }
      return {
        cond: intern(compileSplit(raw.split, `${what}.split`)),
        left: compileNode(raw.left, `${what}.left`, depth + 1),
        right: compileNode(raw.right, `${what}.right`, depth + 1),
      };
    };
    for (const [t, raw] of arr(json.trees, "trees").entries())
      nodeTrees.push(compileNode(raw, `trees[${t}]`, 0));
  } else {
    fail("has neither oblivious_trees nor trees");
  }
  if (dimension === 0) dimension = 1;

  // Scale and bias
  let scale = 1;
  let bias = new Array<number>(dimension).fill(0);
  if (json.scale_and_bias !== undefined && json.scale_and_bias !== null) {
    const sb = arr(json.scale_and_bias, "scale_and_bias");
    scale = num(sb[0], "scale_and_bias[0]");
    const b = sb[1] === undefined ? [] : Array.isArray(sb[1]) ? sb[1] : [sb[1]];
    if (b.length !== 0) {
      if (b.length !== dimension) fail(`scale_and_bias has ${b.length} biases for dimension ${dimension}`);
      bias = b.map((v, j) => num(v, `scale_and_bias[1][${j}]`));
    }
  }

  let lossFunction: string | undefined;
  const mi = json.model_info;
  if (isObject(mi) && isObject(mi.params) && isObject(mi.params.loss_function)) {
    const t = mi.params.loss_function.type;
    if (typeof t === "string") lossFunction = t;
  }

  const categoricalIndices = [...catByIndex.values()].sort((a, b) => a - b);
  return new Evaluator({
    featureCount,
    categoricalIndices,
    featureNames,
    kinds,
    dimension,
    scale,
    bias,
    lossFunction,
    floatByIndex,
    catByIndex,
    catOrder,
    projections,
    ctrs,
    condList,
    oblivious,
    leafValues,
    nodeTrees,
    hashCacheSize: options.hashCacheSize ?? 4096,
  });
}

// ---------------------------------------------------------------------------------------------------
// Evaluator

interface EvaluatorParts {
  featureCount: number;
  categoricalIndices: number[];
  featureNames: Array<string | undefined>;
  kinds: Map<number, "float" | "cat">;
  dimension: number;
  scale: number;
  bias: number[];
  lossFunction: string | undefined;
  floatByIndex: Map<number, FloatInfo>;
  catByIndex: Map<number, number>;
  catOrder: number[];
  projections: Projection[];
  ctrs: CompiledCtr[];
  condList: Cond[];
  oblivious: ObliviousTree[];
  leafValues: number[];
  nodeTrees: NodeTree[];
  hashCacheSize: number;
}

/** Per-row scratch state: lazily computed hashes and CTR values. */
interface RowState {
  row: ReadonlyArray<FeatureValue>;
  catHash: Map<number, number>;
  projKey: Map<number, bigint>;
  ctrValue: Map<number, number>;
}

class Evaluator implements CatBoostModel {
  readonly featureCount: number;
  readonly categoricalIndices: readonly number[];
  readonly featureNames: ReadonlyArray<string | undefined>;
  readonly dimension: number;
  readonly treeCount: number;
  readonly lossFunction: string | undefined;
  readonly usesCategorical: boolean;
  private readonly p: EvaluatorParts;
  private readonly hashCache = new Map<string, number>();
  // flat, typed copies for the hot loops
  private readonly floatFlat: Int32Array;
  private readonly floatNanTrue: Uint8Array;
  private readonly treeDepth: Uint8Array;
  private readonly treeConds: Int32Array;
  private readonly treeLeafOffset: Int32Array;
  private readonly leaves: Float64Array;

  constructor(p: EvaluatorParts) {
    this.p = p;
    this.featureCount = p.featureCount;
    this.categoricalIndices = p.categoricalIndices;
    this.featureNames = p.featureNames;
    this.dimension = p.dimension;
    this.treeCount = p.oblivious.length + p.nodeTrees.length;
    this.lossFunction = p.lossFunction;
    this.usesCategorical = p.catByIndex.size > 0;
    const maxFloat = Math.max(-1, ...p.floatByIndex.keys());
    this.floatFlat = new Int32Array(maxFloat + 1).fill(-1);
    this.floatNanTrue = new Uint8Array(maxFloat + 1);
    for (const [idx, info] of p.floatByIndex) {
      this.floatFlat[idx] = info.flat;
      this.floatNanTrue[idx] = info.nanTrue ? 1 : 0;
    }
    this.treeDepth = Uint8Array.from(p.oblivious, (t) => t.conds.length);
    this.treeConds = Int32Array.from(p.oblivious.flatMap((t) => Array.from(t.conds)));
    this.treeLeafOffset = Int32Array.from(p.oblivious, (t) => t.leafOffset);
    this.leaves = Float64Array.from(p.leafValues);
  }

  private hashString(s: string): number {
    const cached = this.hashCache.get(s);
    if (cached !== undefined) return cached;
    const h = catFeatureHash(s);
    if (this.p.hashCacheSize > 0) {
      if (this.hashCache.size >= this.p.hashCacheSize) this.hashCache.clear();
      this.hashCache.set(s, h);
    }
    return h;
  }

  private checkRow(row: ReadonlyArray<FeatureValue>): void {
    if (!Array.isArray(row)) throw new CatBoostInputError("CatBoost input: a row must be an array");
    if (row.length < this.featureCount) {
      throw new CatBoostInputError(
        `CatBoost input: row has ${row.length} features, the model reads ${this.featureCount}`,
      );
    }
  }

  private floatValue(st: RowState, feature: number): number {
    const flat = this.floatFlat[feature]!;
    const v = st.row[flat];
    if (typeof v !== "number") {
      throw new CatBoostInputError(
        `CatBoost input: feature ${flat}${this.nameOf(flat)} is numeric but got ${JSON.stringify(v)}`,
      );
    }
    return f32(v);
  }

  private nameOf(flat: number): string {
    const n = this.p.featureNames[flat];
    return n === undefined ? "" : ` (${n})`;
  }

  private floatTrue(st: RowState, feature: number, border: number): boolean {
    const v = this.floatValue(st, feature);
    if (v !== v) return this.floatNanTrue[feature] === 1;
    return v > border;
  }

  private catHash(st: RowState, cat: number): number {
    let h = st.catHash.get(cat);
    if (h !== undefined) return h;
    const flat = this.p.catByIndex.get(cat)!;
    const v = st.row[flat];
    let s: string;
    if (typeof v === "string") s = v;
    else if (typeof v === "number" && Number.isSafeInteger(v)) s = String(v);
    else {
      throw new CatBoostInputError(
        `CatBoost input: feature ${flat}${this.nameOf(flat)} is categorical and needs a string (got ${JSON.stringify(v)})`,
      );
    }
    h = this.hashString(s);
    st.catHash.set(cat, h);
    return h;
  }

  private projectionKey(st: RowState, projection: number): bigint {
    let key = st.projKey.get(projection);
    if (key !== undefined) return key;
    const proj = this.p.projections[projection]!;
    key = 0n;
    for (const cat of proj.cats) key = ctrHashStep(key, catHashAsCtrInput(this.catHash(st, cat)));
    for (const b of proj.binary) {
      const bit =
        b.kind === "float"
          ? this.floatTrue(st, b.feature, b.border)
          : (this.catHash(st, b.cat) | 0) === b.value;
      key = ctrHashStep(key, bit ? 1n : 0n);
    }
    st.projKey.set(projection, key);
    return key;
  }

  private ctrValue(st: RowState, c: number): number {
    let v = st.ctrValue.get(c);
    if (v !== undefined) return v;
    const ctr = this.p.ctrs[c]!;
    const t = ctr.table;
    const entry = t.index.get(this.projectionKey(st, ctr.projection));
    let good = 0;
    let total = 0;
    switch (ctr.type) {
      case "BinarizedTargetMeanValue":
      case "FloatTargetMeanValue":
        if (entry !== undefined) {
          good = t.values[entry * 2]!;
          total = t.values[entry * 2 + 1]!;
        }
        break;
      case "Counter":
      case "FeatureFreq":
        total = t.counterDenominator;
        if (entry !== undefined) good = t.values[entry]!;
        break;
      case "Buckets":
        if (entry !== undefined) {
          const base = entry * t.stride;
          good = t.values[base + ctr.targetBorderIdx]!;
          for (let k = 0; k < t.stride; k++) total += t.values[base + k]!;
        }
        break;
      case "Borders":
        if (entry !== undefined) {
          const base = entry * t.stride;
          if (t.stride === 2) {
            good = t.values[base + 1]!;
            total = t.values[base]! + good;
          } else {
            for (let k = 0; k <= ctr.targetBorderIdx; k++) total += t.values[base + k]!;
            for (let k = ctr.targetBorderIdx + 1; k < t.stride; k++) good += t.values[base + k]!;
            total += good;
          }
        }
        break;
    }
    // float32 arithmetic, as CatBoost's TModelCtr::Calc.
    const ratio = f32(f32(f32(good) + ctr.priorNum) / f32(f32(total) + ctr.priorDenom));
    v = f32(f32(ratio + ctr.shift) * ctr.scale);
    st.ctrValue.set(c, v);
    return v;
  }

  private cond(st: RowState, c: Cond): boolean {
    switch (c.kind) {
      case "float":
        return this.floatTrue(st, c.feature, c.border);
      case "onehot":
        return (this.catHash(st, c.cat) | 0) === c.value;
      case "ctr":
        return this.ctrValue(st, c.ctr) > c.border;
    }
  }

  predictRawMulti(row: ReadonlyArray<FeatureValue>): number[] {
    this.checkRow(row);
    const st: RowState = { row, catHash: new Map(), projKey: new Map(), ctrValue: new Map() };
    const dim = this.dimension;
    const sums = new Float64Array(dim);
    const condList = this.p.condList;
    const bits = new Uint8Array(condList.length);
    for (let i = 0; i < condList.length; i++) bits[i] = this.cond(st, condList[i]!) ? 1 : 0;
    const { treeDepth, treeConds, treeLeafOffset, leaves } = this;
    const nTrees = treeDepth.length;
    let c = 0;
    if (dim === 1) {
      let sum = 0;
      for (let t = 0; t < nTrees; t++) {
        const depth = treeDepth[t]!;
        let index = 0;
        for (let d = 0; d < depth; d++) index |= bits[treeConds[c++]!]! << d;
        sum += leaves[treeLeafOffset[t]! + index]!;
      }
      sums[0] = sum;
    } else {
      for (let t = 0; t < nTrees; t++) {
        const depth = treeDepth[t]!;
        let index = 0;
        for (let d = 0; d < depth; d++) index |= bits[treeConds[c++]!]! << d;
        const base = treeLeafOffset[t]! + index * dim;
        for (let k = 0; k < dim; k++) sums[k]! += leaves[base + k]!;
      }
    }
    for (const tree of this.p.nodeTrees) {
      let node = tree;
      while ("cond" in node) node = bits[node.cond] ? node.right : node.left;
      for (let k = 0; k < dim; k++) sums[k]! += node.leaf[k]!;
    }
    return Array.from(sums, (s, k) => this.p.scale * s + this.p.bias[k]!);
  }

  predictRaw(row: ReadonlyArray<FeatureValue>): number {
    if (this.dimension !== 1) {
      throw new CatBoostInputError(
        `CatBoost: predictRaw needs a 1-dimensional model (this one has ${this.dimension})`,
      );
    }
    return this.predictRawMulti(row)[0]!;
  }

  predictProbability(row: ReadonlyArray<FeatureValue>): number {
    const lf = this.lossFunction;
    if (lf !== undefined && lf !== "Logloss" && lf !== "CrossEntropy") {
      throw new CatBoostInputError(
        `CatBoost: predictProbability needs a Logloss model (this one uses ${lf})`,
      );
    }
    return sigmoid(this.predictRaw(row));
  }

  predictRawBatch(rows: ReadonlyArray<ReadonlyArray<FeatureValue>>): Float64Array {
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = this.predictRaw(rows[i]!);
    return out;
  }

  predictProbabilityBatch(rows: ReadonlyArray<ReadonlyArray<FeatureValue>>): Float64Array {
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = this.predictProbability(rows[i]!);
    return out;
  }

  /** @internal kinds by flat index, for checkManifestFeatures. */
  kindAt(flat: number): "float" | "cat" | undefined {
    return this.p.kinds.get(flat);
  }
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

// ---------------------------------------------------------------------------------------------------
// Manifest cross-check

/**
 * Checks that the manifest's feature list agrees with the model: same length (at least what the model
 * reads), categorical exactly where the model has categorical features, and the same names where the
 * model carries names. Throws CatBoostModelError naming the first disagreement.
 */
export function checkManifestFeatures(model: CatBoostModel, features: readonly FeatureSpec[]): void {
  if (features.length < model.featureCount) {
    fail(`the manifest lists ${features.length} features, the model reads ${model.featureCount}`);
  }
  const cats = new Set(model.categoricalIndices);
  features.forEach((f, i) => {
    const modelCat = cats.has(i);
    if (modelCat !== (f.kind === "categorical")) {
      fail(
        `feature ${i} (${f.name}) is ${f.kind} in the manifest but ${modelCat ? "categorical" : "numeric"} in the model`,
      );
    }
    const name = model.featureNames[i];
    if (name !== undefined && name !== f.name)
      fail(`feature ${i} is ${f.name} in the manifest but ${name} in the model`);
  });
}

// ---------------------------------------------------------------------------------------------------
// Check files

export interface CheckRow {
  features: FeatureValue[];
  probability: number;
  /** Optional raw score, when the producer wrote it. */
  raw?: number;
}

/** Parses a JSON Lines check file: one `{features: [...], probability}` object per line. */
export function parseCheckFile(text: string): CheckRow[] {
  const rows: CheckRow[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new CatBoostModelError(`check file line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    if (!isObject(obj) || !Array.isArray(obj.features) || typeof obj.probability !== "number") {
      throw new CatBoostModelError(
        `check file line ${i + 1}: expected {features: [...], probability: number}`,
      );
    }
    const features = obj.features.map((v, j) => {
      if (v === null) return NaN; // JSON has no NaN; writers use null for a missing numeric value
      if (typeof v !== "number" && typeof v !== "string") {
        throw new CatBoostModelError(
          `check file line ${i + 1}: features[${j}] must be a number, string or null`,
        );
      }
      return v;
    });
    const row: CheckRow = { features, probability: obj.probability };
    if (typeof obj.raw === "number") row.raw = obj.raw;
    rows.push(row);
  });
  return rows;
}

export interface CheckResult {
  rows: number;
  maxAbsDiff: number;
}

/**
 * Scores every check row and compares with the probability CatBoost itself computed (and the raw score,
 * when present). Throws CheckFileMismatchError on the first row off by more than `tol`.
 */
export function verifyCheckFile(model: CatBoostModel, rows: readonly CheckRow[], tol = 1e-6): CheckResult {
  if (rows.length === 0) throw new CatBoostModelError("check file has no rows");
  let maxAbsDiff = 0;
  rows.forEach((r, i) => {
    const raw = model.predictRaw(r.features);
    const p = sigmoid(raw);
    const d = Math.abs(p - r.probability);
    if (!(d <= tol)) {
      throw new CheckFileMismatchError(
        `check file row ${i}: probability ${p} differs from CatBoost's ${r.probability} by ${d} (tolerance ${tol})`,
        i,
        r.probability,
        p,
      );
    }
    maxAbsDiff = Math.max(maxAbsDiff, d);
    if (r.raw !== undefined) {
      const dr = Math.abs(raw - r.raw);
      if (!(dr <= tol)) {
        throw new CheckFileMismatchError(
          `check file row ${i}: raw score ${raw} differs from CatBoost's ${r.raw} by ${dr} (tolerance ${tol})`,
          i,
          r.raw,
          raw,
        );
      }
      maxAbsDiff = Math.max(maxAbsDiff, dr);
    }
  });
  return { rows: rows.length, maxAbsDiff };
}
