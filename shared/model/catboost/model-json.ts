/**
 * CatBoost's JSON export format (`save_model(format="json")`): the subset the evaluator reads
 * (CatBoost writes more keys, which are ignored). See docs/classifier.md.
 */
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
