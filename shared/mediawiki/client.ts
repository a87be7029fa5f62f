/**
 * MediaWiki Action API client: fetches, for many revisions at once, what the RRML features need and
 * returns a `RevisionData` (or a precise per-revision error) per rev_id. See docs/mediawiki.md.
 *
 * Queries (all `format=json&formatversion=2`, GET `{apiBase}/w/api.php`):
 *  1. `action=query&prop=revisions&revids=a|b|…&rvprop=ids|timestamp|size|tags|user|userid|content|flags|comment&rvslots=main`
 *     (≤ 50 ids a call; `continue` followed until done).
 *  2. the same for the parents that were not in (1), batched again.
 *  3. `action=query&list=users&ususerids=…&usprop=groups` (≤ 50 a call; anonymous editors skipped).
 *  4. (backfill) `action=query&list=allrevisions&arvprop=…&arvstart=…&arvend=…&arvdir=…`, with continuation.
 *
 * Runtime-agnostic (fetch, AbortSignal, setTimeout only): it also runs in Workers.
 */
import type { RevisionData } from "./revision-data.ts";
import { resolveWiki, type ResolvedWiki, type ResolveWikiOptions } from "../wikis/wikis.ts";

export const DEFAULT_USER_AGENT =
  "revrisk/0.1.0 (revert-risk scoring of Wikipedia edits; configure REVRISK_MW_USER_AGENT with a contact address)";
export const DEFAULT_API_BASE = "https://{host}";
/** `rvprop` of the revision queries. */
export const REVISION_PROPS = "ids|timestamp|size|tags|user|userid|content|flags|comment";
/** `arvprop` of the allrevisions enumeration (no content). */
export const ALLREVISIONS_PROPS = "ids|timestamp|size|tags|user|userid|flags|comment";
/** MediaWiki's multi-value limit for normal clients (`apihighlimits` raises it to 500). */
export const MAX_IDS_PER_REQUEST = 50;
/** API error codes that are worth retrying (MediaWiki sends them with HTTP 200); `internal_api_error_*` too. */
export const RETRYABLE_API_CODES: ReadonlySet<string> = new Set(["maxlag", "ratelimited", "readonly"]);

/**
 * Why a revision's MediaWiki data could not be had: the LiftWing / KI data problems (final; a 422 in
 * the LiftWing-compatible API, docs/api.md) …
 */
export const DATA_ERROR_CODES = [
  "revision_missing",
  "revision_info_deleted",
  "parent_revision_missing",
  "parent_revision_info_deleted",
  "page_missing",
  "user_missing",
] as const;
export type RevisionDataErrorCode = (typeof DATA_ERROR_CODES)[number];
/**
 * … and the transport errors, after retries: `mediawiki_unavailable` (timeouts, network errors, 429,
 * 5xx, maxlag…: worth retrying later) and `mediawiki_error` (4xx, API errors, unreadable responses: not).
 */
export const TRANSPORT_ERROR_CODES = ["mediawiki_unavailable", "mediawiki_error"] as const;
export type RevisionTransportErrorCode = (typeof TRANSPORT_ERROR_CODES)[number];
export type RevisionErrorCode = RevisionDataErrorCode | RevisionTransportErrorCode;

export type TransportErrorKind = "timeout" | "network" | "http" | "api" | "bad_response" | "aborted";

