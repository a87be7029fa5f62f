/**
 * EventStreams source (runtime-agnostic; `eventsource` package over fetch): consumes the public
 * SSE stream `mediawiki.page_change.v1`, hands events to a callback in batches, persists the SSE
 * id of the last handed-over event through an injected store, and resumes with `Last-Event-ID`
 * after a restart or a dropped connection (WMF cuts every connection after 15 minutes).
 *
 * Delivery is at-least-once: the cursor is saved only after `onEvents` resolved; when it throws,
 * the source reconnects from the last saved cursor with exponential backoff (capped; reset once a
 * batch is delivered again, not merely on reconnecting, so a feed that keeps failing slows down).
 * After a failed delivery the replay goes one event at a time: an event that fails again while the
 * event after it is delivered is poison (counted in `stats.poisoned`, reported, skipped) instead of
 * stalling the feed; when the next one fails too, the sink is down and the source backs off.
 * `start()` rejects quickly (connect timeout, default 10 s) when the first connection fails, so
 * callers can say so and suggest offline mode.
 */
import { EventSource } from "eventsource";
import { PAGE_CHANGE_STREAM } from "../events/page-change.ts";

export const DEFAULT_EVENTSTREAMS_URL = `https://stream.wikimedia.org/v2/stream/${PAGE_CHANGE_STREAM}`;
export const EVENTSTREAMS_USER_AGENT = "revrisk/0.1.0 (revert-risk scoring; EventStreams consumer)";

/** Where the SSE id (a JSON array of topic/partition/timestamp|offset) of the last handled event is kept. */
export interface CursorStore {
  load(): Promise<string | undefined>;
  save(id: string): Promise<void>;
}

export function memoryCursorStore(initial?: string): CursorStore & { value: string | undefined } {
  const s = {
    value: initial,
    load: async () => s.value,
    save: async (id: string) => {
      s.value = id;
    },
  };
  return s;
}

export type SourceStatus =
  | { type: "open"; url: string; resumedFrom?: string }
  | { type: "error"; message: string; status?: number }
  | { type: "reconnecting"; inMs: number; attempt: number }
  | { type: "batch"; count: number; lastEventId?: string }
  | { type: "poison"; message: string; eventId?: string };

export interface EventStreamsOptions {
  url?: string;
  /** Receives batches of parsed events (in stream order). Throwing makes the source reconnect from the saved cursor. */
  onEvents: (events: Record<string, unknown>[]) => Promise<void>;
  store?: CursorStore;
  /** Start time (ISO or ms) when no cursor is stored (`?since=`). */
  since?: string;
  /** Flush when this many events are buffered. Default 100. */
  batchSize?: number;
  /** Flush at the latest this long after the first buffered event. Default 1000 ms. */
  batchWaitMs?: number;
  /** Time allowed to get response headers. Default 10000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect backoff: min · 2^(failures − 1), at most max. Defaults 1000 and 30000 ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  userAgent?: string;
  onStatus?: (s: SourceStatus) => void;
  fetch?: typeof fetch;
}

interface Buffered {
  event: Record<string, unknown>;
  id: string | undefined;
}

export class EventStreamsSource {
  readonly url: string;
  private o: EventStreamsOptions;
  private store: CursorStore;
  private es: EventSource | undefined;
  private buffer: Buffered[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private stopped = true;
  /** Reconnects since the last delivered batch (the backoff exponent). */
  private attempt = 0;
  /** Failed deliveries since the last delivered one: the next replay goes one event at a time. */
  private failures = 0;
  /** Incremented on every (re)connect; messages of an older connection are ignored. */
  private generation = 0;
  stats = { received: 0, delivered: 0, connects: 0, errors: 0, parseErrors: 0, poisoned: 0 };

  constructor(options: EventStreamsOptions) {
    this.o = options;
    this.url = options.url ?? DEFAULT_EVENTSTREAMS_URL;
    this.store = options.store ?? memoryCursorStore();
  }

