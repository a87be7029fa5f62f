/**
 * Evaluator for CatBoost models in CatBoost's JSON export format, written from CatBoost's documented
 * format and its reference appliers (catboost/catboost: `catboost/libs/model/model_export/json_model_helpers.cpp`,
 * `catboost/libs/model/cpu/quantization.h`, `catboost/libs/model/static_ctr_provider.cpp`,
 * `model_export/resources/*.py`): the compiled model form and its per-row evaluation. ./load.ts builds
 * it from the JSON. See docs/classifier.md.
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
import type { CtrType } from "./model-json.ts";

/** CatBoost compares float features and CTR values in float32. */
export const f32 = Math.fround;

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

export interface FloatInfo {
  flat: number;
  nanTrue: boolean;
}

export type Cond =
  | { kind: "float"; feature: number; border: number }
  | { kind: "onehot"; cat: number; value: number }
  | { kind: "ctr"; ctr: number; border: number };

export interface CompiledCtr {
  type: CtrType;
  projection: number; // index into projections
  priorNum: number;
  priorDenom: number;
  shift: number;
  scale: number;
  targetBorderIdx: number;
  table: CompiledTable;
}

export interface CompiledTable {
  index: Map<bigint, number>;
  values: number[];
  stride: number; // numbers per entry, excluding the hash
  counterDenominator: number;
}

export interface Projection {
  cats: number[]; // cat feature indices
  binary: Array<
    { kind: "float"; feature: number; border: number } | { kind: "onehot"; cat: number; value: number }
  >;
}

/** Split conditions are interned: each distinct condition is evaluated once per row. */
export interface ObliviousTree {
  conds: Int32Array; // indices into the condition list; split d sets bit d
  leafOffset: number;
}

export type NodeTree = { cond: number; left: NodeTree; right: NodeTree } | { leaf: number[] };

export function condKey(c: Cond): string {
  switch (c.kind) {
    case "float":
      return `f${c.feature}:${c.border}`;
    case "onehot":
      return `o${c.cat}:${c.value}`;
    case "ctr":
      return `c${c.ctr}:${c.border}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Evaluator

export interface EvaluatorParts {
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

export class Evaluator implements CatBoostModel {
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
