/**
 * The revert-risk model (RevertRiskModel): runs the four encoders over all texts of all items of a batch (one encoder call
 * per encoder per batch), pools their outputs exactly as the revertrisk-multilingual model does
 * (docs/mlcore.md), assembles the classifier row in manifest order and applies the classifier.
 */
import type { EncoderName, Manifest } from "./bundle.ts";
import type { FeatureValue, FeaturizedRevision, ModelOutput } from "./model-input.ts";

/** Runs one encoder over texts (single-text encoders) or pairs (the change encoder); one output row per input. */
export type EncodeFn = (
  encoder: EncoderName,
  inputs: ReadonlyArray<string> | ReadonlyArray<readonly [string, string]>,
) => Promise<ArrayLike<number>[]>;

export interface Classifier {
  /** Probability of the positive class ("reverted") for one row in manifest feature order. */
  predictProbability(row: ReadonlyArray<FeatureValue>): number;
}

export interface RevisionScore extends ModelOutput {
  /** The classifier row, by feature name (manifest order), for `?features=true`. */
  features: Record<string, FeatureValue>;
}

const POOL_SUFFIXES = [
  "s0_max",
  "s1_max",
  "p0_max",
  "p1_max",
  "s0_mean",
  "s1_mean",
  "p0_mean",
  "p1_mean",
] as const;
const LISTS = ["insert", "remove", "change"] as const;

/** Names of the features the model computes from the encoders. */
export const ENCODER_FEATURES: readonly string[] = [
  ...LISTS.flatMap((l) => POOL_SUFFIXES.map((s) => `bert_${l}_${s}`)),
  "bert_title_score",
];

/** [s0, s1, p0, p1] for two logits, with a numerically stable softmax. */
export function logitRow(s0: number, s1: number): [number, number, number, number] {
  const m = Math.max(s0, s1);
  const e0 = Math.exp(s0 - m);
  const e1 = Math.exp(s1 - m);
  const z = e0 + e1;
  return [s0, s1, e0 / z, e1 / z];
}

/** Per-column max and mean of the [s0, s1, p0, p1] rows; eight −1 for an empty list (docs/mlcore.md). */
export function poolRows(rows: ReadonlyArray<readonly number[]>): number[] {
  if (rows.length === 0) return new Array(8).fill(-1);
  const max = [-Infinity, -Infinity, -Infinity, -Infinity];
  const sum = [0, 0, 0, 0];
  for (const r of rows) {
    for (let c = 0; c < 4; c++) {
      if (r[c]! > max[c]!) max[c] = r[c]!;
      sum[c]! += r[c]!;
    }
  }
  return [...max, ...sum.map((s) => s / rows.length)];
}

export class RevertRiskModel {
  readonly manifest: Manifest;
  private readonly encode: EncodeFn;
  private readonly classifier: Classifier;

  constructor(manifest: Manifest, encode: EncodeFn, classifier: Classifier) {
    this.manifest = manifest;
    this.encode = encode;
    this.classifier = classifier;
    const names = new Set(manifest.features.map((f) => f.name));
    const missing = ENCODER_FEATURES.filter((n) => !names.has(n));
    if (missing.length > 0)
      throw new Error(`manifest.json: features lack the encoder features ${missing.join(", ")}`);
  }

  /** Scores a batch of items; texts of all items share one encoder call per encoder. */
  async score(items: ReadonlyArray<FeaturizedRevision>): Promise<RevisionScore[]> {
    const encoderValues = await this.encoderFeatures(items);
    return items.map((item, i) => {
      const features: Record<string, FeatureValue> = {};
      const row: FeatureValue[] = [];
      for (const spec of this.manifest.features) {
        let v: FeatureValue | undefined = encoderValues[i]!.get(spec.name) ?? item.values[spec.name];
        if (v === undefined) throw new Error(`feature "${spec.name}" is missing from the featurized item`);
        if (spec.kind === "numeric" && typeof v !== "number")
          throw new Error(`feature "${spec.name}" is numeric but got ${JSON.stringify(v)}`);
        if (spec.kind === "categorical") v = String(v);
        features[spec.name] = v;
        row.push(v);
      }
      const p = this.classifier.predictProbability(row);
      return {
        prediction: p > this.manifest.threshold,
        probabilities: { true: p, false: 1 - p },
        features,
      };
    });
  }

  private async encoderFeatures(items: ReadonlyArray<FeaturizedRevision>): Promise<Map<string, number>[]> {
    const out = items.map(() => new Map<string, number>());

    // Title regression: raw value; a missing title is −1.
    const titled = items.flatMap((it, i) => (it.title ? [i] : []));
    const titleOut = titled.length
      ? await this.encode(
          "title",
          titled.map((i) => items[i]!.title),
        )
      : [];
    items.forEach((_, i) => out[i]!.set("bert_title_score", -1));
    titled.forEach((i, k) => out[i]!.set("bert_title_score", Number(titleOut[k]![0])));

    for (const list of LISTS) {
      const owners: number[] = [];
      const inputs: Array<string | readonly [string, string]> = [];
      items.forEach((it, i) => {
        const texts = list === "insert" ? it.inserts : list === "remove" ? it.removes : it.changes;
        for (const t of texts) {
          owners.push(i);
          inputs.push(t);
        }
      });
      const rows = items.map(() => [] as number[][]);
      if (inputs.length) {
        const logits = await this.encode(list, inputs as string[] | Array<[string, string]>);
        if (logits.length !== inputs.length)
          throw new Error(`${list} encoder returned ${logits.length} rows for ${inputs.length} inputs`);
        logits.forEach((l, k) => rows[owners[k]!]!.push(logitRow(Number(l[0]), Number(l[1]))));
      }
      rows.forEach((r, i) => {
        const pooled = poolRows(r);
        POOL_SUFFIXES.forEach((s, c) => out[i]!.set(`bert_${list}_${s}`, pooled[c]!));
      });
    }
    return out;
  }
}
