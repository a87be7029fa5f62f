/**
 * Model bundle format (see models/README.md): a directory with `manifest.json`, four ONNX encoders,
 * their tokenizer(s), and the CatBoost classifier in CatBoost's JSON export format. The manifest is the
 * single owner of the model's input conventions: feature order, which features are categorical and the
 * exact strings a categorical value is encoded as.
 */
import { z } from "zod";
import { THRESHOLD_FIELDS, type ClassifierStatistics } from "./statistics.ts";

export const ENCODER_NAMES = ["title", "insert", "remove", "change"] as const;
export type EncoderName = (typeof ENCODER_NAMES)[number];

export const EncoderSpec = z.object({
  /** ONNX file, relative to the bundle directory. Inputs input_ids, attention_mask, token_type_ids (int64). */
  onnx: z.string().min(1),
  /** Optional dynamically quantized (int8) variant of the same encoder. */
  onnx_int8: z.string().min(1).optional(),
  /** tokenizer.json (Hugging Face tokenizers format), relative to the bundle directory. */
  tokenizer: z.string().min(1),
  /** "single" text or text "pair" ([CLS] a [SEP] b [SEP]). */
  input: z.enum(["single", "pair"]),
  /** "regression" (1 output, raw value) or "classification" (2 logits, label order). */
  task: z.enum(["regression", "classification"]),
  num_outputs: z.number().int().positive(),
  /** ONNX output name holding the logits. */
  output: z.string().default("logits"),
  max_length: z.number().int().positive().max(4096).default(512),
});
export type EncoderSpec = z.infer<typeof EncoderSpec>;

/** How a boolean is written for a categorical feature, e.g. {true: "1", false: "0"} or {true: "True", false: "False"}. */
export const BooleanEncoding = z.object({ true: z.string(), false: z.string() });

export const FeatureSpec = z.object({
  name: z.string().min(1),
  kind: z.enum(["numeric", "categorical"]),
  /** For boolean categorical features: the exact strings CatBoost was trained on. */
  encoding: BooleanEncoding.optional(),
});
export type FeatureSpec = z.infer<typeof FeatureSpec>;

const perLabel = <T extends z.ZodType>(t: T) => z.object({ true: t, false: t });
const stat = z.number().nullable();
const fieldsOf = <T extends z.ZodType>(t: T) =>
  Object.fromEntries(THRESHOLD_FIELDS.map((f) => [f, t])) as Record<(typeof THRESHOLD_FIELDS)[number], T>;
const count = z.number().nonnegative();

/** Evaluation statistics of one population (shared/model/statistics.ts computes them). */
export const ClassifierStatisticsSchema = z.object({
  counts: z.object({
    n: z.number().int().positive(),
    labels: perLabel(z.number().int().nonnegative()),
    predictions: perLabel(perLabel(z.number().int().nonnegative())),
  }),
  rates: z.object({ sample: perLabel(count), population: perLabel(count) }),
  default_threshold: z.number().min(0).max(1),
  ...fieldsOf(perLabel(stat)),
  roc_auc: perLabel(stat),
  pr_auc: perLabel(stat),
  thresholds: perLabel(z.array(z.object({ threshold: z.number(), ...fieldsOf(stat) }))),
}) satisfies z.ZodType<ClassifierStatistics>;

/** What `revrisk evaluate` writes into the manifest: the labelled set, overall and per-wiki statistics. */
export const ModelStatistics = z.object({
  dataset: z.object({
    /** What the labelled set is (source, period, sampling); for the fixture: that it means nothing. */
    description: z.string(),
    /** Labelled examples scored (examples that could not be scored are left out and counted). */
    n: z.number().int().positive(),
    unscored: z.number().int().nonnegative().default(0),
    /** When the statistics were computed (ISO 8601). */
    computed: z.string(),
  }),
  overall: ClassifierStatisticsSchema,
  /** By language code; wikis with fewer labelled examples than evaluate's minimum are left out. */
  per_wiki: z.record(z.string(), ClassifierStatisticsSchema).default({}),
});
export type ModelStatistics = z.infer<typeof ModelStatistics>;

export const Manifest = z.object({
  format: z.literal("revrisk-bundle/1"),
  model_name: z.string().min(1),
  model_version: z.string().min(1),
  /** prediction = probability > threshold. */
  threshold: z.number().min(0).max(1),
  /** Language codes of the wikis the model was trained on (e.g. "en", "de"). */
  supported_wikis: z.array(z.string().min(1)).min(1),
  encoders: z.object({
    title: EncoderSpec,
    insert: EncoderSpec,
    remove: EncoderSpec,
    change: EncoderSpec,
  }),
  classifier: z.object({
    format: z.literal("catboost-json"),
    file: z.string().min(1),
    /** Optional JSON Lines file of {features: [...], probability} rows computed by CatBoost itself. */
    check_file: z.string().min(1).optional(),
  }),
  /** The classifier's input row, in order. */
  features: z.array(FeatureSpec).min(1),
  /** String used for a missing categorical value (training filled missing values with -1). */
  missing_categorical: z.string().default("-1"),
  /** Evaluation statistics (`revrisk evaluate`), served as ORES model_info and by the LiftWing API. */
  statistics: ModelStatistics.optional(),
});
export type Manifest = z.infer<typeof Manifest>;