/** A failed MediaWiki call (after the retries, if it was retryable). */
export class MediaWikiTransportError extends Error {
  override readonly name = "MediaWikiTransportError";
  readonly kind: TransportErrorKind;
  readonly retryable: boolean;
  readonly host: string;
  /** HTTP status, when a response came. */
  readonly status?: number;
  /** MediaWiki `error.code`, for kind "api". */
  readonly apiCode?: string;
  /** Retry-After, in ms, when the server sent one. */
  readonly retryAfterMs?: number;
  /** Attempts made (1 + retries used). */
  attempts = 1;
  constructor(
    kind: TransportErrorKind,
    message: string,
    init: {
      host: string;
      retryable: boolean;
      status?: number;
      apiCode?: string;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = kind;
    this.host = init.host;
    this.retryable = init.retryable;
    this.status = init.status;
    this.apiCode = init.apiCode;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export interface RevisionError {
  code: RevisionErrorCode;
  revId: number;
  message: string;
  /** true only for `mediawiki_unavailable`: the same request may succeed later. */
  retryable: boolean;
  /** Details of the failed call, for transport errors. */
  transport?: { kind: TransportErrorKind; status?: number; apiCode?: string; attempts: number };
}

export type RevisionResult =
  { ok: true; revId: number; data: RevisionData } | { ok: false; revId: number; error: RevisionError };

/** Which call a hook event is about. */
export type MediaWikiOperation = "revisions" | "parents" | "users" | "allrevisions" | "query";

/** One HTTP attempt, for metrics (latency histograms, error counters). */
export interface MediaWikiFetchEvent {
  host: string;
  op: MediaWikiOperation;
  /** 1-based. */
  attempt: number;
  durationMs: number;
  /** HTTP status, or undefined when no response came (timeout, network error). */
  status?: number;
  /** "ok"; "retry" (failed, will be retried); "error" (failed for good). */
  outcome: "ok" | "retry" | "error";
  errorKind?: TransportErrorKind;
  apiCode?: string;
}

export interface MediaWikiHooks {
  /** Called after every HTTP attempt. */
  onFetch?(event: MediaWikiFetchEvent): void;
  /** Called before sleeping for a retry. */
  onRetry?(event: {
    host: string;
    op: MediaWikiOperation;
    attempt: number;
    delayMs: number;
    error: MediaWikiTransportError;
  }): void;
  /** Called once per revision that ends in an error. */
  onRevisionError?(event: { host: string; error: RevisionError }): void;
}

export interface MediaWikiClientOptions {
  /**
   * Where the API lives, `/w/api.php` is appended. `{host}` and `{lang}` are replaced by the resolved
   * wiki's host and code. Default "https://{host}". Tests: "http://127.0.0.1:PORT/{host}" (fixture server).
   */
  apiBase?: string;
  /** User-Agent header (Wikimedia's policy asks for a contact address). */
  userAgent?: string;
  /** Per HTTP attempt, including reading the body. Default 10 000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt for retryable failures. Default 3. */
  retries?: number;
  /** First backoff delay (doubles each retry, with jitter). Default 250 ms. */
  retryBaseDelayMs?: number;
  /** Upper bound of any wait, Retry-After included. Default 10 000 ms. */
  retryMaxDelayMs?: number;
  /** Concurrent HTTP requests per host (all calls of this client). Default 4. */
  concurrencyPerHost?: number;
  /** Ids per `revids` / `ususerids` call. Default and maximum for normal clients: 50 (500 with apihighlimits). */
  batchSize?: number;
  /** Fetch user groups (`list=users`). Default true. false → registered users get `userGroups: []` and no `user_missing`. */
  fetchUsers?: boolean;
  /** Follow at most this many `continue` rounds per query. Default 100. */
  maxContinuations?: number;
  /** Extra query parameters on every call (e.g. `{ maxlag: "5" }`). */
  extraParams?: Record<string, string>;
  fetch?: typeof fetch;
  hooks?: MediaWikiHooks;
  /** Injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface CallOptions {
  /** Aborts everything (no retry after an abort). */
  signal?: AbortSignal;
}

/** One row of `list=allrevisions`. */
export interface RevisionSummary {
  revId: number;
  parentId: number;
  pageId: number;
  pageTitle: string;
  namespace: number;
  timestamp: string;
  bytes: number;
  userId: number;
  userText?: string;
  anonymous: boolean;
  minor: boolean;
  tags: string[];
  comment?: string;
  /** Hidden by revision deletion (user, comment or text, per the flags MediaWiki returned). */
  userHidden: boolean;
  commentHidden: boolean;
  suppressed: boolean;
}

export interface AllRevisionsOptions extends CallOptions {
  /** ISO-8601 or MediaWiki timestamp; with dir "newer" the earlier bound, with "older" the later one. */
  start?: string;
  end?: string;
  /** "newer" (oldest first) or "older" (MediaWiki's default, newest first). Default "newer". */
  dir?: "newer" | "older";
  namespaces?: number[];
  /** `arvlimit`, 1–500. Default 500. */
  limit?: number;
  /** Continuation returned by a previous page (resume a backfill). */
  continue?: Record<string, string>;
}

export interface AllRevisionsPage {
  revisions: RevisionSummary[];
  /** Pass back as `continue` to get the next page; undefined when done. */
  continue?: Record<string, string>;
}

/** MediaWiki JSON (formatversion=2), the parts we read. */
interface ApiRevision {
  revid: number;
  parentid?: number;
  minor?: boolean;
  user?: string;
  userid?: number;
  anon?: boolean;
  temp?: boolean;
  userhidden?: boolean;
  timestamp?: string;
  size?: number;
  comment?: string;
  commenthidden?: boolean;
  tags?: string[];
  texthidden?: boolean;
  textmissing?: boolean;
  suppressed?: boolean;
  content?: string;
  "*"?: string;
  slots?: {
    main?: { content?: string; "*"?: string; texthidden?: boolean; textmissing?: boolean; missing?: boolean };
  };
}
interface ApiPage {
  pageid?: number;
  ns?: number;
  title?: string;
  missing?: boolean;
  invalid?: boolean;
  revisions?: ApiRevision[];
}
interface ApiUser {
  userid?: number;
  name?: string;
  missing?: boolean;
  invalid?: boolean;
  hidden?: boolean;
  groups?: string[];
}
interface ApiResponse {
  error?: { code?: string; info?: string };
  warnings?: unknown;
  continue?: Record<string, string>;
  batchcomplete?: boolean;
  query?: {
    pages?: ApiPage[];
    badrevids?: Record<string, { revid?: number; missing?: boolean }>;
    users?: ApiUser[];
    allrevisions?: ApiPage[];
  };
}

interface RawRevision {
  rev: ApiRevision;
  page: ApiPage;
}

interface UserInfo {
  missing: boolean;
  hidden: boolean;
  groups: string[];
}

/** A small FIFO semaphore (no dependency, runtime-agnostic). */
class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Retry-After: delay-seconds or an HTTP date → ms (undefined if absent or unreadable). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value == null || value.trim() === "") return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function slotText(rev: ApiRevision): string | undefined {
  const main = rev.slots?.main;
  return main?.content ?? main?.["*"] ?? rev.content ?? rev["*"];
}

function textHidden(rev: ApiRevision): boolean {
  return Boolean(rev.texthidden || rev.slots?.main?.texthidden);
}

/** `2024-01-02T03:04:05Z` → `20240102030405`; MediaWiki timestamps pass through. */
export function toMediaWikiTimestamp(ts: string): string {
  if (/^\d{14}$/.test(ts)) return ts;
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) throw new TypeError(`invalid timestamp: ${ts}`);
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:TZ]/g, "");
}

