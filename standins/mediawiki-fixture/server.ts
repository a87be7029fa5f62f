/**
 * A small MediaWiki Action API server for tests, benchmarks and local runs (see docs/mediawiki.md).
 *
 * Answers, with MediaWiki's formatversion=2 JSON shapes and error codes, the queries the revrisk
 * client makes:
 *  - `action=query&prop=revisions` by `revids` (batched, `badrevids`, revision deletion flags,
 *    `rvcontinue` when the result would exceed the size budget), or by `pageids`/`titles` (latest
 *    revision per page, or enumeration of one page with rvlimit/rvdir/rvstart/rvend/rvcontinue);
 *  - `action=query&list=users` by `ususerids`/`ususers` (`usprop=groups|editcount|registration`);
 *  - `action=query&list=allrevisions` (arvstart/arvend/arvdir/arvnamespace/arvlimit/arvcontinue).
 * The wiki is chosen by a path prefix (`/{host}/w/api.php`, e.g. `/en.wikipedia.org/w/api.php`) or,
 * for `/w/api.php`, by the Host header. Test hooks: artificial latency, injectable faults
 * (HTTP 429/503 with Retry-After, API errors such as maxlag, slow answers for timeouts), a share of
 * all API requests answered with such faults (`faultShares`, for fault soaks), and a log of requests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MwFixtureStore, seededStore, type FixtureRevision, type FixtureWiki } from "./store.ts";

export interface MwFixtureFault {
  /** HTTP status to answer with (default 503 unless `apiError` is set). */
  status?: number;
  /** Retry-After header value (seconds or an HTTP date). */
  retryAfter?: number | string;
  /** Answer HTTP 200 with `{error: {code, info}}` (e.g. `{code: "maxlag"}`). */
  apiError?: { code: string; info?: string };
  /** Wait this long before answering (to trigger client timeouts); then answer normally unless status/apiError. */
  delayMs?: number;
  /** A raw body (e.g. invalid JSON) answered with `status` (default 200). */
  body?: string;
  /** How many requests it affects (default 1). */
  times?: number;
  /** Only requests for which this returns true. */
  match?: (req: { host: string; params: URLSearchParams }) => boolean;
}

/**
 * Shares (0–1) of API requests that fail, for fault soaks. Which requests fail is deterministic (the
 * n-th request fails when frac(n·φ) falls in the fault's slice), spread evenly over time, and
 * independent of the wiki, so a retry of a failed request is another draw.
 */
export interface MwFaultShares {
  /** HTTP 429 with `Retry-After: retryAfterS`. */
  tooManyRequests?: number;
  /** HTTP 503 (Wikimedia's error page). */
  unavailable?: number;
  /** No answer for `hangMs` (past any client timeout), then the normal answer if anyone still waits. */
  hang?: number;
  /** Default 1. */
  retryAfterS?: number;
  /** Default 30 000. */
  hangMs?: number;
}

export type MwFaultKind = "too_many_requests" | "unavailable" | "hang";

export interface RecordedRequest {
  method: string;
  path: string;
  /** Wiki host the request resolved to ("" if none). */
  host: string;
  params: Record<string, string>;
  status: number;
  userAgent?: string;
}

export interface MwFixtureServerOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  /** Default: a store seeded from the repository's parity fixtures. */
  store?: MwFixtureStore;
  /** Result size budget in bytes, like `$wgAPIMaxResultSize` (default 8 MiB). */
  maxResultSize?: number;
  /** Artificial latency per request. */
  latencyMs?: number | ((req: { host: string; params: URLSearchParams }) => number);
  /** `apihighlimits`: 500 values per multi-value parameter instead of 50. */
  highLimits?: boolean;
  /** Wiki host for `/w/api.php` requests whose Host header names no known wiki. */
  defaultHost?: string;
  /** A share of API requests answered with faults (429, 503, hangs). */
  faultShares?: MwFaultShares;
  /** Keep the request log (`requests`). Default true; long soaks turn it off to bound memory. */
  recordRequests?: boolean;
}

export interface MwFixtureServer {
  /** e.g. "http://127.0.0.1:41234". */
  url: string;
  port: number;
  /** For `MediaWikiClient({ apiBase })`: `${url}/{host}`. */
  apiBase: string;
  store: MwFixtureStore;
  requests: RecordedRequest[];
  injectFault(fault: MwFixtureFault): void;
  /** Faults answered because of `faultShares`, by kind. */
  faultCounts: Record<MwFaultKind, number>;
  clearFaults(): void;
  resetRequests(): void;
  close(): Promise<void>;
}

