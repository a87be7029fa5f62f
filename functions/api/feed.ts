/**
 * The prediction feed of the API: `GET /v1/stream/predictions` (Server-Sent Events in Wikimedia
 * EventStreams' style: `event: message`, `data:` the prediction_classification_change event, `id:` a
 * JSON array `[{"topic","partition","offset"}]` to send back as `Last-Event-ID`) and
 * `GET /v1/predictions/recent` (JSON, riskiest first) for a first paint. Both read what the pipeline
 * published (a {@link PredictionSource}: the results table in the embedded default). Runtime-agnostic.
 *
 * Slow clients (docs/dashboard.md): a connection is a cursor into the source, not a buffer. The next
 * batch is read only once the previous one was written (the socket drained), so a slow client's
 * backlog stays in the results table; a write that stays blocked for `stallMs` ends the connection
 * (the client resumes from its last id).
 */
import type { Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { streamSSE } from "hono/streaming";
import type { ApiContext, Env } from "./context.ts";
import type { PredictionQuery, PredictionSource } from "../../shared/pipeline/prediction-source.ts";

export interface FeedOptions {
  source: PredictionSource;
  /** Events read (and held) per connection at a time. Default 100. */
  batch?: number;
  /** A write blocked this long ends the connection. Default 30000 ms. */
  stallMs?: number;
  /** Connections are closed after this long, as EventStreams does (clients resume). Default 15 min. */
  maxConnectionMs?: number;
  /** Comment line sent when idle, so proxies keep the connection. Default 15000 ms. */
  heartbeatMs?: number;
  /** Reconnection delay advised to clients (`retry:`). Default 1000 ms. */
  retryMs?: number;
  /** Called when a connection ends, with the reason ("client", "stalled", "max_connection", "closing"). */
  onDisconnect?: (reason: string) => void;
}

/** The Kafka-like topic named in event ids. */
export const FEED_TOPIC = "revrisk.predictions";
const MAX_RECENT = 500;

/** The SSE id of a feed position, in EventStreams' form. */
export function feedEventId(seq: number): string {
  return JSON.stringify([{ topic: FEED_TOPIC, partition: 0, offset: seq }]);
}

/** Reads a Last-Event-ID: our JSON array form, or a bare offset. Undefined when it is neither. */
export function parseFeedEventId(id: string): number | undefined {
  const t = id.trim();
  if (/^\d+$/.test(t)) return Number(t);
  try {
    const v = JSON.parse(t) as unknown;
    if (Array.isArray(v)) {
      const mine = v.find(
        (p) => p && typeof p === "object" && (p as { topic?: unknown }).topic === FEED_TOPIC,
      ) as { offset?: unknown } | undefined;
      if (mine && Number.isSafeInteger(mine.offset) && (mine.offset as number) >= 0)
        return mine.offset as number;
    }
  } catch {
    // not JSON
  }
  return undefined;
}

function bad(message: string): never {
  throw new HTTPException(400, { res: Response.json({ error: message }, { status: 400 }) });
}

/** The filters shared by both routes: ?wiki=enwiki,dewiki&min_probability=0.8&since=ISO-8601. */
export function parsePredictionQuery(c: Context<Env>): PredictionQuery {
  const q: PredictionQuery = {};
  const wiki = c.req.queries("wiki");
  if (wiki) {
    const wikis = wiki
      .flatMap((w) => w.split(","))
      .map((w) => w.trim())
      .filter(Boolean);
    if (wikis.some((w) => !/^[a-z0-9_]{2,40}$/.test(w)))
      bad("wiki: expected wiki ids such as enwiki (comma-separated)");
    q.wikis = wikis;
  }
  const min = c.req.query("min_probability");
  if (min !== undefined && min !== "") {
    const v = Number(min);
    if (!(v >= 0 && v <= 1)) bad("min_probability: expected a number from 0 to 1");
    q.minProbability = v;
  }
  const since = c.req.query("since");
  if (since !== undefined && since !== "") {
    const t = Date.parse(since);
    if (!Number.isFinite(t)) bad("since: expected an ISO-8601 time");
    q.since = new Date(t);
  }
  return q;
}

function unavailable(): never {
  throw new HTTPException(404, {
    res: Response.json(
      {
        error:
          "no prediction feed in this deployment: predictions go to EventGate; read them from its stream (docs/dashboard.md)",
      },
      { status: 404 },
    ),
  });
}

export function registerFeedRoutes(app: Hono<Env>, ctx: ApiContext, o: FeedOptions | undefined): void {
  const batch = o?.batch ?? 100;
  const stallMs = o?.stallMs ?? 30_000;
  const maxConnectionMs = o?.maxConnectionMs ?? 15 * 60_000;
  const heartbeatMs = o?.heartbeatMs ?? 15_000;
  const retryMs = o?.retryMs ?? 1000;

  app.get("/v1/predictions/recent", async (c) => {
    c.set("route", "/v1/predictions/recent");
    if (!o) unavailable();
    const q = parsePredictionQuery(c);
    const limitRaw = c.req.query("limit");
    const limit = limitRaw === undefined || limitRaw === "" ? 50 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECENT)
      bad(`limit: expected an integer from 1 to ${MAX_RECENT}`);
    // The head is read before the rows, so a feed opened from it misses nothing stored meanwhile.
    const head = o.source.lastSeq;
    const rows = await o.source.recent(q, limit);
    return c.json({
      predictions: rows.map((r) => ({ id: feedEventId(r.seq), offset: r.seq, event: r.event })),
      last_event_id: feedEventId(head),
    });
  });

  app.get("/v1/stream/predictions", (c) => {
    c.set("route", "/v1/stream/predictions");
    if (!o) unavailable();
    const source = o.source;
    const q = parsePredictionQuery(c);
    const given = c.req.header("Last-Event-ID") ?? c.req.query("last_event_id");
    let cursor = source.lastSeq;
    if (given !== undefined && given !== "") {
      const seq = parseFeedEventId(given);
      if (seq === undefined) bad(`Last-Event-ID: expected an id this feed sent (${feedEventId(1)})`);
      cursor = seq;
    }
    // On Node (@hono/node-server) the response is c.env.outgoing: destroyed when a write stalls.
    const outgoing = (c.env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;
    return streamSSE(c, async (stream) => {
      let reason = "";
      let wake: (() => void) | undefined;
      const sleep = (ms: number) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(done, ms);
          function done() {
            clearTimeout(t);
            wake = undefined;
            resolve();
          }
          wake = done;
        });
      // Set by an insert while a batch is read or written: read again before sleeping.
      let fresh: boolean;
      const unsubscribe = source.onInsert(() => {
        fresh = true;
        wake?.();
      });
      stream.onAbort(() => {
        reason ||= "client";
        wake?.();
      });
      const write = async (m: Parameters<typeof stream.writeSSE>[0]) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const stalled = new Promise<"stalled">((r) => (timer = setTimeout(() => r("stalled"), stallMs)));
        const r = await Promise.race([stream.writeSSE(m).then(() => "ok" as const), stalled]);
        clearTimeout(timer);
        if (r === "stalled") {
          reason = "stalled";
          outgoing?.destroy();
          stream.abort();
        }
      };
      const endAt = Date.now() + maxConnectionMs;
      try {
        await write({
          event: "open",
          data: JSON.stringify({ last_event_id: feedEventId(cursor) }),
          retry: retryMs,
        });
        while (!reason) {
          if (Date.now() >= endAt) {
            reason = "max_connection";
            break;
          }
          fresh = false;
          const rows = await source.after(cursor, q, batch);
          for (const row of rows) {
            if (reason) break;
            await write({ event: "message", id: feedEventId(row.seq), data: JSON.stringify(row.event) });
            if (!reason) cursor = row.seq;
          }
          if (reason || rows.length === batch || fresh) continue;
          await sleep(Math.min(heartbeatMs, Math.max(0, endAt - Date.now())));
          if (!fresh && !reason && Date.now() < endAt) await write({ event: "heartbeat", data: "{}" });
        }
      } finally {
        unsubscribe();
        o.onDisconnect?.(reason || "closing");
        ctx.log.debug({ reason, cursor }, "prediction feed connection ended");
      }
    });
  });
}
