/**
 * Builds `mediawiki/page/prediction_classification_change` events from a page_change event and a
 * revert-risk prediction, the way LiftWing's `events.py` does (docs/events.md, "Prediction events"): fields are copied
 * one by one from the source (so unknown upstream fields are stripped), and the field set is
 * reduced to what the target schema version allows. Runtime-agnostic and synchronous.
 *
 * Differences from LiftWing, on purpose:
 * - default version 1.1.0 (the newest revrisk can validate; the stream checks the title only);
 * - `meta.id` is deterministic (UUID v5 of stream + wiki + rev_id + model_version), so a re-scored
 *   revision yields the same id and sinks can de-duplicate;
 * - `meta.dt` is set to the build time (LiftWing leaves it to EventGate);
 * - `performer` (required by 1.0.0/1.1.0) falls back to `revision.editor`; without either the
 *   event is skipped with reason `no_performer`;
 * - `meta.domain` and `meta.uri` come from the wiki table by `wiki_id`, never from the source
 *   (a source could name another host than the wiki whose revision was scored);
 * - the source is validated as ingest validates it (`parsePageChange`), so an event built here
 *   is one the prediction schema accepts; an invalid source is skipped as `invalid_page_change`.
 */
import { parsePageChange } from "./page-change.ts";
import { hostForDbName, pageUri } from "../wikis/wikis.ts";

export const DEFAULT_PREDICTION_STREAM = "mediawiki.page_revert_risk_multilingual_prediction_change.v1";
export const DEFAULT_PREDICTION_SCHEMA_VERSION = "1.1.0";
export const PREDICTION_SCHEMA_TITLE = "mediawiki/page/prediction_classification_change";

/** The `$schema` of prediction events of a schema version, e.g. "/mediawiki/page/prediction_classification_change/1.1.0". */
export function predictionSchemaUri(version: string = DEFAULT_PREDICTION_SCHEMA_VERSION): string {
  return `/${PREDICTION_SCHEMA_TITLE}/${version}`;
}

export interface PredictionInput {
  model_name: string;
  model_version: string;
  prediction: boolean;
  /** Probability of the "true" class (revert). */
  probability: number;
}

export interface BuildOptions {
  /** Default mediawiki.page_revert_risk_multilingual_prediction_change.v1. */
  stream?: string;
  /** Target schema version, "1.0.0" … "1.3.0". Default "1.1.0". */
  schemaVersion?: string;
  /** Clock for meta.dt. */
  now?: () => Date;
  /** Skip events without performer and editor (required by ≤ 1.1.0). Default true. */
  requirePerformer?: boolean;
}

export type PredictionSkipReason = "no_performer" | "not_page_change" | "invalid_page_change";

export type BuildResult =
  { ok: true; event: PredictionEvent } | { ok: false; reason: PredictionSkipReason; message: string };

export type PredictionEvent = Record<string, unknown> & {
  $schema: string;
  meta: { stream: string; id: string; dt: string; domain?: string; uri?: string; request_id?: string };
  dt: string;
  wiki_id: string;
  page: Record<string, unknown>;
  revision: Record<string, unknown> & { rev_id: number };
  performer: Record<string, unknown>;
  predicted_classification: {
    model_name: string;
    model_version: string;
    predictions: string[];
    probabilities: { true: number; false: number };
  };
};

type Obj = Record<string, unknown>;

interface Profile {
  user: readonly string[];
  page: readonly string[];
  redirectLink: boolean;
  /** Minimum namespace_id; fields below it are dropped (they are optional everywhere). */
  nsMin: number;
}

const USER_BASE = [
  "user_text",
  "user_id",
  "edit_count",
  "groups",
  "is_bot",
  "is_system",
  "is_temp",
  "registration_dt",
];
const PAGE_BASE = ["page_id", "page_title", "namespace_id", "is_redirect", "revision_count"];
const REVISION = [
  "rev_id",
  "rev_dt",
  "rev_parent_id",
  "rev_sha1",
  "rev_size",
  "comment",
  "is_minor_edit",
  "is_comment_visible",
  "is_content_visible",
  "is_editor_visible",
];
const LINK = ["page_id", "page_title", "namespace_id", "is_redirect", "interwiki_prefix"];