class ApiError extends Error {
  readonly code: string;
  constructor(code: string, info: string) {
    super(info);
    this.code = code;
  }
}

const DOCREF =
  "See https://en.wikipedia.org/w/api.php for API usage. Subscribe to the mediawiki-api-announce mailing list at &lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt; for notice of API deprecations and breaking changes.";

const REVISION_PROP_VALUES = new Set([
  "ids",
  "flags",
  "timestamp",
  "user",
  "userid",
  "size",
  "slotsize",
  "sha1",
  "slotsha1",
  "contentmodel",
  "comment",
  "parsedcomment",
  "content",
  "tags",
  "roles",
]);

function splitMulti(value: string | null): string[] {
  if (value === null || value === "") return [];
  // MediaWiki's alternative separator: a leading U+001F.
  return value.startsWith("\u001f") ? value.slice(1).split("\u001f") : value.split("|");
}

function parseIntegers(name: string, value: string | null, limit: number): number[] {
  const items = splitMulti(value);
  if (items.length > limit) {
    throw new ApiError(
      "toomanyvalues",
      `Too many values supplied for parameter "${name}". The limit is ${limit}.`,
    );
  }
  return items.map((item) => {
    if (!/^[-+]?\d+$/.test(item.trim())) {
      throw new ApiError("badinteger", `Invalid value "${item}" for integer parameter "${name}".`);
    }
    return Number(item);
  });
}

