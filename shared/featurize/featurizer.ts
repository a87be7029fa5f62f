/**
 * The featurizer: RevisionData → the classifier's non-encoder features + the encoder text inputs
 * (docs/featurizer.md). Edit types follow mwedittypes 1.2.1; the BERT features (`bert_*`)
 * are computed by the model (shared/model/revertrisk-model.ts) from `inserts` / `removes` / `changes` / `title`.
 * Runtime-agnostic (Node, Cloudflare Workers). Never throws.
 */
import type { FeatureSpec } from "../model/bundle.ts";
import { type EditTypesOptions, type EditTypesResult, computeEditTypes } from "./edittypes/core.ts";
import type { ParseFn } from "./edittypes/wikicode.ts";
import { parse as wikitextParse } from "./wikitext/index.ts";
import type { RevisionData } from "../mediawiki/revision-data.ts";
import type { FeatureValue, FeaturizedRevision } from "../model/model-input.ts";
import { type PairingOrder, type TextLists, encoderInputs, textsFromTreeDiff } from "./texts.ts";

/** The 22 content types of the model, in feature order (the model's 137 inputs, models/README.md). */
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

/** The 88 edit-type count features `{action}_{Type}`, in training order. */
export const EDIT_TYPE_FEATURES: readonly string[] = CONTENT_TYPES.flatMap((t) =>
  EDIT_ACTIONS.map((a) => `${a}_${t}`),
);

/** Tag flag features → the exact change tag (categorical encodings, docs/featurizer.md). */
export const TAG_FEATURES: Readonly<Record<string, string>> = {
  is_mobile_edit: "mobile edit",
  is_mobile_web_edit: "mobile web edit",
  is_visualeditor: "visualeditor",
  is_wikieditor: "wikieditor",
  is_ios_app_edit: "ios app edit",
};

/** User-group flag features (the model's 137 inputs, models/README.md, indices 120–135). */
export const USER_GROUPS = [
  "editor",
  "trusted",
  "ipblock-exempt",
  "interface-admin",
  "sysop",
  "autoreview",
  "bureaucrat",
  "autopatrolled",
  "patroller",
  "rollbacker",
  "reviewer",
  "extendedconfirmed",
  "templateeditor",
  "uploader",
  "autoreviewer",
  "suppressredirect",
] as const;

/** Default string encodings of boolean categoricals when the manifest gives none (categorical encodings, docs/featurizer.md). */
const TAG_DEFAULT_ENCODING = { true: "1", false: "0" };
const USER_DEFAULT_ENCODING = { true: "True", false: "False" };

const EDIT_TYPE_INDEX = new Map<string, [string, string]>();
for (const t of CONTENT_TYPES) for (const a of EDIT_ACTIONS) EDIT_TYPE_INDEX.set(`${a}_${t}`, [t, a]);
const USER_GROUP_FEATURES = new Set(USER_GROUPS.map((g) => `is_${g}`));

export interface FeaturizeOptions extends EditTypesOptions {
  /** Wikitext parser (defaults to the project's parser). */
  parse?: ParseFn;
  /** Set order of the sentence pairing (default "python": CPython's with PYTHONHASHSEED=0). */
  pairingOrder?: PairingOrder;
}

export type FeaturizeResult = FeaturizedRevision & {
  /** "ok", or "error:<PythonExceptionName>" where mwedittypes raised (counts 0, texts empty). */
  status: string;
  /** Raw (unfiltered) text lists, as in the parity fixtures. */
  texts: TextLists;
  /** Full edit-type result (actions, tree diff, diagnostics). */
  editTypes: EditTypesResult;
};

function encodeBool(
  value: boolean,
  spec: FeatureSpec,
  fallback: { true: string; false: string },
): FeatureValue {
  if (spec.kind === "numeric") return value ? 1 : 0;
  const enc = spec.encoding ?? fallback;
  return value ? enc.true : enc.false;
}

/** Edit types + text lists for a (parent, revision) pair; never throws. */
export function editTypesAndTexts(
  prev: string,
  curr: string,
  lang: string,
  options: FeaturizeOptions = {},
): { editTypes: EditTypesResult; texts: TextLists } {
  const parse = options.parse ?? wikitextParse;
  const editTypes = computeEditTypes(prev, curr, lang, parse, options);
  let texts: TextLists = { inserts: [], removes: [], changes: [] };
  if (editTypes.status === "ok") {
    try {
      texts = textsFromTreeDiff(editTypes.treeDiff, options.pairingOrder ?? "python");
    } catch {
      // Training's catch-all: any exception → empty lists.
      texts = { inserts: [], removes: [], changes: [] };
    }
  }
  return { editTypes, texts };
}

/**
 * Features of one revision for the given manifest features: the 88 edit-type counts by name,
 * `revision_text_bytes_diff`, tag flags, user-group flags, `is_anonymous`, `wiki_db`. Categorical
 * booleans use the manifest's `encoding` (defaults: tags "1"/"0", user flags "True"/"False");
 * `bert_*` and unknown features are left to the model.
 */
export function featurize(
  rev: RevisionData,
  features: readonly FeatureSpec[],
  options: FeaturizeOptions = {},
): FeaturizeResult {
  let et: { editTypes: EditTypesResult; texts: TextLists };
  try {
    et = editTypesAndTexts(rev.parentText ?? "", rev.text ?? "", rev.lang ?? "", options);
  } catch (e) {
    et = {
      editTypes: {
        status: `error:internal:${e instanceof Error ? e.name : "unknown"}`,
        actions: {},
        treeDiff: null,
        mode: null,
        work: 0,
        budgetExhausted: false,
      },
      texts: { inserts: [], removes: [], changes: [] },
    };
  }
  const actions = et.editTypes.actions;
  const values: Record<string, FeatureValue> = {};
  const tags = new Set(rev.tags ?? []);
  const groups = new Set(rev.userGroups ?? []);
  for (const spec of features) {
    const name = spec.name;
    const et88 = EDIT_TYPE_INDEX.get(name);
    if (et88) {
      const v = actions[et88[0]]?.[et88[1]] ?? 0;
      values[name] = spec.kind === "categorical" ? String(v) : v;
    } else if (name === "wiki_db") {
      values[name] = rev.wikiDb || `${rev.lang}wiki`;
    } else if (name === "revision_text_bytes_diff") {
      const v = (rev.bytes ?? 0) - (rev.parentBytes ?? 0);
      values[name] = spec.kind === "categorical" ? String(v) : v;
    } else if (Object.prototype.hasOwnProperty.call(TAG_FEATURES, name)) {
      values[name] = encodeBool(tags.has(TAG_FEATURES[name]!), spec, TAG_DEFAULT_ENCODING);
    } else if (USER_GROUP_FEATURES.has(name)) {
      values[name] = encodeBool(groups.has(name.slice(3)), spec, USER_DEFAULT_ENCODING);
    } else if (name === "is_anonymous") {
      values[name] = encodeBool(rev.userId === 0, spec, USER_DEFAULT_ENCODING);
    }
  }
  const inputs = encoderInputs(et.texts);
  return {
    values,
    title: (rev.pageTitle ?? "").replaceAll("_", " "),
    inserts: inputs.inserts,
    removes: inputs.removes,
    changes: inputs.changes,
    status: et.editTypes.status,
    texts: et.texts,
    editTypes: et.editTypes,
  };
}
