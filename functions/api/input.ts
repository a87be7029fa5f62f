/**
 * Reading requests of the on-demand API: the body under its size limit, its decoding into a JSON
 * object, and the small value checks LiftWing's validation uses (Python truthiness, revision ids,
 * flags, the lang of a wiki id). Runtime-agnostic.
 */
import type { Json } from "./context.ts";
import { error, MSG } from "./errors.ts";

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

/** A JSON object from the body bytes, or LiftWing's 400. */
export function parseJsonDict(bytes: Uint8Array): Json {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw error(400, MSG.notJsonDict);
  }
  if (!isObject(value)) throw error(400, MSG.notJsonDict);
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
