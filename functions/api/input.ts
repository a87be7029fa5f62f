/**
 * Reading requests of the on-demand API: the body under its size limit, its decoding into a JSON
 * object as KServe's transport does it (content types, CloudEvents), and the small value checks LiftWing's validation uses (Python truthiness, revision ids,
 * flags, the lang of a wiki id). Runtime-agnostic.
 */
import type { Json } from "./context.ts";
import { error, MSG } from "./errors.ts";
import { MAX_JSON_DEPTH, tooDeep } from "../../shared/events/json-depth.ts";

/** The body's bytes; 413 once more than `max` bytes are declared or received. */
export async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  const tooLarge = () => error(413, `Request body is larger than the limit of ${max} bytes.`);
  if (declared !== null && Number(declared) > max) throw tooLarge();
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** KServe's JSON content types (`JSON_HEADERS`), compared with the whole header value as KServe does. */
const KSERVE_JSON_TYPES: ReadonlySet<string> = new Set([
  "application/json",
  "application/cloudevents+json",
  "application/ld+json",
]);

/** A binary-mode CloudEvent: the attributes are ce-* headers and the body is the data. */
function isBinaryCloudEvent(h: Headers): boolean {
  return ["ce-specversion", "ce-source", "ce-type", "ce-id"].every((k) => h.has(k));
}

/** A structured-mode CloudEvent body (KServe's is_structured_cloudevent): its `data` is the input. */
function isStructuredCloudEvent(v: unknown): v is Json & { data: unknown } {
  return isObject(v) && ["time", "type", "source", "id", "specversion", "data"].every((k) => k in v);
}

/** orjson's wording where it is simple to give (an empty body); JSON.parse's otherwise. */
function jsonError(text: string, e: unknown): string {
  if (text.length === 0) return "Input is a zero-length, empty document: line 1 column 1 (char 0)";
  return e instanceof Error ? e.message : String(e);
}

/**
 * The request input, decoded as KServe 0.15.2 and LiftWing decode it: without a content type or with
 * one of KServe's JSON types (the exact header value), the body must parse (else 400 "Unrecognized
 * request format: …") and a structured CloudEvent is unwrapped to its `data`; with any other content
 * type KServe passes the bytes on and LiftWing parses them itself (else "Please verify that request
 * input is a json dict"). Either way the input must then be a JSON object.
 */
export function decodeInput(bytes: Uint8Array, headers: Headers): Json {
  const contentType = headers.get("content-type");
  const binaryEvent = isBinaryCloudEvent(headers);
  const kserveParses = binaryEvent || contentType === null || KSERVE_JSON_TYPES.has(contentType);
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    if (!kserveParses) throw error(400, MSG.notJsonDict);
    throw error(400, MSG.unrecognized("str is not valid UTF-8: surrogates not allowed"));
  }
  try {
    value = JSON.parse(text);
  } catch (e) {
    if (!kserveParses) throw error(400, MSG.notJsonDict);
    if (binaryEvent)
      throw error(400, `Failed to decode or parse binary json cloudevent: ${jsonError(text, e)}`);
    throw error(400, MSG.unrecognized(jsonError(text, e)));
  }
  if (kserveParses && !binaryEvent && isStructuredCloudEvent(value)) value = value.data;
  if (!isObject(value)) throw error(400, MSG.notJsonDict);
  // Echoing or validating a value nested thousands deep overflows the stack (a 500): refuse it.
  const deep = tooDeep(value);
  if (deep !== undefined)
    throw error(400, `The request body is nested deeper than ${MAX_JSON_DEPTH} levels (at ${deep}).`);
  return value;
}

/** Python truthiness of a JSON value (LiftWing's `check_input_param`). */
export function pyFalsy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Positive integer rev_id from a number or a string of digits; undefined otherwise. */
export function toRevId(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  if (typeof v === "string" && /^[0-9]{1,16}$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  }
  return undefined;
}

/** Python's `re.match(r"(\w+)wiki", s).group(1)` (greedy, Unicode \w). */
export function langFromWikiId(s: string): string | undefined {
  return /^([\p{L}\p{N}\p{Mn}\p{Pc}]+)wiki/u.exec(s)?.[1];
}

/** A query flag: present (empty), true, 1 or yes. */
export function flag(v: string | undefined): boolean {
  if (v === undefined) return false;
  const s = v.trim().toLowerCase();
  return s === "" || s === "true" || s === "1" || s === "yes";
}
