/**
 * The revertrisk-multilingual classifier input (models/README.md, in training order),
 * as manifest FeatureSpecs, and the 47 training wikis.
 */
import type { FeatureSpec } from "../shared/model/bundle.ts";
import { CONTENT_TYPES, EDIT_ACTIONS, TAG_FEATURES, USER_GROUPS } from "../shared/featurize/featurizer.ts";
import { ENCODER_FEATURES } from "../shared/model/revertrisk-model.ts";

export { CONTENT_TYPES, EDIT_ACTIONS } from "../shared/featurize/featurizer.ts";

export const TAG_FLAGS = Object.keys(TAG_FEATURES);
export const USER_GROUP_FLAGS = USER_GROUPS.map((g) => `is_${g}`);

/** The 47 wikis (language codes) revertrisk-multilingual was trained on. */
export const SUPPORTED_WIKIS =
  "ka lv ta ur eo lt sl hy hr sk eu et ms az da bg sr ro el th bn no hi ca hu ko fi vi uz sv cs he id tr uk nl pl ar fa it zh ru es ja de fr en".split(
    " ",
  );

const TAG_ENCODING = { true: "1", false: "0" };
const USER_ENCODING = { true: "True", false: "False" };

/** The 137 features in training order; 23 categorical. */
export function rrmlFeatures(): FeatureSpec[] {
  const f: FeatureSpec[] = [];
  f.push({ name: "wiki_db", kind: "categorical" });
  f.push({ name: "revision_text_bytes_diff", kind: "numeric" });
  for (const name of TAG_FLAGS) f.push({ name, kind: "categorical", encoding: TAG_ENCODING });
  for (const t of CONTENT_TYPES) for (const a of EDIT_ACTIONS) f.push({ name: `${a}_${t}`, kind: "numeric" });
  for (const name of ENCODER_FEATURES) f.push({ name, kind: "numeric" });
  for (const name of USER_GROUP_FLAGS) f.push({ name, kind: "categorical", encoding: USER_ENCODING });
  f.push({ name: "is_anonymous", kind: "categorical", encoding: USER_ENCODING });
  return f;
}
