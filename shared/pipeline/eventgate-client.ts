/**
 * EventGate client (runtime-agnostic, fetch-based): POSTs arrays of events to `/v1/events` and
 * reports, per event, which were accepted and why the others failed (EventGate's 201 / 202 / 207 /
 * 400 / 500 contract, docs/events.md). Timeouts per attempt; retries with exponential backoff on
 * network errors, timeouts and 5xx (p-retry), except answers that a retry cannot change.
 *
 * It also owns the mapping from EventGate's answer to a per-event outcome ({@link EventGateClient.publish}):
 *  - accepted (201, 202 hasty, the accepted part of a 207);
 *  - rejected, final: the event is invalid for its schema, its schema cannot be loaded (an
 *    unpublished `$schema` version), its stream is not configured for that schema, a field EventGate
 *    needs is missing, or EventGate refused the request itself (4xx, body too large) — retrying
 *    cannot help, so the caller dead-letters it at once with EventGate's message;
 *  - retry: network errors, timeouts, 5xx without a final per-event reason (e.g. 503, Kafka errors).
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
  /** A retry cannot change the answer (EventGate refused the request itself). */
  readonly final: boolean;
  constructor(message: string, status?: number, body?: string, final = false) {
    super(message);
    this.name = "EventGateError";
    this.status = status;
    this.body = body;
    this.final = final;
  }
}

/** One event's outcome of a POST: what the caller does with its message. */
export type EventOutcome =
  | { status: "accepted" }
  /** Final: dead-letter with this reason (EventGate's own message). */
  | { status: "rejected"; reason: string }
  /** Transient: try again later. */
  | { status: "retry"; reason: string };

/**
 * EventGate's error messages (status "error") that a retry cannot change: the schema cannot be
 * loaded, the stream is not configured for the schema (production's stream rule), or a field
 * EventGate extracts is missing. Any other error (e.g. producing to Kafka) is transient.
 */
const FINAL_ERRORS = [
  /^Failed loading schema at /,
  /is not allowed in stream/,
  /were missing from event and could not be extracted/,
  /^Event stream name cannot be extracted/,
];

/** Whether a per-event failure is final (invalid, or an error no retry can fix). */
export function isFinalFailure(f: Pick<EventFailure, "status" | "reason">): boolean {
  return f.status === "invalid" || FINAL_ERRORS.some((re) => re.test(f.reason));
}

/** EventGate's own 500 answers to a request it cannot read (body over max_body_size, not JSON): final. */
const FINAL_REQUEST_ERRORS = new Set(["PayloadTooLargeError", "SyntaxError"]);

interface EventGateBody {
  title?: string;
  detail?: string;
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
            throw new AbortError(new EventGateError(`EventGate 400 ${statusText}`, 400, text, true));
          const failed = matchFailures(list, parsed ?? {});
          return result(list.length - failed.length, failed);
        }
        default:
          if (res.status >= 500) {
            const failed =
              parsed && (parsed.invalid || parsed.error) ? matchFailures(list, parsed) : undefined;
            if (failed && failed.every(isFinalFailure)) return result(list.length - failed.length, failed);
            if (parsed?.title && FINAL_REQUEST_ERRORS.has(parsed.title))
              throw new AbortError(
                new EventGateError(
                  `EventGate refused the request: ${parsed.title}: ${parsed.detail ?? ""}`,
                  res.status,
                  text,
                  true,
                ),
              );
            throw new RetryableStatus(res.status, statusText, text);
          }
          // 408 and 429 say "later"; any other 4xx (404, 413, …) is the request's fault.
          throw new AbortError(
            new EventGateError(
              `EventGate answered ${res.status} ${statusText}`,
              res.status,
              text,
              res.status !== 408 && res.status !== 429,
            ),
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

  /**
   * Checks that EventGate can take events of a schema on a stream, without producing one: posts one
   * probe event that names them but lacks every other required field. EventGate loads the schema
   * and applies the stream rule before validating, so an unknown schema or stream answers its final
   * error (→ `rejected`, with EventGate's message), and a known one answers "invalid" (→ `ok`).
   * `unreachable`: no answer that tells (network, 5xx): the caller decides.
   */
  async probe(
    schema: string,
    stream: string,
  ): Promise<{ status: "ok" } | { status: "rejected" | "unreachable"; reason: string }> {
    const [o] = await new EventGateClient({ ...this.options, hasty: false }).publish([
      { $schema: schema, meta: { stream } },
    ]);
    if (o!.status === "accepted") return { status: "ok" }; // an EventGate that does not validate at all
    if (o!.status === "retry") return { status: "unreachable", reason: o!.reason };
    return /^invalid: /.test(o!.reason) ? { status: "ok" } : { status: "rejected", reason: o!.reason };
  }

  /**
   * Posts events and maps EventGate's answer to one outcome per event, in order (see the module
   * comment). Never throws for EventGate's answers or transport failures.
   */
  async publish(events: readonly object[]): Promise<EventOutcome[]> {
    let r: PostResult;
    try {
      r = await this.post(events);
    } catch (e) {
      if (!(e instanceof EventGateError)) throw e;
      const o: EventOutcome = e.final
        ? { status: "rejected", reason: e.message }
        : { status: "retry", reason: e.message };
      return events.map(() => o);
    }
    return outcomesOf(events.length, r.failed);
  }
}

/** Per-event outcomes from a POST's failures; a failure EventGate reported without a position makes every unsettled event retry. */
export function outcomesOf(count: number, failed: ReadonlyArray<EventFailure>): EventOutcome[] {
  const out: EventOutcome[] = Array.from({ length: count }, () => ({ status: "accepted" as const }));
  for (const f of failed) {
    if (f.index >= 0 && f.index < count)
      out[f.index] = isFinalFailure(f)
        ? { status: "rejected", reason: `${f.status}: ${f.reason}` }
        : { status: "retry", reason: `${f.status}: ${f.reason}` };
  }
  if (failed.some((f) => f.index < 0))
    return out.map((o) =>
      o.status === "accepted" ? { status: "retry", reason: "unmatched EventGate failure" } : o,
    );
  return out;
}
