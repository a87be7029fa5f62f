import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventStreamsSource, ingestForwarder, memoryCursorStore } from "../shared/ingest/eventstreams.ts";
import { createIngestApp, IngestMetrics } from "../shared/ingest/ingest-app.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";

const base = JSON.parse(
  readFileSync(new URL("./data/samples/page_change-1.6.0-wikidatawiki.live.json", import.meta.url), "utf8"),
) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** 30 recorded events; the SSE id is KafkaSSE's array of topic/partition/timestamp (last ts + 1). */
const recorded = Array.from({ length: 30 }, (_, i) => {
  const e = structuredClone(base);
  e.revision.rev_id = 5000 + i;
  return e;
});
const idOf = (i: number) =>
  JSON.stringify([
    { topic: "eqiad.mediawiki.page_change.v1", partition: 0, timestamp: 1_750_000_000_000 + i + 1 },
  ]);
const indexAfter = (lastEventId: string | undefined) => {
  if (!lastEventId) return 0;
  const ts = (JSON.parse(lastEventId) as Array<{ timestamp: number }>)[0]!.timestamp;
  return ts - 1_750_000_000_000;
};

describe("EventStreams source against a local SSE server", () => {
  let server: Server;
  let url: string;
  const seen: Array<{ lastEventId?: string; ua?: string; since?: string | null }> = [];
  /** How many events each connection sends before the server ends it (undefined: all, then hold). */
  let perConnection: number | undefined;
  const open = new Set<ServerResponse>();

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const last = req.headers["last-event-id"] as string | undefined;
      seen.push({
        lastEventId: last,
        ua: req.headers["user-agent"],
        since: new URL(req.url!, "http://x").searchParams.get("since"),
      });
      if (req.url!.includes("fail")) return void res.writeHead(503).end();
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
      res.write(":ok\n\n");
      open.add(res);
      res.on("close", () => open.delete(res));
      let i = indexAfter(last);
      let sent = 0;
      const tick = () => {
        if (res.destroyed) return;
        if (perConnection !== undefined && sent >= perConnection) return void res.end();
        if (i >= recorded.length) return; // hold the connection open
        res.write(`event: message\nid: ${idOf(i)}\ndata: ${JSON.stringify(recorded[i])}\n\n`);
        i++;
        sent++;
        setImmediate(tick);
      };
      tick();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v2/stream/mediawiki.page_change.v1`;
  });
  afterAll(async () => {
    for (const r of open) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const until = async (cond: () => boolean, ms = 5000) => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error("timed out waiting");
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it("batches events, persists the last id, and resumes after a restart with Last-Event-ID", async () => {
    seen.length = 0;
    perConnection = undefined;
    const store = memoryCursorStore();
    const got: number[] = [];
    let src = new EventStreamsSource({
      url,
      store,
      batchSize: 4,
      batchWaitMs: 20,
      since: "2026-06-22T00:00:00Z",
      onEvents: async (evs) => {
        for (const e of evs) got.push((e.revision as { rev_id: number }).rev_id);
        if (got.length >= 12) src.stop();
      },
    });
    await src.start();
    await until(() => got.length >= 12);
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => 5000 + i));
    expect(store.value).toBe(idOf(11));
    expect(seen[0]).toMatchObject({ lastEventId: undefined, since: "2026-06-22T00:00:00Z" });
    expect(seen[0]!.ua).toMatch(/^revrisk\//);

    // "restart": a new source with the same store continues after the stored id
    const got2: number[] = [];
    src = new EventStreamsSource({
      url,
      store,
      batchSize: 5,
      batchWaitMs: 20,
      since: "2026-06-22T00:00:00Z",
      onEvents: async (evs) => {
        for (const e of evs) got2.push((e.revision as { rev_id: number }).rev_id);
      },
    });
    await src.start();
    await until(() => got2.length >= 18);
    await src.close();
    expect(seen[1]).toMatchObject({ lastEventId: idOf(11), since: null });
    expect(got2).toEqual(Array.from({ length: 18 }, (_, i) => 5012 + i));
    expect(store.value).toBe(idOf(29));
  });

  it("reconnects with backoff when the server drops the connection, without loss or duplicates", async () => {
    seen.length = 0;
    perConnection = 7;
    const store = memoryCursorStore();
    const got: number[] = [];
    const statuses: string[] = [];
    const src = new EventStreamsSource({
      url,
      store,
      batchSize: 3,
      batchWaitMs: 10,
      minBackoffMs: 10,
      maxBackoffMs: 50,
      onStatus: (s) => statuses.push(s.type),
      onEvents: async (evs) => {
        for (const e of evs) got.push((e.revision as { rev_id: number }).rev_id);
      },
    });
    await src.start();
    await until(() => got.length >= 30);
    await src.close();
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => 5000 + i));
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(statuses).toContain("reconnecting");
  });

  it("replays a batch whose delivery failed", async () => {
    perConnection = undefined;
    const store = memoryCursorStore();
    const got: number[] = [];
    let failOnce = true;
    const src = new EventStreamsSource({
      url,
      store,
      batchSize: 10,
      batchWaitMs: 10,
      minBackoffMs: 10,
      onEvents: async (evs) => {
        if (failOnce && got.length >= 10) {
          failOnce = false;
          throw new Error("queue down");
        }
        for (const e of evs) got.push((e.revision as { rev_id: number }).rev_id);
      },
    });
    await src.start();
    await until(() => got.length >= 30);
    await src.close();
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => 5000 + i));
  });

  it("reports a failing first connection within seconds", async () => {
    const t0 = Date.now();
    const refused = new EventStreamsSource({
      url: "http://127.0.0.1:1/v2/stream/x",
      onEvents: async () => {},
    });
    await expect(refused.start()).rejects.toThrow(/cannot connect to http:\/\/127\.0\.0\.1:1/);
    const http503 = new EventStreamsSource({ url: `${url}?fail=1`, onEvents: async () => {} });
    await expect(http503.start()).rejects.toThrow(/503/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("fails the start when the cursor store cannot be read (no unobserved rejection)", async () => {
    const s = new EventStreamsSource({
      url,
      onEvents: async () => {},
      store: {
        load: async () => {
          throw new Error("cursor file unreadable");
        },
        save: async () => {},
      },
    });
    await expect(s.start()).rejects.toThrow(/cursor file unreadable/);
  });

  it("times out a connection that never answers", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    try {
      const s = new EventStreamsSource({
        url: `http://127.0.0.1:${port}/`,
        connectTimeoutMs: 200,
        onEvents: async () => {},
      });
      await expect(s.start()).rejects.toThrow(/no response within 200 ms/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("forwards batches to an ingest endpoint as NDJSON", async () => {
    perConnection = undefined;
    const queue = new EmbeddedQueue({ path: ":memory:" });
    const metrics = new IngestMetrics();
    // The recorded events are Wikidata's: the ingest filter (Wikipedias of the wiki table only)
    // counts them as not_wikipedia, which proves each forwarded event arrived.
    const app = createIngestApp({ queue, metrics, config: { token: "tok", filter: { wikis: ["en"] } } });
    const calls: number[] = [];
    const fwd = ingestForwarder({
      url: "http://ingest.local/v1/events",
      token: "tok",
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        const r = await app.request(String(input), init);
        calls.push(r.status);
        return r;
      }) as typeof fetch,
    });
    const src = new EventStreamsSource({ url, batchSize: 10, batchWaitMs: 10, onEvents: fwd });
    await src.start();
    await until(() => metrics.snapshot().skipped.not_wikipedia === 30);
    await src.close();
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.every((s) => s === 202)).toBe(true);
    expect((await queue.depth()).visible).toBe(0);
    const bad = ingestForwarder({
      url: "http://ingest.local/v1/events",
      fetch: (async (i: string | URL | Request, init?: RequestInit) =>
        app.request(String(i), init)) as typeof fetch,
    });
    await expect(bad([recorded[0]!])).rejects.toThrow(/ingest answered 401/);
    await queue.close();
  });
});