function profileFor(version: string): Profile {
  const [maj, min] = version.split(".").map(Number) as [number, number];
  if (maj !== 1 || !Number.isInteger(min))
    throw new Error(`unsupported prediction schema version ${version}`);
  if (min <= 1) return { user: USER_BASE, page: PAGE_BASE, redirectLink: min >= 1, nsMin: 0 };
  if (min === 2)
    return { user: [...USER_BASE, "user_central_id"], page: PAGE_BASE, redirectLink: true, nsMin: 0 };
  // 1.3.0+: LiftWing's full field list; namespace minimum relaxed.
  return {
    user: [...USER_BASE, "user_central_id", "wiki_id"],
    page: [...PAGE_BASE, "namespace_is_content"],
    redirectLink: true,
    nsMin: -Infinity,
  };
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function pick(src: unknown, fields: readonly string[]): Obj {
  const out: Obj = {};
  if (!isObj(src)) return out;
  for (const f of fields) if (src[f] !== undefined) out[f] = src[f];
  return out;
}

function page(src: unknown, p: Profile, withLink: boolean): Obj {
  const out = pick(src, p.page);
  if (typeof out.namespace_id === "number" && out.namespace_id < p.nsMin) delete out.namespace_id;
  if (withLink && p.redirectLink && isObj(src) && isObj(src.redirect_page_link)) {
    const l = pick(src.redirect_page_link, LINK);
    if (typeof l.namespace_id === "number" && l.namespace_id < p.nsMin) delete l.namespace_id;
    out.redirect_page_link = l;
  }
  return out;
}

function revision(src: unknown, p: Profile): Obj {
  const out = pick(src, REVISION);
  if (isObj(src) && isObj(src.editor)) out.editor = pick(src.editor, p.user);
  return out;
}

/** Builds one prediction event. Never throws for event content; throws only for a bad version option. */
export function buildPredictionEvent(
  source: Obj,
  prediction: PredictionInput,
  options: BuildOptions = {},
): BuildResult {
  const version = options.schemaVersion ?? DEFAULT_PREDICTION_SCHEMA_VERSION;
  const p = profileFor(version);
  const stream = options.stream ?? DEFAULT_PREDICTION_STREAM;
  const schema = typeof source.$schema === "string" ? source.$schema : "";
  if (!/^\/?mediawiki\/page\/change\/1(\.|$)/.test(schema)) {
    return {
      ok: false,
      reason: "not_page_change",
      message: `source $schema ${JSON.stringify(schema)} is not /mediawiki/page/change/1.x`,
    };
  }
  const parsed = parsePageChange(source);
  if (!parsed.ok) return { ok: false, reason: "invalid_page_change", message: parsed.errors.join("; ") };
  let performer: Obj | undefined;
  if (isObj(source.performer)) performer = pick(source.performer, p.user);
  else if (isObj(source.revision) && isObj(source.revision.editor))
    performer = pick(source.revision.editor, p.user);
  if (!performer && (options.requirePerformer ?? true)) {
    return { ok: false, reason: "no_performer", message: "event has neither performer nor revision.editor" };
  }

  const wiki = String(source.wiki_id);
  const rev = revision(source.revision, p);
  const srcMeta = isObj(source.meta) ? source.meta : {};
  const meta: PredictionEvent["meta"] = {
    stream,
    id: predictionEventId(stream, wiki, Number(rev.rev_id), prediction.model_version),
    dt: (options.now?.() ?? new Date()).toISOString(),
  };
  if (typeof srcMeta.request_id === "string") meta.request_id = srcMeta.request_id;
  const host = hostForDbName(wiki);
  if (host !== undefined) {
    meta.domain = host;
    if (isObj(source.page) && typeof source.page.page_title === "string")
      meta.uri = pageUri(host, source.page.page_title);
  }

  const event: Obj = {
    $schema: predictionSchemaUri(version),
    meta,
    dt: source.dt,
    changelog_kind: source.changelog_kind,
    page_change_kind: source.page_change_kind,
    wiki_id: wiki,
  };
  if (source.comment !== undefined) event.comment = source.comment;
  event.page = page(source.page, p, true);
  if (performer) event.performer = performer;
  event.revision = rev;
  if (isObj(source.prior_state)) {
    const ps: Obj = {};
    if (isObj(source.prior_state.page)) ps.page = page(source.prior_state.page, p, false);
    if (isObj(source.prior_state.revision)) ps.revision = revision(source.prior_state.revision, p);
    event.prior_state = ps;
  }
  if (isObj(source.created_redirect_page))
    event.created_redirect_page = page(source.created_redirect_page, p, false);
  event.predicted_classification = {
    model_name: prediction.model_name,
    model_version: String(prediction.model_version),
    predictions: [String(prediction.prediction)],
    probabilities: { true: prediction.probability, false: 1 - prediction.probability },
  };
  return { ok: true, event: event as PredictionEvent };
}

// ---------------------------------------------------------------------------------------------
// Deterministic ids: RFC 4122 UUID version 5 (SHA-1), synchronous and runtime-agnostic.
// ---------------------------------------------------------------------------------------------

/** Namespace of revrisk's prediction event ids (UUID v5 of the URL namespace and "https://revrisk/prediction-event"). */
export const PREDICTION_ID_NAMESPACE = "76f38a1a-fa3a-59c5-81d2-9f95a0b43278";

/** meta.id of the prediction event for one (stream, wiki, revision, model version). */
export function predictionEventId(stream: string, wiki: string, revId: number, modelVersion: string): string {
  return uuidV5(`${stream}\n${wiki}\n${revId}\n${modelVersion}`, PREDICTION_ID_NAMESPACE);
}

export function uuidV5(name: string, namespace: string): string {
  const ns = namespace.replaceAll("-", "");
  const nsBytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) nsBytes[i] = parseInt(ns.slice(i * 2, i * 2 + 2), 16);
  const nameBytes = new TextEncoder().encode(name);
  const data = new Uint8Array(16 + nameBytes.length);
  data.set(nsBytes);
  data.set(nameBytes, 16);
  const h = sha1(data).slice(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = [...h].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function sha1(msg: Uint8Array): Uint8Array {
  const ml = msg.length;
  const withPad = ((ml + 9 + 63) >> 6) << 6;
  const buf = new Uint8Array(withPad);
  buf.set(msg);
  buf[ml] = 0x80;
  const dv = new DataView(buf.buffer);
  dv.setUint32(withPad - 4, (ml * 8) >>> 0);
  dv.setUint32(withPad - 8, Math.floor((ml * 8) / 2 ** 32));
  let h0 = 0x67452301,
    h1 = 0xefcdab89,
    h2 = 0x98badcfe,
    h3 = 0x10325476,
    h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  for (let off = 0; off < withPad; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0,
      b = h1,
      c = h2,
      d = h3,
      e = h4;
    for (let i = 0; i < 80; i++) {
      const f =
        i < 20 ? (b & c) | (~b & d) : i < 40 ? b ^ c ^ d : i < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
      const k = i < 20 ? 0x5a827999 : i < 40 ? 0x6ed9eba1 : i < 60 ? 0x8f1bbcdc : 0xca62c1d6;
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) >>> 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + b) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
  }
  const out = new Uint8Array(20);
  const odv = new DataView(out.buffer);
  [h0, h1, h2, h3, h4].forEach((h, i) => odv.setUint32(i * 4, h));
  return out;
}