function parseTimestamp(name: string, value: string | null): string | undefined {
  if (value === null || value === "") return undefined;
  let ms: number;
  if (/^\d{14}$/.test(value)) {
    ms = Date.UTC(
      +value.slice(0, 4),
      +value.slice(4, 6) - 1,
      +value.slice(6, 8),
      +value.slice(8, 10),
      +value.slice(10, 12),
      +value.slice(12, 14),
    );
  } else {
    ms = Date.parse(value);
  }
  if (Number.isNaN(ms))
    throw new ApiError("badtimestamp", `Invalid value "${value}" for timestamp parameter "${name}".`);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function mwTimestamp(iso: string): string {
  return iso.replace(/[-:TZ]/g, "");
}

function enumValue(name: string, value: string | null, allowed: string[], dflt: string): string {
  if (value === null || value === "") return dflt;
  if (!allowed.includes(value))
    throw new ApiError("badvalue", `Unrecognized value for parameter "${name}": ${value}.`);
  return value;
}

function limitValue(name: string, value: string | null, dflt: number, max: number): number {
  if (value === null || value === "") return dflt;
  if (value === "max") return max;
  if (!/^\d+$/.test(value))
    throw new ApiError("badinteger", `Invalid value "${value}" for integer parameter "${name}".`);
  return Math.max(1, Math.min(max, Number(value)));
}

interface RevisionFormat {
  props: Set<string>;
  slots: boolean;
}

function revisionProps(name: string, value: string | null, warnings: string[]): Set<string> {
  const props = value === null ? ["ids", "timestamp", "flags", "comment", "user"] : splitMulti(value);
  const out = new Set<string>();
  for (const p of props) {
    if (REVISION_PROP_VALUES.has(p)) out.add(p);
    else warnings.push(`Unrecognized value for parameter "${name}": ${p}.`);
  }
  return out;
}

/** A revision in formatversion=2 shape, as an anonymous reader sees it. */
function formatRevision(rev: FixtureRevision, fmt: RevisionFormat): Record<string, unknown> {
  const p = fmt.props;
  const v: Record<string, unknown> = {};
  let anyHidden = false;
  if (p.has("ids")) {
    v.revid = rev.revId;
    v.parentid = rev.parentId;
  }
  if (p.has("flags")) v.minor = rev.minor;
  if (p.has("user") || p.has("userid")) {
    if (rev.userHidden) {
      v.userhidden = true;
      anyHidden = true;
    } else {
      if (p.has("user")) v.user = rev.userText;
      if (rev.userId === 0) v.anon = true;
      if (p.has("userid")) v.userid = rev.userId;
    }
  }
  if (p.has("timestamp")) v.timestamp = rev.timestamp;
  if (p.has("size")) v.size = rev.size;
  const content = p.has("content");
  if (content) {
    if (rev.textHidden) anyHidden = true;
    const slot: Record<string, unknown> = {};
    if (rev.textHidden) slot.texthidden = true;
    else {
      slot.contentmodel = "wikitext";
      slot.contentformat = "text/x-wiki";
      slot.content = rev.text;
    }
    if (fmt.slots) v.slots = { main: slot };
    else Object.assign(v, slot);
  }
  if (p.has("comment") || p.has("parsedcomment")) {
    if (rev.commentHidden) {
      v.commenthidden = true;
      anyHidden = true;
    } else {
      if (p.has("comment")) v.comment = rev.comment;
      if (p.has("parsedcomment")) v.parsedcomment = escapeHtml(rev.comment);
    }
  }
  if (p.has("tags")) v.tags = [...rev.tags];
  if (anyHidden && rev.suppressed) v.suppressed = true;
  return v;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/** Groups revisions by page in first-appearance order (MediaWiki's `pages` / `allrevisions` shape). */
function groupByPage(
  wiki: FixtureWiki,
  items: Array<{ rev: FixtureRevision; formatted: Record<string, unknown> }>,
  sortPages: boolean,
): Array<Record<string, unknown>> {
  const pages = new Map<number, Record<string, unknown> & { revisions: unknown[] }>();
  for (const { rev, formatted } of items) {
    let entry = pages.get(rev.pageId);
    if (!entry) {
      const page = wiki.pages.get(rev.pageId)!;
      entry = page.missing
        ? { ns: page.ns, title: page.title, missing: true, revisions: [] }
        : { pageid: page.pageId, ns: page.ns, title: page.title, revisions: [] };
      pages.set(rev.pageId, entry);
    }
    entry.revisions.push(formatted);
  }
  const out = [...pages.entries()];
  if (sortPages) out.sort((a, b) => a[0] - b[0]);
  return out.map(([, e]) => e);
}

interface QueryContext {
  wiki: FixtureWiki;
  params: URLSearchParams;
  result: Record<string, unknown>;
  query: Record<string, unknown>;
  cont: Record<string, string>;
  warnings: Record<string, string[]>;
  budget: { used: number; max: number };
  limit: number;
}

function handleRevisions(ctx: QueryContext): void {
  const { params } = ctx;
  const warnings: string[] = [];
  const props = revisionProps("rvprop", params.get("rvprop"), warnings);
  const slotsParam = params.get("rvslots");
  if (
    slotsParam !== null &&
    slotsParam !== "" &&
    !splitMulti(slotsParam).every((s) => s === "main" || s === "*")
  ) {
    throw new ApiError("badvalue", `Unrecognized value for parameter "rvslots": ${slotsParam}.`);
  }
  const slots = slotsParam !== null && slotsParam !== "";
  if (props.has("content") && !slots) {
    warnings.push(
      'Because "rvslots" was not specified, a legacy format has been used for the output. This format is deprecated, and in the future the new format will always be used.',
    );
  }
  const fmt: RevisionFormat = { props, slots };
  const hasRevids = params.has("revids");
  const hasPages = params.has("pageids") || params.has("titles");
  if (hasRevids && hasPages) {
    throw new ApiError(
      "invalidparammix",
      'The parameters "titles", "pageids" and "revids" can not be used together.',
    );
  }
  const enumParams = ["rvlimit", "rvdir", "rvstart", "rvend", "rvstartid", "rvendid"].filter((n) =>
    params.has(n),
  );
  if (hasRevids) {
    if (enumParams.length) {
      throw new ApiError(
        "invalidparammix",
        `The parameters "revids" and "${enumParams[0]}" can not be used together (${enumParams[0]} may only be used with a single page).`,
      );
    }
    revisionsByIds(ctx, fmt);
  } else if (hasPages) {
    revisionsByPages(ctx, fmt, enumParams.length > 0 || params.has("rvcontinue"));
  } else {
    warnings.push("No pages were given.");
  }
  if (warnings.length) (ctx.warnings.revisions ??= []).push(...warnings);
}

function revisionsByIds(ctx: QueryContext, fmt: RevisionFormat): void {
  const { wiki, params } = ctx;
  const ids = parseIntegers("revids", params.get("revids"), ctx.limit);
  const badrevids: Record<string, unknown> = {};
  const found: FixtureRevision[] = [];
  for (const id of new Set(ids)) {
    const rev = wiki.revisions.get(id);
    if (!rev || rev.archived) badrevids[String(id)] = { revid: id, missing: true };
    else found.push(rev);
  }
  found.sort((a, b) => a.revId - b.revId);
  const from = params.has("rvcontinue") ? Number(params.get("rvcontinue")) : 0;
  if (Number.isNaN(from))
    throw new ApiError(
      "badcontinue",
      "Invalid continue param. You should pass the original value returned by the previous query.",
    );
  const items: Array<{ rev: FixtureRevision; formatted: Record<string, unknown> }> = [];
  for (const rev of found) {
    if (rev.revId < from) continue;
    const formatted = formatRevision(rev, fmt);
    const cost = byteLength(formatted);
    if (items.length > 0 && ctx.budget.used + cost > ctx.budget.max) {
      ctx.cont.rvcontinue = String(rev.revId);
      break;
    }
    ctx.budget.used += cost;
    items.push({ rev, formatted });
  }
  if (Object.keys(badrevids).length) ctx.query.badrevids = badrevids;
  ctx.query.pages = groupByPage(wiki, items, true);
}

function revisionsByPages(ctx: QueryContext, fmt: RevisionFormat, enumerate: boolean): void {
  const { wiki, params } = ctx;
  const pageEntries: Array<{ key: string; pageId?: number; title?: string }> = [];
  for (const id of parseIntegers("pageids", params.get("pageids"), ctx.limit))
    pageEntries.push({ key: `id:${id}`, pageId: id });
  const titles = splitMulti(params.get("titles"));
  if (titles.length > ctx.limit) {
    throw new ApiError(
      "toomanyvalues",
      `Too many values supplied for parameter "titles". The limit is ${ctx.limit}.`,
    );
  }
  for (const t of titles) pageEntries.push({ key: `t:${t}`, title: t });
  if (enumerate && pageEntries.length !== 1) {
    throw new ApiError(
      "multpages",
      "rvlimit, rvdir, rvstart, rvend, rvstartid, rvendid and rvcontinue may only be used with a single page.",
    );
  }
  const out: Array<Record<string, unknown>> = [];
  for (const entry of pageEntries) {
    const pageId = entry.pageId ?? wiki.titles.get(normaliseTitle(entry.title!));
    const page = pageId === undefined ? undefined : wiki.pages.get(pageId);
    const live = page ? page.revIds.map((id) => wiki.revisions.get(id)!).filter((r) => !r.archived) : [];
    if (!page || page.missing || live.length === 0) {
      out.push(
        entry.pageId !== undefined
          ? { pageid: entry.pageId, missing: true }
          : { ns: 0, title: normaliseTitle(entry.title!), missing: true },
      );
      continue;
    }
    let revs: FixtureRevision[];
    if (!enumerate) {
      revs = [live.at(-1)!];
    } else {
      const dir = enumValue("rvdir", params.get("rvdir"), ["newer", "older"], "older");
      const maxLimit = fmt.props.has("content") ? ctx.limit : ctx.limit * 10;
      const limit = limitValue("rvlimit", params.get("rvlimit"), 10, maxLimit);
      const start = parseTimestamp("rvstart", params.get("rvstart"));
      const end = parseTimestamp("rvend", params.get("rvend"));
      const [lo, hi] = dir === "newer" ? [start, end] : [end, start];
      let list = live.filter((r) => (!lo || r.timestamp >= lo) && (!hi || r.timestamp <= hi));
      list.sort((a, b) =>
        a.timestamp === b.timestamp ? a.revId - b.revId : a.timestamp < b.timestamp ? -1 : 1,
      );
      if (dir === "older") list.reverse();
      const cont = params.get("rvcontinue");
      if (cont) {
        const [ts, id] = cont.split("|");
        const cts = parseTimestamp("rvcontinue", ts);
        list = list.filter((r) => {
          const cmp = r.timestamp === cts ? r.revId - Number(id) : r.timestamp < cts! ? -1 : 1;
          return dir === "newer" ? cmp >= 0 : cmp <= 0;
        });
      }
      revs = list.slice(0, limit);
      if (list.length > limit) {
        const next = list[limit];
        ctx.cont.rvcontinue = `${mwTimestamp(next.timestamp)}|${next.revId}`;
      }
    }
    const formatted = revs.map((r) => formatRevision(r, fmt));
    ctx.budget.used += byteLength(formatted);
    out.push({ pageid: page.pageId, ns: page.ns, title: page.title, revisions: formatted });
  }
  ctx.query.pages = out;
}

function normaliseTitle(title: string): string {
  const t = title.replace(/_/g, " ").trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

const IP_RE = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]*:[0-9a-f:]+$/i;

function handleUsers(ctx: QueryContext): void {
  const { wiki, params } = ctx;
  const usprop = new Set(splitMulti(params.get("usprop")));
  const out: Array<Record<string, unknown>> = [];
  const describe = (userId: number): Record<string, unknown> => {
    const u = wiki.users.get(userId)!;
    const v: Record<string, unknown> = { userid: u.userId, name: u.name };
    if (usprop.has("editcount")) v.editcount = u.editCount;
    if (usprop.has("registration")) v.registration = u.registration;
    if (usprop.has("groups")) v.groups = [...u.groups];
    if (usprop.has("implicitgroups"))
      v.implicitgroups = u.groups.filter((g) => ["*", "user", "autoconfirmed"].includes(g));
    return v;
  };
  const names = splitMulti(params.get("ususers"));
  if (names.length > ctx.limit) {
    throw new ApiError(
      "toomanyvalues",
      `Too many values supplied for parameter "ususers". The limit is ${ctx.limit}.`,
    );
  }
  for (const raw of names) {
    const name = normaliseTitle(raw);
    if (IP_RE.test(raw)) {
      out.push({ name: raw.toUpperCase(), invalid: true });
      continue;
    }
    const id = wiki.userNames.get(name);
    if (id === undefined || wiki.users.get(id)!.hidden) out.push({ name, missing: true });
    else out.push(describe(id));
  }
  for (const id of parseIntegers("ususerids", params.get("ususerids"), ctx.limit)) {
    const u = wiki.users.get(id);
    if (!u || u.hidden) out.push({ userid: id, missing: true });
    else out.push(describe(id));
  }
  ctx.query.users = out;
}

function handleAllRevisions(ctx: QueryContext): void {
  const { wiki, params } = ctx;
  const warnings: string[] = [];
  const props = revisionProps("arvprop", params.get("arvprop"), warnings);
  const slotsParam = params.get("arvslots");
  const fmt: RevisionFormat = { props, slots: slotsParam !== null && slotsParam !== "" };
  const dir = enumValue("arvdir", params.get("arvdir"), ["newer", "older"], "older");
  const maxLimit = props.has("content") ? ctx.limit : ctx.limit * 10;
  const limit = limitValue("arvlimit", params.get("arvlimit"), 10, maxLimit);
  const start = parseTimestamp("arvstart", params.get("arvstart"));
  const end = parseTimestamp("arvend", params.get("arvend"));
  const namespaces = params.has("arvnamespace")
    ? new Set(parseIntegers("arvnamespace", params.get("arvnamespace"), 50))
    : undefined;
  const [lo, hi] = dir === "newer" ? [start, end] : [end, start];
  let list = [...wiki.revisions.values()].filter((r) => {
    if (r.archived) return false;
    if (lo && r.timestamp < lo) return false;
    if (hi && r.timestamp > hi) return false;
    if (namespaces && !namespaces.has(wiki.pages.get(r.pageId)!.ns)) return false;
    return true;
  });
  list.sort((a, b) => (a.timestamp === b.timestamp ? a.revId - b.revId : a.timestamp < b.timestamp ? -1 : 1));
  if (dir === "older") list.reverse();
  const cont = params.get("arvcontinue");
  if (cont) {
    const m = /^(\d{14})\|(\d+)$/.exec(cont);
    if (!m)
      throw new ApiError(
        "badcontinue",
        "Invalid continue param. You should pass the original value returned by the previous query.",
      );
    const cts = parseTimestamp("arvcontinue", m[1])!;
    const cid = Number(m[2]);
    list = list.filter((r) => {
      const cmp = r.timestamp === cts ? r.revId - cid : r.timestamp < cts ? -1 : 1;
      return dir === "newer" ? cmp >= 0 : cmp <= 0;
    });
  }
  const items: Array<{ rev: FixtureRevision; formatted: Record<string, unknown> }> = [];
  for (const rev of list) {
    if (items.length >= limit) {
      ctx.cont.arvcontinue = `${mwTimestamp(rev.timestamp)}|${rev.revId}`;
      break;
    }
    const formatted = formatRevision(rev, fmt);
    const cost = byteLength(formatted);
    if (items.length > 0 && ctx.budget.used + cost > ctx.budget.max) {
      ctx.cont.arvcontinue = `${mwTimestamp(rev.timestamp)}|${rev.revId}`;
      break;
    }
    ctx.budget.used += cost;
    items.push({ rev, formatted });
  }
  ctx.query.allrevisions = groupByPage(wiki, items, false);
  if (warnings.length) (ctx.warnings.allrevisions ??= []).push(...warnings);
}

const LISTS: Record<string, (ctx: QueryContext) => void> = {
  users: handleUsers,
  allrevisions: handleAllRevisions,
};

/** Answers one api.php request (params already merged from query string and form body). */
export function answerApi(
  wiki: FixtureWiki,
  params: URLSearchParams,
  options: { maxResultSize: number; highLimits: boolean },
): Record<string, unknown> {
  const action = params.get("action");
  if (action === null || action === "")
    throw new ApiError("missingparam", 'The "action" parameter must be set.');
  if (action !== "query")
    throw new ApiError("badvalue", `Unrecognized value for parameter "action": ${action}.`);
  const format = params.get("format") ?? "jsonfm";
  if (format !== "json")
    throw new ApiError(
      "badvalue",
      `Unrecognized value for parameter "format": ${format}. The fixture server only speaks "json".`,
    );
  if (params.get("formatversion") !== "2") {
    throw new ApiError(
      "badvalue",
      'The fixture server implements formatversion=2 only; pass "formatversion=2".',
    );
  }
  const ctx: QueryContext = {
    wiki,
    params,
    result: {},
    query: {},
    cont: {},
    warnings: {},
    budget: { used: 0, max: options.maxResultSize },
    limit: options.highLimits ? 500 : 50,
  };
  const props = splitMulti(params.get("prop"));
  for (const p of props) {
    if (p !== "revisions") throw new ApiError("badvalue", `Unrecognized value for parameter "prop": ${p}.`);
  }
  const lists = splitMulti(params.get("list"));
  for (const l of lists) {
    if (!LISTS[l]) throw new ApiError("badvalue", `Unrecognized value for parameter "list": ${l}.`);
  }
  if (props.includes("revisions")) handleRevisions(ctx);
  for (const l of lists) LISTS[l](ctx);
  const result: Record<string, unknown> = {};
  if (Object.keys(ctx.warnings).length) {
    result.warnings = Object.fromEntries(
      Object.entries(ctx.warnings).map(([k, v]) => [k, { warnings: v.join("\n") }]),
    );
  }
  if (Object.keys(ctx.cont).length) {
    // Continuation of list modules first, then the prop module ("-||" / "||" as MediaWiki writes it).
    result.continue = { ...ctx.cont, continue: ctx.cont.rvcontinue ? "||" : "-||" };
  } else {
    result.batchcomplete = true;
  }
  result.query = ctx.query;
  return result;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startMwFixtureServer(options: MwFixtureServerOptions = {}): Promise<MwFixtureServer> {
  const store = options.store ?? seededStore();
  const maxResultSize = options.maxResultSize ?? 8 * 1024 * 1024;
  const highLimits = options.highLimits ?? false;
  const faults: Array<MwFixtureFault & { left: number }> = [];
  const requests: RecordedRequest[] = [];
  const faultCounts: Record<MwFaultKind, number> = { too_many_requests: 0, unavailable: 0, hang: 0 };
  let apiRequests = 0;
  const shares = options.faultShares;
  /** The fault `faultShares` gives the next API request, if any. */
  const sharedFault = (): { kind: MwFaultKind; fault: MwFixtureFault & { left: number } } | undefined => {
    if (!shares) return undefined;
    const u = (++apiRequests * 0.6180339887498949) % 1;
    const a = shares.tooManyRequests ?? 0;
    const b = a + (shares.unavailable ?? 0);
    const c = b + (shares.hang ?? 0);
    if (u < a)
      return {
        kind: "too_many_requests",
        fault: { status: 429, retryAfter: shares.retryAfterS ?? 1, left: 1 },
      };
    if (u < b) return { kind: "unavailable", fault: { status: 503, left: 1 } };
    if (u < c) return { kind: "hang", fault: { delayMs: shares.hangMs ?? 30_000, left: 1 } };
    return undefined;
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string> = {},
    contentType = "application/json; charset=utf-8",
  ) => {
    if (res.destroyed) return;
    res.writeHead(status, {
      "Content-Type": contentType,
      "Content-Length": Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fixture.invalid");
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      host: "",
      params: {},
      status: 0,
      userAgent: req.headers["user-agent"],
    };
    if (options.recordRequests !== false) requests.push(record);
    const finish = (status: number, body: string, headers?: Record<string, string>, contentType?: string) => {
      record.status = status;
      send(res, status, body, headers, contentType);
    };

    const m = /^(?:\/([^/]+))?\/w\/api\.php$/.exec(url.pathname);
    if (!m) {
      if (url.pathname === "/" || url.pathname === "/healthz") {
        const wikis = [...store.wikis.values()].map((w) => ({
          lang: w.lang,
          host: w.host,
          revisions: w.revisions.size,
        }));
        return finish(200, JSON.stringify({ server: "revrisk mw-fixture", wikis }));
      }
      return finish(404, "Not Found\n", {}, "text/plain; charset=utf-8");
    }
    const hostName = m[1] ?? String(req.headers.host ?? "");
    const wiki =
      store.wikiByHost(hostName) ??
      (m[1] === undefined && options.defaultHost ? store.wikiByHost(options.defaultHost) : undefined);
    if (!wiki) return finish(404, `No wiki is served at ${hostName}\n`, {}, "text/plain; charset=utf-8");
    record.host = wiki.host;

    const params = new URLSearchParams(url.search);
    if (req.method === "POST") {
      const type = String(req.headers["content-type"] ?? "");
      if (type.startsWith("application/x-www-form-urlencoded")) {
        for (const [k, v] of new URLSearchParams(await readBody(req))) params.set(k, v);
      } else {
        await readBody(req);
      }
    } else if (req.method !== "GET" && req.method !== "HEAD") {
      return finish(405, "Method Not Allowed\n", { Allow: "GET, POST" }, "text/plain; charset=utf-8");
    }
    record.params = Object.fromEntries(params);

    const latency =
      typeof options.latencyMs === "function"
        ? options.latencyMs({ host: wiki.host, params })
        : options.latencyMs;
    if (latency && latency > 0) await sleep(latency);

    const shared = sharedFault();
    if (shared) faultCounts[shared.kind]++;
    const fault =
      shared?.fault ?? faults.find((f) => f.left > 0 && (!f.match || f.match({ host: wiki.host, params })));
    if (fault) {
      fault.left--;
      if (fault.delayMs) await sleep(fault.delayMs);
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers["Retry-After"] = String(fault.retryAfter);
      if (fault.body !== undefined) return finish(fault.status ?? 200, fault.body, headers);
      if (fault.apiError) {
        headers["MediaWiki-API-Error"] = fault.apiError.code;
        const body = {
          error: {
            code: fault.apiError.code,
            info: fault.apiError.info ?? fault.apiError.code,
            docref: DOCREF,
          },
          servedby: "mw-fixture",
        };
        return finish(fault.status ?? 200, JSON.stringify(body), headers);
      }
      if (fault.status) {
        return finish(
          fault.status,
          `<!DOCTYPE html><title>Wikimedia Error</title><p>Error ${fault.status}</p>\n`,
          headers,
          "text/html; charset=utf-8",
        );
      }
    }

    try {
      const body = answerApi(wiki, params, { maxResultSize, highLimits });
      finish(200, JSON.stringify(body));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const body = { error: { code: e.code, info: e.message, docref: DOCREF }, servedby: "mw-fixture" };
      finish(200, JSON.stringify(body), { "MediaWiki-API-Error": e.code });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      send(res, 500, JSON.stringify({ error: { code: "internal_api_error", info: String(e) } }));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.hostname ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return {
    url,
    port: address.port,
    apiBase: `${url}/{host}`,
    store,
    requests,
    faultCounts,
    injectFault(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    resetRequests() {
      requests.length = 0;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