export class MediaWikiClient {
  readonly options: Readonly<
    Required<Omit<MediaWikiClientOptions, "hooks" | "fetch" | "sleep" | "random" | "extraParams">>
  >;
  private readonly hooks: MediaWikiHooks;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly extraParams: Record<string, string>;
  private readonly limiters = new Map<string, Semaphore>();

  constructor(options: MediaWikiClientOptions = {}) {
    const batchSize = options.batchSize ?? MAX_IDS_PER_REQUEST;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 500) {
      throw new RangeError("batchSize must be an integer in 1..500");
    }
    this.options = {
      apiBase: (options.apiBase ?? DEFAULT_API_BASE).replace(/\/+$/, ""),
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: Math.max(0, options.retries ?? 3),
      retryBaseDelayMs: options.retryBaseDelayMs ?? 250,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 10_000,
      concurrencyPerHost: Math.max(1, options.concurrencyPerHost ?? 4),
      batchSize,
      fetchUsers: options.fetchUsers ?? true,
      maxContinuations: options.maxContinuations ?? 100,
    };
    // Metrics hooks must never break a fetch: exceptions they throw are swallowed.
    const hooks = options.hooks ?? {};
    const guard =
      <E>(fn: ((event: E) => void) | undefined) =>
      (event: E): void => {
        try {
          fn?.call(hooks, event);
        } catch {
          // ignored
        }
      };
    this.hooks = {
      onFetch: guard(hooks.onFetch),
      onRetry: guard(hooks.onRetry),
      onRevisionError: guard(hooks.onRevisionError),
    };
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.extraParams = { ...(options.extraParams ?? {}) };
  }

  /** The api.php URL for a wiki (host from the resolved allow-list entry only). */
  apiUrl(wiki: Pick<ResolvedWiki, "host" | "lang">): string {
    const base = this.options.apiBase
      .replaceAll("{host}", wiki.host)
      .replaceAll("{lang}", encodeURIComponent(wiki.lang));
    return `${base}/w/api.php`;
  }

  // ---------------------------------------------------------------------------------------------
  // High level

  /**
   * Validates `lang` (resolveWiki: canonical set, `wiki` suffix, `test`) and then fetches. A bad `lang`
   * throws `WikiValidationError` (400-class) before any HTTP call.
   */
  async getRevisionsByLang(
    lang: unknown,
    revIds: readonly number[],
    options: CallOptions & ResolveWikiOptions = {},
  ): Promise<Map<number, RevisionResult>> {
    return this.getRevisions(resolveWiki(lang, options), revIds, options);
  }

  /** One revision; see `getRevisions`. */
  async getRevision(wiki: ResolvedWiki, revId: number, options: CallOptions = {}): Promise<RevisionResult> {
    return (await this.getRevisions(wiki, [revId], options)).get(revId)!;
  }

  /**
   * `RevisionData` (or an error) for every requested rev_id of one wiki. Never throws for data or
   * transport problems (they become per-revision errors); throws only if `signal` aborts.
   * The map has one entry per distinct requested id.
   */
  async getRevisions(
    wiki: ResolvedWiki,
    revIds: readonly number[],
    options: CallOptions = {},
  ): Promise<Map<number, RevisionResult>> {
    const { signal } = options;
    const results = new Map<number, RevisionResult>();
    const ids: number[] = [];
    for (const id of new Set(revIds)) {
      if (Number.isSafeInteger(id) && id > 0) ids.push(id);
      else results.set(id, this.fail(wiki, id, "revision_missing", `invalid revision id ${String(id)}`));
    }
    const raw = new Map<number, RawRevision>();
    const missing = new Set<number>();
    const failed = new Map<number, MediaWikiTransportError>();

    await this.fetchRevisionsInto(wiki, ids, "revisions", raw, missing, failed, signal);

    const parentIds = new Set<number>();
    for (const id of ids) {
      const parentId = raw.get(id)?.rev.parentid ?? 0;
      if (parentId > 0 && !raw.has(parentId) && !missing.has(parentId)) parentIds.add(parentId);
    }
    await this.fetchRevisionsInto(wiki, [...parentIds], "parents", raw, missing, failed, signal);

    let users = new Map<number, UserInfo>();
    const userFailures = new Map<number, MediaWikiTransportError>();
    if (this.options.fetchUsers) {
      const userIds = new Set<number>();
      for (const id of ids) {
        const rev = raw.get(id)?.rev;
        if (rev && !rev.userhidden && (rev.userid ?? 0) > 0) userIds.add(rev.userid!);
      }
      users = await this.fetchUsers(wiki, [...userIds], userFailures, signal);
    }

    for (const id of ids) results.set(id, this.assemble(wiki, id, raw, missing, failed, users, userFailures));
    return results;
  }

  /** Groups of registered users by id (`list=users&ususerids=…&usprop=groups`), batched. */
  async getUserGroups(
    wiki: ResolvedWiki,
    userIds: readonly number[],
    options: CallOptions = {},
  ): Promise<Map<number, { missing: boolean; hidden: boolean; groups: string[] }>> {
    const failures = new Map<number, MediaWikiTransportError>();
    const users = await this.fetchUsers(
      wiki,
      [...new Set(userIds)].filter((u) => u > 0),
      failures,
      options.signal,
    );
    const first = failures.values().next();
    if (!first.done) throw first.value;
    return users;
  }

  /** One page of `list=allrevisions` (for a resumable backfill: persist `continue`). */
  async getAllRevisionsPage(
    wiki: ResolvedWiki,
    options: AllRevisionsOptions = {},
  ): Promise<AllRevisionsPage> {
    const dir = options.dir ?? "newer";
    const params: Record<string, string> = {
      action: "query",
      list: "allrevisions",
      arvprop: ALLREVISIONS_PROPS,
      arvlimit: String(Math.min(500, Math.max(1, options.limit ?? 500))),
      arvdir: dir,
    };
    if (options.start) params.arvstart = toMediaWikiTimestamp(options.start);
    if (options.end) params.arvend = toMediaWikiTimestamp(options.end);
    if (options.namespaces?.length) params.arvnamespace = options.namespaces.join("|");
    Object.assign(params, options.continue ?? {});
    const body = await this.query(wiki, params, { signal: options.signal, op: "allrevisions" });
    const revisions: RevisionSummary[] = [];
    for (const page of body.query?.allrevisions ?? []) {
      for (const rev of page.revisions ?? []) revisions.push(toSummary(rev, page));
    }
    // MediaWiki groups the rows by page; restore the enumeration order.
    const sign = dir === "newer" ? 1 : -1;
    revisions.sort(
      (a, b) => sign * (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.revId - b.revId),
    );
    return { revisions, continue: body.continue };
  }

  /** Every revision of a wiki in a time range (`list=allrevisions`), following continuation. */
  async *listAllRevisions(
    wiki: ResolvedWiki,
    options: AllRevisionsOptions = {},
  ): AsyncGenerator<RevisionSummary> {
    let cont = options.continue;
    while (true) {
      const page = await this.getAllRevisionsPage(wiki, { ...options, continue: cont });
      yield* page.revisions;
      if (!page.continue) return;
      cont = page.continue;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Low level

  /**
   * One API call with retries (per-host concurrency limit, per-attempt timeout, backoff honouring
   * Retry-After). Adds `format=json&formatversion=2`. Throws `MediaWikiTransportError`.
   */
  async query(
    wiki: Pick<ResolvedWiki, "host" | "lang">,
    params: Record<string, string>,
    options: CallOptions & { op?: MediaWikiOperation } = {},
  ): Promise<ApiResponse> {
    const op = options.op ?? "query";
    const search = new URLSearchParams({
      ...this.extraParams,
      ...params,
      format: "json",
      formatversion: "2",
    });
    const url = `${this.apiUrl(wiki)}?${search.toString()}`;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        const { body, status } = await this.limiter(wiki.host).run(() =>
          this.attempt(url, wiki.host, options.signal),
        );
        this.hooks.onFetch?.({
          host: wiki.host,
          op,
          attempt,
          durationMs: Date.now() - started,
          status,
          outcome: "ok",
        });
        return body;
      } catch (e) {
        const error =
          e instanceof MediaWikiTransportError
            ? e
            : new MediaWikiTransportError("network", String(e), {
                host: wiki.host,
                retryable: true,
                cause: e,
              });
        error.attempts = attempt;
        const retry = error.retryable && attempt <= this.options.retries && !options.signal?.aborted;
        this.hooks.onFetch?.({
          host: wiki.host,
          op,
          attempt,
          durationMs: Date.now() - started,
          status: error.status,
          outcome: retry ? "retry" : "error",
          errorKind: error.kind,
          apiCode: error.apiCode,
        });
        if (!retry) throw error;
        const backoff = this.options.retryBaseDelayMs * 2 ** (attempt - 1) * (0.5 + this.random() / 2);
        const delayMs = Math.round(Math.min(this.options.retryMaxDelayMs, error.retryAfterMs ?? backoff));
        this.hooks.onRetry?.({ host: wiki.host, op, attempt, delayMs, error });
        try {
          await this.sleep(delayMs, options.signal);
        } catch (abortReason) {
          throw this.abortError(wiki.host, abortReason);
        }
      }
    }
  }

  private limiter(host: string): Semaphore {
    let s = this.limiters.get(host);
    if (!s) {
      s = new Semaphore(this.options.concurrencyPerHost);
      this.limiters.set(host, s);
    }
    return s;
  }

  private abortError(host: string, reason: unknown): MediaWikiTransportError {
    return new MediaWikiTransportError("aborted", "request aborted", {
      host,
      retryable: false,
      cause: reason,
    });
  }

  private async attempt(
    url: string,
    host: string,
    signal?: AbortSignal,
  ): Promise<{ body: ApiResponse; status: number }> {
    if (signal?.aborted) throw this.abortError(host, signal.reason);
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(url, {
        method: "GET",
        headers: { "User-Agent": this.options.userAgent, Accept: "application/json" },
        signal: combined,
      });
      text = await res.text();
    } catch (e) {
      if (signal?.aborted) throw this.abortError(host, signal.reason);
      if (timeout.aborted) {
        throw new MediaWikiTransportError(
          "timeout",
          `MediaWiki request timed out after ${this.options.timeoutMs} ms`,
          {
            host,
            retryable: true,
            cause: e,
          },
        );
      }
      throw new MediaWikiTransportError(
        "network",
        `MediaWiki request failed: ${(e as Error)?.message ?? e}`,
        {
          host,
          retryable: true,
          cause: e,
        },
      );
    }
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    if (!res.ok) {
      const retryable = res.status === 429 || res.status === 408 || res.status >= 500;
      throw new MediaWikiTransportError("http", `MediaWiki answered HTTP ${res.status}`, {
        host,
        retryable,
        status: res.status,
        retryAfterMs,
      });
    }
    let body: ApiResponse;
    try {
      body = JSON.parse(text) as ApiResponse;
    } catch (e) {
      throw new MediaWikiTransportError("bad_response", "MediaWiki response is not JSON", {
        host,
        retryable: false,
        status: res.status,
        cause: e,
      });
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new MediaWikiTransportError("bad_response", "MediaWiki response is not a JSON object", {
        host,
        retryable: false,
        status: res.status,
      });
    }
    if (body.error) {
      const code = String(body.error.code ?? "unknown");
      throw new MediaWikiTransportError("api", `MediaWiki API error ${code}: ${body.error.info ?? ""}`, {
        host,
        retryable: RETRYABLE_API_CODES.has(code) || code.startsWith("internal_api_error_"),
        status: res.status,
        apiCode: code,
        retryAfterMs,
      });
    }
    return { body, status: res.status };
  }

  /** Batched `prop=revisions&revids=…` with continuation, into `raw` / `missing` / `failed`. */
  private async fetchRevisionsInto(
    wiki: ResolvedWiki,
    ids: readonly number[],
    op: MediaWikiOperation,
    raw: Map<number, RawRevision>,
    missing: Set<number>,
    failed: Map<number, MediaWikiTransportError>,
    signal?: AbortSignal,
  ): Promise<void> {
    if (ids.length === 0) return;
    await Promise.all(
      chunk(ids, this.options.batchSize).map(async (batch) => {
        let cont: Record<string, string> | undefined;
        try {
          for (let round = 0; ; round++) {
            const body = await this.query(
              wiki,
              {
                action: "query",
                prop: "revisions",
                revids: batch.join("|"),
                rvprop: REVISION_PROPS,
                rvslots: "main",
                ...cont,
              },
              { signal, op },
            );
            for (const [key, bad] of Object.entries(body.query?.badrevids ?? {}))
              missing.add(bad?.revid ?? Number(key));
            for (const page of body.query?.pages ?? []) {
              for (const rev of page.revisions ?? []) raw.set(rev.revid, { rev, page });
            }
            if (!body.continue) break;
            if (round + 1 >= this.options.maxContinuations) {
              throw new MediaWikiTransportError("bad_response", "too many continuation rounds", {
                host: wiki.host,
                retryable: false,
              });
            }
            cont = body.continue;
          }
          for (const id of batch) if (!raw.has(id)) missing.add(id);
        } catch (e) {
          if (e instanceof MediaWikiTransportError && e.kind === "aborted") throw e;
          const err = e instanceof MediaWikiTransportError ? e : this.unexpected(wiki.host, e);
          for (const id of batch) if (!raw.has(id) && !missing.has(id)) failed.set(id, err);
        }
      }),
    );
    if (signal?.aborted) throw this.abortError(wiki.host, signal.reason);
  }

  private unexpected(host: string, e: unknown): MediaWikiTransportError {
    return new MediaWikiTransportError(
      "bad_response",
      `unexpected MediaWiki response: ${(e as Error)?.message ?? e}`,
      {
        host,
        retryable: false,
        cause: e,
      },
    );
  }

  private async fetchUsers(
    wiki: ResolvedWiki,
    userIds: readonly number[],
    failures: Map<number, MediaWikiTransportError>,
    signal?: AbortSignal,
  ): Promise<Map<number, UserInfo>> {
    const users = new Map<number, UserInfo>();
    await Promise.all(
      chunk(userIds, this.options.batchSize).map(async (batch) => {
        try {
          const body = await this.query(
            wiki,
            { action: "query", list: "users", ususerids: batch.join("|"), usprop: "groups" },
            { signal, op: "users" },
          );
          for (const u of body.query?.users ?? []) {
            if (typeof u.userid !== "number") continue;
            users.set(u.userid, {
              missing: Boolean(u.missing || u.invalid),
              hidden: Boolean(u.hidden),
              groups: Array.isArray(u.groups) ? u.groups : [],
            });
          }
          for (const id of batch)
            if (!users.has(id)) users.set(id, { missing: true, hidden: false, groups: [] });
        } catch (e) {
          if (e instanceof MediaWikiTransportError && e.kind === "aborted") throw e;
          const err = e instanceof MediaWikiTransportError ? e : this.unexpected(wiki.host, e);
          for (const id of batch) failures.set(id, err);
        }
      }),
    );
    if (signal?.aborted) throw this.abortError(wiki.host, signal.reason);
    return users;
  }

  private fail(
    wiki: Pick<ResolvedWiki, "host">,
    revId: number,
    code: RevisionErrorCode,
    message: string,
    transport?: MediaWikiTransportError,
  ): RevisionResult {
    const error: RevisionError = { code, revId, message, retryable: code === "mediawiki_unavailable" };
    if (transport) {
      error.transport = {
        kind: transport.kind,
        status: transport.status,
        apiCode: transport.apiCode,
        attempts: transport.attempts,
      };
    }
    this.hooks.onRevisionError?.({ host: wiki.host, error });
    return { ok: false, revId, error };
  }

  private transportFail(
    wiki: ResolvedWiki,
    revId: number,
    err: MediaWikiTransportError,
    what: string,
  ): RevisionResult {
    return this.fail(
      wiki,
      revId,
      err.retryable ? "mediawiki_unavailable" : "mediawiki_error",
      `${what}: ${err.message}`,
      err,
    );
  }

  private assemble(
    wiki: ResolvedWiki,
    revId: number,
    raw: Map<number, RawRevision>,
    missing: Set<number>,
    failed: Map<number, MediaWikiTransportError>,
    users: Map<number, UserInfo>,
    userFailures: Map<number, MediaWikiTransportError>,
  ): RevisionResult {
    const failure = failed.get(revId);
    if (failure) return this.transportFail(wiki, revId, failure, `fetching revision ${revId}`);
    const entry = raw.get(revId);
    if (!entry || missing.has(revId))
      return this.fail(wiki, revId, "revision_missing", `revision ${revId} does not exist`);
    const { rev, page } = entry;
    if (page.missing || page.invalid || !page.pageid) {
      return this.fail(wiki, revId, "page_missing", `the page of revision ${revId} does not exist`);
    }
    if (textHidden(rev) || rev.userhidden) {
      const what = [textHidden(rev) && "text", rev.userhidden && "user"].filter(Boolean).join(" and ");
      const how = rev.suppressed ? "suppressed" : "deleted";
      return this.fail(wiki, revId, "revision_info_deleted", `revision ${revId}: ${what} ${how}`);
    }
    const text = slotText(rev);
    if (text === undefined)
      return this.fail(wiki, revId, "revision_missing", `revision ${revId}: content missing`);

    const parentId = rev.parentid ?? 0;
    if (parentId <= 0) {
      return this.fail(
        wiki,
        revId,
        "parent_revision_missing",
        `revision ${revId} has no parent (page creation)`,
      );
    }
    const parentFailure = failed.get(parentId);
    if (parentFailure)
      return this.transportFail(wiki, revId, parentFailure, `fetching parent revision ${parentId}`);
    const parent = raw.get(parentId)?.rev;
    if (!parent || missing.has(parentId)) {
      return this.fail(wiki, revId, "parent_revision_missing", `parent revision ${parentId} does not exist`);
    }
    if (textHidden(parent)) {
      const how = parent.suppressed ? "suppressed" : "deleted";
      return this.fail(
        wiki,
        revId,
        "parent_revision_info_deleted",
        `parent revision ${parentId}: text ${how}`,
      );
    }
    const parentText = slotText(parent);
    if (parentText === undefined) {
      return this.fail(
        wiki,
        revId,
        "parent_revision_missing",
        `parent revision ${parentId}: content missing`,
      );
    }

    const userId = rev.userid ?? 0;
    let userGroups: string[] = userId > 0 ? [] : ["*"];
    if (userId > 0 && this.options.fetchUsers) {
      const userFailure = userFailures.get(userId);
      if (userFailure) return this.transportFail(wiki, revId, userFailure, `fetching user ${userId}`);
      const user = users.get(userId);
      if (!user || user.missing)
        return this.fail(wiki, revId, "user_missing", `user ${userId} does not exist`);
      if (user.hidden) return this.fail(wiki, revId, "revision_info_deleted", `user ${userId} is hidden`);
      userGroups = user.groups;
    }

    const data: RevisionData = {
      lang: wiki.lang,
      wikiDb: wiki.wikiDb,
      revId,
      parentId,
      text,
      parentText,
      bytes: rev.size ?? 0,
      parentBytes: parent.size ?? 0,
      tags: rev.tags ?? [],
      timestamp: rev.timestamp ?? "",
      parentTimestamp: parent.timestamp,
      pageId: page.pageid,
      pageTitle: page.title ?? "",
      namespace: page.ns,
      userId,
      userText: rev.user,
      userGroups,
    };
    return { ok: true, revId, data };
  }
}

