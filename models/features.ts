/**
 * The revertrisk-multilingual classifier input (docs: shared reference rrml.md §5.1, training order),
 * as manifest FeatureSpecs, and the 47 training wikis (§5.6).
 */
import type { FeatureSpec } from "../shared/bundle.ts";

/** mwedittypes ContentType order (two names contain a space). */
export const CONTENT_TYPES = [
  "Argument",
  "Category",
  "Comment",
  "ExternalLink",
  "Gallery",
  "HTMLEntity",
  "Heading",
  "List",
  "Media",
  "Paragraph",
  "Punctuation",
  "Reference",
  "Section",
  "Sentence",
  "Table",
  "Table Element",
  "Template",
  "Text",
  "Text Formatting",
  "Whitespace",
  "Wikilink",
  "Word",
] as const;

export const EDIT_ACTIONS = ["change", "insert", "move", "remove"] as const;

export const TAG_FLAGS = [
  "is_mobile_edit",
  "is_mobile_web_edit",
  "is_visualeditor",
  "is_wikieditor",
  "is_ios_app_edit",
];

export const USER_GROUP_FLAGS = [
  "is_editor",
  "is_trusted",
  "is_ipblock-exempt",
  "is_interface-admin",
  "is_sysop",
  "is_autoreview",
  "is_bureaucrat",
  "is_autopatrolled",
  "is_patroller",
  "is_rollbacker",
  "is_reviewer",
  "is_extendedconfirmed",
  "is_templateeditor",
  "is_uploader",
  "is_autoreviewer",
  "is_suppressredirect",
];

export const BERT_POOL_SUFFIXES = [
  "s0_max",
  "s1_max",
  "p0_max",
  "p1_max",
  "s0_mean",
  "s1_mean",
  "p0_mean",
  "p1_mean",
];

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
  for (const kind of ["insert", "remove", "change"]) {
    for (const s of BERT_POOL_SUFFIXES) f.push({ name: `bert_${kind}_${s}`, kind: "numeric" });
  }
  f.push({ name: "bert_title_score", kind: "numeric" });
  for (const name of USER_GROUP_FLAGS) f.push({ name, kind: "categorical", encoding: USER_ENCODING });
  f.push({ name: "is_anonymous", kind: "categorical", encoding: USER_ENCODING });
  return f;
}
