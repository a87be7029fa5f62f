/**
 * Ingest: the runtime-agnostic core of the ingest function (Hono app). Takes page_change events
 * (one object, a JSON array, or NDJSON), validates them, filters them like changeprop's RRML rule
 * (docs/events.md, "Ingest"), and enqueues the accepted ones as v1 queue messages. Used by the Node adapter
 * (`functions/ingest/node.ts`), the Workers adapter (`functions/ingest/worker.ts`) and the
 * EventStreams source.
 *
 * Response contract of `POST /v1/events` (JSON body `IngestResult`):
 * - 202: at least one event was valid (accepted or filtered), or the body held only valid events;
 *   invalid events in the same batch are listed in `errors` (`{index, errors: ["path: problem"]}`),
 *   including events the queue refuses for what they are (too deep, too large: see
 *   `encodeMessage`), so the other events of the request are still enqueued.
 * - 400: nothing valid (every event invalid, empty body, malformed JSON); same body + `error`.
 * - 401: missing/wrong bearer token (when a token is configured). 413: body over the limit.
 * - 405: another method than POST (with `Allow: POST`).
 * - 503: the queue did not take (some of) the accepted events for a transient reason; retry the request (at-least-once:
 *   re-sent events produce the same deterministic prediction `meta.id`).
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  classify,
  compileFilter,
  parsePageChange,
  SKIP_REASONS,
  type CompiledFilter,
  type FilterConfig,
  type SkipReason,
} from "../events/page-change.ts";
import { toMessage, type Queue, type QueueMessage } from "../queue/queue.ts";

/** The default limit on a `POST /v1/events` body (`--max-body-bytes`, `MAX_BODY_BYTES`): 5 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface IngestConfig {
  filter: FilterConfig;
  /** Bearer token required on POST /v1/events; undefined or "" disables auth (local use only). */
  token?: string;
  /** Body size limit in bytes. Default 5 MiB. */
  maxBodyBytes?: number;
  /** Most events in one request. Default 5000. */
  maxEvents?: number;
  /** Most per-event error entries returned. Default 100. */
  maxErrors?: number;
  /**
   * GET /healthz reports the queue depth (needs sqs:GetQueueAttributes). Default true; the Worker
   * turns it off because its IAM user may only send.
   */
  healthQueueDepth?: boolean;
}

export interface IngestResult {
  received: number;
  accepted: number;
  filtered: number;
  invalid: number;
  enqueue_failed: number;
  /** Filtered events by reason. */
  skipped: Partial<Record<SkipReason, number>>;
  errors: Array<{ index: number; errors: string[] }>;
  /** Present on 4xx/5xx. */
  error?: string;
}

/** In-memory counters, exposed as Prometheus text on GET /metrics (works on any runtime). */
export class IngestMetrics {
  requests = new Map<string, number>();
  events = { accepted: 0, filtered: 0, invalid: 0, enqueue_failed: 0 };
  skipped = new Map<string, number>(SKIP_REASONS.map((r) => [r, 0]));

  countRequest(status: number): void {
    const k = String(status);
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
  }

  add(r: IngestResult): void {
    this.events.accepted += r.accepted;
    this.events.filtered += r.filtered;
    this.events.invalid += r.invalid;
    this.events.enqueue_failed += r.enqueue_failed;
    for (const [k, v] of Object.entries(r.skipped))
      this.skipped.set(k, (this.skipped.get(k) ?? 0) + (v ?? 0));
  }

  snapshot() {
    return {
      requests: Object.fromEntries(this.requests),
      events: { ...this.events },
      skipped: Object.fromEntries(this.skipped),
    };
  }

  toPrometheus(): string {
    const lines = [
      "# HELP revrisk_ingest_requests_total Ingest HTTP requests by status.",
      "# TYPE revrisk_ingest_requests_total counter",
      ...[...this.requests].map(([s, n]) => `revrisk_ingest_requests_total{status="${s}"} ${n}`),
      "# HELP revrisk_ingest_events_total Ingested events by outcome.",
      "# TYPE revrisk_ingest_events_total counter",
      ...Object.entries(this.events).map(([o, n]) => `revrisk_ingest_events_total{outcome="${o}"} ${n}`),
      "# HELP revrisk_ingest_skipped_total Filtered events by skip reason.",
      "# TYPE revrisk_ingest_skipped_total counter",
      ...[...this.skipped].map(([r, n]) => `revrisk_ingest_skipped_total{reason="${r}"} ${n}`),
    ];
    return lines.join("\n") + "\n";
  }
}

function emptyResult(): IngestResult {
  return { received: 0, accepted: 0, filtered: 0, invalid: 0, enqueue_failed: 0, skipped: {}, errors: [] };
}

export interface ProcessDeps {
  queue: Queue;
  filter: FilterConfig | CompiledFilter;
  metrics?: IngestMetrics;
  maxErrors?: number;
}

/**
 * Validates, filters and enqueues already-parsed values (the core shared by HTTP and EventStreams).
 * `preErrors` are parse errors found by the caller (e.g. a bad NDJSON line), counted as invalid.
 */