function toSummary(rev: ApiRevision, page: ApiPage): RevisionSummary {
  return {
    revId: rev.revid,
    parentId: rev.parentid ?? 0,
    pageId: page.pageid ?? 0,
    pageTitle: page.title ?? "",
    namespace: page.ns ?? 0,
    timestamp: rev.timestamp ?? "",
    bytes: rev.size ?? 0,
    userId: rev.userid ?? 0,
    userText: rev.user,
    anonymous: Boolean(rev.anon),
    minor: Boolean(rev.minor),
    tags: rev.tags ?? [],
    comment: rev.comment,
    userHidden: Boolean(rev.userhidden),
    commentHidden: Boolean(rev.commenthidden),
    suppressed: Boolean(rev.suppressed),
  };
}

/**
 * Client options from environment variables (runtime-agnostic: pass `process.env` or a Worker's env).
 * REVRISK_MW_API_BASE, REVRISK_MW_USER_AGENT, REVRISK_MW_TIMEOUT_MS, REVRISK_MW_RETRIES,
 * REVRISK_MW_RETRY_BASE_DELAY_MS, REVRISK_MW_RETRY_MAX_DELAY_MS, REVRISK_MW_CONCURRENCY, REVRISK_MW_BATCH_SIZE.
 */
export function mediaWikiOptionsFromEnv(env: Record<string, string | undefined>): MediaWikiClientOptions {
  const num = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v.trim() === "") return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a non-negative number, got ${v}`);
    return n;
  };
  const options: MediaWikiClientOptions = {};
  if (env.REVRISK_MW_API_BASE) options.apiBase = env.REVRISK_MW_API_BASE;
  if (env.REVRISK_MW_USER_AGENT) options.userAgent = env.REVRISK_MW_USER_AGENT;
  const set = <K extends keyof MediaWikiClientOptions>(key: K, name: string) => {
    const n = num(name);
    if (n !== undefined) (options as Record<string, unknown>)[key] = n;
  };
  set("timeoutMs", "REVRISK_MW_TIMEOUT_MS");
  set("retries", "REVRISK_MW_RETRIES");
  set("retryBaseDelayMs", "REVRISK_MW_RETRY_BASE_DELAY_MS");
  set("retryMaxDelayMs", "REVRISK_MW_RETRY_MAX_DELAY_MS");
  set("concurrencyPerHost", "REVRISK_MW_CONCURRENCY");
  set("batchSize", "REVRISK_MW_BATCH_SIZE");
  return options;
}
