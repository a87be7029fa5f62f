/**
 * The 137-feature RRML input row in training order (the model's 137 inputs, models/README.md), with the categorical
 * encodings presumed in §5.5 (tag flags "1"/"0", user flags "True"/"False"). Test data only: the
 * authoritative list comes from the real model's manifest.
 */
import type { FeatureSpec } from "../../../shared/model/bundle.ts";

const CONTENT_TYPES = [
  "Argument", "Category", "Comment", "ExternalLink", "Gallery", "HTMLEntity", "Heading", "List", "Media",
  "Paragraph", "Punctuation", "Reference", "Section", "Sentence", "Table", "Table Element", "Template",
  "Text", "Text Formatting", "Whitespace", "Wikilink", "Word",
]; // prettier-ignore
const ACTIONS = ["change", "insert", "move", "remove"];
const BERT_SUFFIXES = ["s0_max", "s1_max", "p0_max", "p1_max", "s0_mean", "s1_mean", "p0_mean", "p1_mean"];
const GROUPS = [
  "editor", "trusted", "ipblock-exempt", "interface-admin", "sysop", "autoreview", "bureaucrat", "autopatrolled",
  "patroller", "rollbacker", "reviewer", "extendedconfirmed", "templateeditor", "uploader", "autoreviewer",
  "suppressredirect",
]; // prettier-ignore

const TAG = { true: "1", false: "0" };
const USER = { true: "True", false: "False" };

export const RRML_FEATURES: FeatureSpec[] = [
  { name: "wiki_db", kind: "categorical" },
  { name: "revision_text_bytes_diff", kind: "numeric" },
  ...["is_mobile_edit", "is_mobile_web_edit", "is_visualeditor", "is_wikieditor", "is_ios_app_edit"].map(
    (name): FeatureSpec => ({ name, kind: "categorical", encoding: TAG }),
  ),
  ...CONTENT_TYPES.flatMap((t) => ACTIONS.map((a): FeatureSpec => ({ name: `${a}_${t}`, kind: "numeric" }))),
  ...["insert", "remove", "change"].flatMap((l) =>
    BERT_SUFFIXES.map((s): FeatureSpec => ({ name: `bert_${l}_${s}`, kind: "numeric" })),
  ),
  { name: "bert_title_score", kind: "numeric" },
  ...GROUPS.map((g): FeatureSpec => ({ name: `is_${g}`, kind: "categorical", encoding: USER })),
  { name: "is_anonymous", kind: "categorical", encoding: USER },
];