export async function processEvents(
  values: readonly unknown[],
  deps: ProcessDeps,
  preErrors: Array<{ index: number; errors: string[] }> = [],
  indexes?: readonly number[],
): Promise<IngestResult> {
  const filter = compileFilter(deps.filter);
  const maxErrors = deps.maxErrors ?? 100;
  const r = emptyResult();
  r.received = values.length + preErrors.length;
  const pushError = (e: { index: number; errors: string[] }) => {
    r.invalid++;
    if (r.errors.length < maxErrors) r.errors.push(e);
  };
  for (const e of preErrors) pushError(e);
  const out: QueueMessage[] = [];
  const outIndex: number[] = [];
  values.forEach((value, i) => {
    const index = indexes?.[i] ?? i;
    const p = parsePageChange(value);
    if (!p.ok) return pushError({ index, errors: p.errors });
    const c = classify(p.event, filter);
    if (!c.accept) {
      r.filtered++;
      r.skipped[c.reason] = (r.skipped[c.reason] ?? 0) + 1;
      return;
    }
    out.push(toMessage(c.wiki, c.revId, value as Record<string, unknown>));
    outIndex.push(index);
  });
  if (out.length) {
    try {
      const s = await deps.queue.sendBatch(out);
      r.accepted = s.sent;
      // A message the queue refuses for what it is (too large, too deep) fails on every retry: it
      // is this event's error, and the request's other events stay enqueued.
      for (const f of s.failed) {
        if (f.permanent) pushError({ index: outIndex[f.index]!, errors: [f.error] });
        else r.enqueue_failed++;
      }
      const transient = s.failed.find((f) => !f.permanent);
      if (transient) r.error = `queue: ${transient.error}`;
    } catch (e) {
      r.enqueue_failed = out.length;
      r.error = `queue: ${(e as Error).message}`;
    }
  }
  r.errors.sort((a, b) => a.index - b.index);
  deps.metrics?.add(r);
  return r;
}

/** Splits a request body into values: one JSON object, a JSON array, or NDJSON (one object per line). */
export function parseBody(
  text: string,
  contentType: string,
):
  | { values: unknown[]; indexes?: number[]; errors: Array<{ index: number; errors: string[] }> }
  | { fatal: string } {
  const trimmed = text.trim();
  if (!trimmed) return { fatal: "Request body was empty. Must provide JSON encoded events." };
  const ndjson = /ndjson|jsonl|json-seq/i.test(contentType);
  if (!ndjson) {
    try {
      const v = JSON.parse(trimmed) as unknown;
      if (Array.isArray(v)) {
        if (v.length === 0) return { fatal: "Request body was empty. Must provide JSON encoded events." };
        return { values: v, errors: [] };
      }
      return { values: [v], errors: [] };
    } catch (e) {
      if (!trimmed.includes("\n")) return { fatal: `malformed JSON: ${(e as Error).message}` };
      // fall through: several lines, treat as NDJSON
    }
  }
  const values: unknown[] = [];
  const indexes: number[] = [];
  const errors: Array<{ index: number; errors: string[] }> = [];
  let index = 0;
  for (const line of trimmed.split("\n")) {
    if (!line.trim()) continue;
    try {
      values.push(JSON.parse(line) as unknown);
      indexes.push(index);
    } catch (e) {
      errors.push({ index, errors: [`(line ${index + 1}): malformed JSON: ${(e as Error).message}`] });
    }
    index++;
  }
  return { values, indexes, errors };
}

function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

export interface IngestAppOptions {
  queue: Queue;
  config: IngestConfig;
  metrics?: IngestMetrics;
}

export function createIngestApp({ queue, config, metrics = new IngestMetrics() }: IngestAppOptions): Hono {
  const filter = compileFilter(config.filter);
  const maxBody = config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxEvents = config.maxEvents ?? 5000;
  const app = new Hono();

  app.get("/healthz", async (c) => {
    if (config.healthQueueDepth === false) return c.json({ status: "ok", queue: queue.kind });
    try {
      const depth = await queue.depth();
      return c.json({ status: "ok", queue: queue.kind, depth });
    } catch (e) {
      return c.json({ status: "degraded", queue: queue.kind, error: (e as Error).message }, 503);
    }
  });

  app.get("/metrics", (c) =>
    c.text(metrics.toPrometheus(), 200, { "content-type": "text/plain; version=0.0.4" }),
  );

  const reply = (status: 202 | 400 | 401 | 405 | 413 | 503, body: IngestResult) => {
    metrics.countRequest(status);
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };
  const fail = (status: 400 | 401 | 405 | 413, error: string) => reply(status, { ...emptyResult(), error });

  app.post(
    "/v1/events",
    async (c, next) => {
      if (config.token) {
        const h = c.req.header("authorization") ?? "";
        const m = /^Bearer\s+(.+)$/i.exec(h);
        if (!m || !safeEqual(m[1]!.trim(), config.token)) {
          const res = fail(401, "missing or invalid bearer token");
          res.headers.set("www-authenticate", 'Bearer realm="revrisk-ingest"');
          return res;
        }
      }
      await next();
    },
    bodyLimit({ maxSize: maxBody, onError: () => fail(413, `request body exceeds ${maxBody} bytes`) }),
    async (c) => {
      const parsed = parseBody(await c.req.text(), c.req.header("content-type") ?? "");
      if ("fatal" in parsed) return fail(400, parsed.fatal);
      if (parsed.values.length + parsed.errors.length > maxEvents) {
        return fail(413, `too many events in one request (max ${maxEvents})`);
      }
      const r = await processEvents(
        parsed.values,
        { queue, filter, metrics, maxErrors: config.maxErrors },
        parsed.errors,
        parsed.indexes,
      );
      if (r.enqueue_failed > 0) return reply(503, r);
      if (r.accepted + r.filtered === 0) return reply(400, { ...r, error: "no valid events" });
      return reply(202, r);
    },
  );

  // The path exists: another method is 405 naming the allowed one, not 404.
  app.all("/v1/events", () => {
    const res = fail(405, "method not allowed: POST page_change events to /v1/events");
    res.headers.set("allow", "POST");
    return res;
  });

  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => c.json({ error: err.message }, 500));
  return app;
}
