/**
 * The transport of the MediaWiki client: one Action API call (`GET {apiBase}/w/api.php`,
 * `format=json&formatversion=2`) with a per-host concurrency limit (p-limit), a per-attempt timeout,
 * retries with jittered exponential backoff honouring Retry-After, and metrics hooks; plus the client
 * options (and their REVRISK_MW_* environment form). Runtime-agnostic (fetch, AbortSignal, setTimeout).
 */
import pLimit, { type LimitFunction } from "p-limit";
import type { ResolvedWiki } from "../wikis/wikis.ts";
import type { ApiResponse } from "./api-json.ts";
import { MediaWikiTransportError, type RevisionError, type TransportErrorKind } from "./errors.ts";

const DEFAULT_USER_AGENT =
  "revrisk/0.1.0 (revert-risk scoring of Wikipedia edits; configure REVRISK_MW_USER_AGENT with a contact address)";
const DEFAULT_API_BASE = "https://{host}";
/** MediaWiki's multi-value limit for normal clients (`apihighlimits` raises it to 500). */
const MAX_IDS_PER_REQUEST = 50;
/** API error codes that are worth retrying (MediaWiki sends them with HTTP 200); `internal_api_error_*` too. */
const RETRYABLE_API_CODES: ReadonlySet<string> = new Set(["maxlag", "ratelimited", "readonly"]);

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

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Options, hooks and the retried, rate-limited `query`; the MediaWiki client's base class. */
export class MediaWikiTransport {
  readonly options: Readonly<
    Required<Omit<MediaWikiClientOptions, "hooks" | "fetch" | "sleep" | "random" | "extraParams">>
  >;
  /** Guarded: a hook that throws never breaks a fetch. */
  readonly hooks: MediaWikiHooks;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly extraParams: Record<string, string>;
  private readonly limiters = new Map<string, LimitFunction>();

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
        const { body, status } = await this.limiter(wiki.host)(() =>
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

  private limiter(host: string): LimitFunction {
    let limit = this.limiters.get(host);
    if (!limit) {
      limit = pLimit(this.options.concurrencyPerHost);
      this.limiters.set(host, limit);
    }
    return limit;
  }

  abortError(host: string, reason: unknown): MediaWikiTransportError {
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

  /** A response the client cannot read (not retried). */
  unexpected(host: string, e: unknown): MediaWikiTransportError {
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
}
