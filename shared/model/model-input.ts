/**
 * The contract between the featurizer and the revert-risk model: one featurized revision per revision to score.
 */

/** A feature value as the classifier receives it: numbers for numeric features, strings for categorical ones. */
export type FeatureValue = number | string;

export interface FeaturizedRevision {
  /**
   * Every non-encoder feature of the manifest, by name: wiki_db, revision_text_bytes_diff, the tag
   * flags, the 88 edit-type counts, the user-group flags, is_anonymous — already encoded as the manifest
   * says (categorical strings). The encoder features (bert_*) are computed by the model (shared/model/revertrisk-model.ts).
   */
  values: Record<string, FeatureValue>;
  /** Page title with "_" replaced by spaces; "" when unknown (the title feature is then -1). */
  title: string;
  /** Final encoder inputs (empty texts and unchanged pairs already dropped by the featurizer). */
  inserts: string[];
  removes: string[];
  changes: Array<[string, string]>;
}

export interface ModelOutput {
  prediction: boolean;
  probabilities: { true: number; false: number };
}
