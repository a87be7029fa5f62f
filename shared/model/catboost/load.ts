/**
 * Loads a CatBoost JSON export into the evaluator's compiled form (./evaluator.ts), validating
 * everything the evaluator relies on, and cross-checks a bundle manifest's feature list against it.
 */
import type { FeatureSpec } from "../bundle.ts";
import { catFeatureHash } from "./hash.ts";
import type { CtrType } from "./model-json.ts";
import {
  CatBoostModelError,
  Evaluator,
  condKey,
  f32,
  type CatBoostModel,
  type CompiledCtr,
  type CompiledTable,
  type Cond,
  type FloatInfo,
  type LoadOptions,
  type NodeTree,
  type ObliviousTree,
  type Projection,
} from "./evaluator.ts";

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

export function isObject(v: unknown): v is Record<string, unknown> {
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
