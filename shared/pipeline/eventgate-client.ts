/**
 * EventGate client (runtime-agnostic, fetch-based): POSTs arrays of events to `/v1/events` and
 * reports, per event, which were accepted and why the others failed (EventGate's 201 / 202 / 207 /
 * 400 / 500 contract, eventgate.md §2). Timeouts per attempt; retries with exponential backoff on
 * network errors, timeouts and 5xx (p-retry), except a 500 whose failures are all missing schemas.
 */
import pRetry, { AbortError } from "p-retry";

export const DEFAULT_USER_AGENT = "revrisk/0.1.0 (revert-risk prediction events; EventGate client)";

export interface EventGateClientOptions {
  /** Full events URL, e.g. http://127.0.0.1:8192/v1/events */
  url: string;
  /** Per-attempt timeout. Default 5000 ms (LiftWing's). */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  userAgent?: string;
  /** Send `?hasty=true` (202 before validation; failures are not reported). Default false. */
  hasty?: boolean;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

export interface EventFailure {
  /** Position of the event in the posted array (-1 when it could not be matched). */
  index: number;
  status: "invalid" | "error";
  /** Ajv's errorsText for invalid events, the error message for errored ones. */
  reason: string;
  context?: unknown;
}

export interface PostResult {
  status: number;
  statusText: string;
  /** Events EventGate accepted (for hasty posts: received). */
  accepted: number;
  failed: EventFailure[];
  hasty: boolean;
  attempts: number;
}

export class EventGateError extends Error {
  readonly status?: number;
  readonly body?: string;
  constructor(message: string, status?: number, body?: string) {
    super(message);
    this.name = "EventGateError";
    this.status = status;
    this.body = body;
  }
}

interface EventGateBody {
  invalid?: Array<{ status: string; event: unknown; context?: { errorsText?: string; message?: string } }>;
  error?: Array<{ status: string; event: unknown; context?: { errorsText?: string; message?: string } }>;
}

class RetryableStatus extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, statusText: string, body: string) {
    super(`EventGate answered ${status} ${statusText}`);
    this.status = status;
    this.body = body;
  }
}

/** Maps the `{invalid, error}` entries of a 207/400/500 body back to positions in the posted array. */
export function matchFailures(posted: readonly unknown[], body: EventGateBody): EventFailure[] {
  const positions = new Map<string, number[]>();
  posted.forEach((e, i) => {
    const k = JSON.stringify(e);
    positions.set(k, [...(positions.get(k) ?? []), i]);
  });
  const out: EventFailure[] = [];
  for (const status of ["invalid", "error"] as const) {
    for (const f of body[status] ?? []) {
      const idx = positions.get(JSON.stringify(f.event))?.shift() ?? -1;
      out.push({
        index: idx,
        status,
        reason: f.context?.errorsText ?? f.context?.message ?? status,
        context: f.context,
      });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

export class EventGateClient {
  readonly options: EventGateClientOptions;

  constructor(options: EventGateClientOptions) {
    this.options = options;
  }

  /** Posts one event or an array. Throws EventGateError on transport failure or a non-EventGate answer. */
  async post(events: object | readonly object[]): Promise<PostResult> {
    const list = Array.isArray(events) ? (events as object[]) : [events];
    const o = this.options;
    const url = new URL(o.url);
    if (o.hasty) url.searchParams.set("hasty", "true");
    const doFetch = o.fetch ?? fetch;
    const body = JSON.stringify(list);
    let attempts = 0;

    const attempt = async (): Promise<PostResult> => {
      attempts++;
      let res: Response;
      let text: string;
      try {
        res = await doFetch(url, {
          method: "POST",
          body,
          headers: {
            "content-type": "application/json",
            "user-agent": o.userAgent ?? DEFAULT_USER_AGENT,
            ...o.headers,
          },
          signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
        });
        text = await res.text();
      } catch (e) {
        const err = e as Error;
        const msg = err.name === "TimeoutError" ? `timed out after ${o.timeoutMs ?? 5000} ms` : err.message;
        // Network errors (TypeError "fetch failed") and timeouts are retried.
        throw new EventGateError(`EventGate request failed: ${msg}`);
      }
      const statusText = res.statusText;
      let parsed: EventGateBody | undefined;
      try {
        parsed = text ? (JSON.parse(text) as EventGateBody) : undefined;
      } catch {
        parsed = undefined;
      }
      const result = (accepted: number, failed: EventFailure[]): PostResult => ({
        status: res.status,
        statusText,
        accepted,
        failed,
        hasty: res.status === 202,
        attempts,
      });
      switch (res.status) {
        case 201:
          return result(list.length, []);
        case 202:
          return result(list.length, []);
        case 207:
        case 400: {
          if (res.status === 400 && !parsed)
            throw new AbortError(new EventGateError(`EventGate 400 ${statusText}`, 400, text));
          const failed = matchFailures(list, parsed ?? {});
          return result(list.length - failed.length, failed);
        }
        default:
          if (res.status >= 500) {
            const failed =
              parsed && (parsed.invalid || parsed.error) ? matchFailures(list, parsed) : undefined;
            const permanent = failed?.every(
              (f) => f.status === "invalid" || /^Failed loading schema/.test(f.reason),
            );
            if (failed && permanent) return result(list.length - failed.length, failed);
            throw new RetryableStatus(res.status, statusText, text);
          }
          throw new AbortError(
            new EventGateError(`EventGate answered ${res.status} ${statusText}`, res.status, text),
          );
      }
    };

    try {
      return await pRetry(attempt, {
        retries: o.retries ?? 3,
        minTimeout: o.minBackoffMs ?? 200,
        maxTimeout: o.maxBackoffMs ?? 5000,
        factor: 2,
        randomize: true,
      });
    } catch (e) {
      if (e instanceof RetryableStatus) {
        throw new EventGateError(`${e.message} after ${attempts} attempt(s)`, e.status, e.body);
      }
      if (e instanceof EventGateError && e.status === undefined) {
        throw new EventGateError(`${e.message} (after ${attempts} attempt(s))`);
      }
      throw e;
    }
  }
}