  /** Connects; resolves once the stream is open, rejects if the first connection fails. */
  start(): Promise<void> {
    this.stopped = false;
    return new Promise((resolve, reject) => {
      // A connect that throws before the stream exists (e.g. the cursor store) fails the start.
      this.connect({ resolve, reject }).catch((e: unknown) => {
        this.stop();
        reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  private async connect(first?: { resolve: () => void; reject: (e: Error) => void }): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.generation;
    const cursor = await this.store.load();
    const url = new URL(this.url);
    if (!cursor && this.o.since) url.searchParams.set("since", this.o.since);
    const baseFetch = this.o.fetch ?? fetch;
    const connectTimeout = this.o.connectTimeoutMs ?? 10_000;
    const ua = this.o.userAgent ?? EVENTSTREAMS_USER_AGENT;
    const es = new EventSource(url, {
      fetch: async (input, init) => {
        const ctl = new AbortController();
        const t = setTimeout(
          () => ctl.abort(new Error(`no response within ${connectTimeout} ms`)),
          connectTimeout,
        );
        const headers: Record<string, string> = { ...init.headers, "User-Agent": ua };
        if (cursor) headers["Last-Event-ID"] = cursor;
        try {
          return await baseFetch(input, {
            ...init,
            headers,
            signal: init.signal ? AbortSignal.any([init.signal as AbortSignal, ctl.signal]) : ctl.signal,
          });
        } catch (e) {
          throw ctl.signal.aborted ? (ctl.signal.reason as Error) : e;
        } finally {
          clearTimeout(t);
        }
      },
    });
    this.es = es;
    es.addEventListener("open", () => {
      if (gen !== this.generation) return;
      this.stats.connects++;
      this.o.onStatus?.({ type: "open", url: url.toString(), resumedFrom: cursor });
      first?.resolve();
      first = undefined;
    });
    es.addEventListener("message", (ev: MessageEvent) => {
      if (gen !== this.generation) return;
      this.stats.received++;
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(String(ev.data)) as Record<string, unknown>;
      } catch {
        this.stats.parseErrors++;
        return;
      }
      this.buffer.push({ event, id: ev.lastEventId || undefined });
      if (this.buffer.length >= (this.o.batchSize ?? 100)) this.flush(gen);
      else this.timer ??= setTimeout(() => this.flush(gen), this.o.batchWaitMs ?? 1000);
    });
    es.addEventListener("error", (ev) => {
      if (gen !== this.generation) return;
      const e = ev as Event & { message?: string; code?: number };
      const message = e.message || (e.code ? `HTTP ${e.code}` : "connection lost");
      this.stats.errors++;
      this.o.onStatus?.({ type: "error", message, status: e.code });
      if (first) {
        const f = first;
        first = undefined;
        this.stop();
        f.reject(new Error(`cannot connect to ${this.url}: ${message}`));
        return;
      }
      this.reconnect(gen);
    });
  }

  /** Closes the current connection (keeping buffered events for delivery) and reconnects with backoff. */
  private reconnect(gen: number): void {
    if (this.stopped || gen !== this.generation) return;
    this.es?.close();
    this.generation++; // ignore late messages of the closed connection
    // Events buffered but not delivered will be replayed from the saved cursor.
    this.dropBuffer();
    const attempt = ++this.attempt;
    const min = this.o.minBackoffMs ?? 1000;
    const inMs = Math.min(this.o.maxBackoffMs ?? 30_000, min * 2 ** (attempt - 1));
    this.o.onStatus?.({ type: "reconnecting", inMs, attempt });
    this.reconnectTimer = setTimeout(() => {
      // Wait for an in-progress flush so the cursor is current.
      this.flushing
        .then(() => this.connect())
        .catch((e: unknown) => {
          // Reconnecting itself failed (e.g. the cursor store): report it and back off again.
          this.stats.errors++;
          this.o.onStatus?.({ type: "error", message: `reconnect failed: ${(e as Error).message}` });
          this.reconnect(this.generation);
        });
    }, inMs);
  }

  private dropBuffer(): void {
    this.buffer = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(gen: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (!batch.length) return;
    this.flushing = this.flushing.then(async () => {
      if (gen !== this.generation) return; // connection replaced: the events will be replayed
      try {
        if (this.failures > 0 && batch.length > 1) await this.deliverOneByOne(batch, gen);
        else await this.deliver(batch);
        this.failures = 0;
        this.attempt = 0;
      } catch (e) {
        this.failures++;
        this.stats.errors++;
        this.o.onStatus?.({ type: "error", message: `onEvents failed: ${(e as Error).message}` });
        this.reconnect(gen);
      }
    });
  }

  private async deliver(batch: Buffered[]): Promise<void> {
    await this.o.onEvents(batch.map((b) => b.event));
    const lastId = [...batch].reverse().find((b) => b.id)?.id;
    if (lastId) await this.store.save(lastId);
    this.stats.delivered += batch.length;
    this.o.onStatus?.({ type: "batch", count: batch.length, lastEventId: lastId });
  }

  /**
   * The replay after a failed delivery. An event that fails again is retried once more after the
   * event behind it was delivered (the sink works); failing then too, the fault is in that event:
   * it is skipped as poison. Two failures in a row mean the sink is down: throw and back off.
   */
  private async deliverOneByOne(batch: Buffered[], gen: number): Promise<void> {
    let suspect: { b: Buffered; error: Error } | undefined;
    for (const b of batch) {
      if (gen !== this.generation) return; // stopped or replaced: the rest will be replayed
      try {
        await this.deliver([b]);
      } catch (e) {
        if (suspect) throw e;
        suspect = { b, error: e as Error };
        continue;
      }
      if (!suspect) continue;
      const { b: s } = suspect;
      suspect = undefined;
      try {
        // Out of order, so the cursor (already past it) is not saved again.
        await this.o.onEvents([s.event]);
        this.stats.delivered++;
      } catch (e) {
        this.stats.poisoned++;
        this.o.onStatus?.({
          type: "poison",
          message: `skipped an event that fails on its own: ${(e as Error).message}`,
          eventId: s.id,
        });
      }
    }
    if (suspect) throw suspect.error; // the last one: nothing proves the sink works yet
  }

  /** Delivers what is buffered (when still connected) and waits for deliveries in progress. */
  async drain(): Promise<void> {
    this.flush(this.generation);
    await this.flushing;
  }

  /** Stops consuming. Buffered, undelivered events are dropped (they are replayed on the next start). */
  stop(): void {
    this.stopped = true;
    this.es?.close();
    this.generation++;
    this.dropBuffer();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
  }

  /** Delivers buffered events, then stops. */
  async close(): Promise<void> {
    await this.drain();
    this.stop();
    await this.flushing;
  }
}

/**
 * An `onEvents` callback that forwards batches as NDJSON to an ingest endpoint (e.g. the Workers
 * deployment's `/v1/events`). 202 and 400 (every event invalid: nothing to retry) count as
 * delivered; anything else throws, so the source reconnects and replays from the saved cursor.
 */
export function ingestForwarder(options: {
  url: string;
  token?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}): (events: Record<string, unknown>[]) => Promise<void> {
  const doFetch = options.fetch ?? fetch;
  return async (events) => {
    const headers: Record<string, string> = {
      "content-type": "application/x-ndjson",
      "user-agent": EVENTSTREAMS_USER_AGENT,
    };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await doFetch(options.url, {
      method: "POST",
      headers,
      body: events.map((e) => JSON.stringify(e)).join("\n") + "\n",
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    if (res.status !== 202 && res.status !== 400) {
      throw new Error(`ingest answered ${res.status}: ${text.slice(0, 200)}`);
    }
  };
}
