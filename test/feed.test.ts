/**
 * The prediction feed and the dashboard routes of the API (functions/api/feed.ts, dashboard.ts) over
 * a real results table (standins/results-db/results-db.ts) and a real scoring runtime: resume from
 * Last-Event-ID across a server restart, the slow-client policy, filters, the recent listing, `/`
 * content negotiation and /v1/status.
 */
import { connect } from "node:net";
import type { Socket } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, type ApiServer } from "../functions/api/node.ts";
import { feedEventId, type FeedOptions } from "../functions/api/feed.ts";
import { createRuntime, type Runtime } from "../functions/node/runtime.ts";
import { ResultsDb } from "../standins/results-db/results-db.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import { buildPredictionEvent } from "../shared/events/prediction-event.ts";
import { until } from "./helpers.ts";

const sample = JSON.parse(
  readFileSync(new URL("./data/samples/page_change-1.2.0.example.json", import.meta.url), "utf8"),
) as Record<string, Record<string, unknown>>;

/** A valid prediction event for revision `revId` of `wiki` (optionally with a long edit summary). */
function prediction(revId: number, probability: number, wiki = "enwiki", comment = `Edit ${revId}`) {
  const src = structuredClone(sample);
  src.revision = { ...src.revision, rev_id: revId, rev_parent_id: revId - 1 };
  src.page = { ...src.page, page_title: `Page ${revId}` };
  src.meta = { ...src.meta, domain: `${wiki.replace(/wiki$/, "")}.wikipedia.org` };
  src.comment = comment as never;
  src.wiki_id = wiki as never;
  const r = buildPredictionEvent(src, {
    model_name: "revertrisk-multilingual",
    model_version: "fixture-1",
    prediction: probability >= 0.5,
    probability,
  });
  if (!r.ok) throw new Error(r.message);
  return r.event as unknown as Record<string, unknown>;
}

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** Reads `n` "message" events from the feed, then disconnects. */
async function readMessages(
  url: string,
  n: number,
  headers: Record<string, string> = {},
): Promise<SseEvent[]> {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const out: SseEvent[] = [];
  let buf = "";
  try {
    while (out.length < n) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const e: SseEvent = { event: "message", data: "" };
        for (const line of block.split("\n")) {
          const [k, ...rest] = line.split(": ");
          const v = rest.join(": ");
          if (k === "event") e.event = v;
          else if (k === "id") e.id = v;
          else if (k === "data") e.data += v;
        }
        if (e.event === "message") out.push(e);
      }
    }
  } finally {
    ac.abort();
  }
  return out.slice(0, n);
}

const revOf = (e: SseEvent) => (JSON.parse(e.data) as { revision: { rev_id: number } }).revision.rev_id;

describe("prediction feed", () => {
  let dir: string;
  let mw: MwFixtureServer;
  let runtime: Runtime;
  const servers: ApiServer[] = [];
  const start = async (feed: FeedOptions) => {
    const s = await startApiServer({ service: runtime.service, port: 0, feed });
    servers.push(s);
    return s;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "revrisk-feed-"));
    mw = await startMwFixtureServer({ port: 0 });
    runtime = await createRuntime({
      model: "models/fixture",
      provider: "cpu",
      mediawikiUrl: mw.apiBase,
      featurizerThreads: 0,
    });
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await runtime?.close();
    await mw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("resumes from Last-Event-ID across a server restart without gaps or duplicates", async () => {
    const path = join(dir, "restart.duckdb");
    let db = await ResultsDb.open(path);
    await db.insert([1, 2, 3, 4, 5].map((r) => prediction(r, r / 10)));
    let api = await start({ source: db });
    const first = await readMessages(`${api.url}/v1/stream/predictions?last_event_id=0`, 3);
    expect(first.map(revOf)).toEqual([1, 2, 3]);
    expect(first.map((e) => e.id)).toEqual([1, 2, 3].map(feedEventId));
    await api.stop();
    await db.close();

    // Restart: same file, two events were already stored and four more arrive after the restart.
    db = await ResultsDb.open(path);
    expect(db.lastSeq).toBe(5);
    api = await start({ source: db });
    const later = readMessages(`${api.url}/v1/stream/predictions`, 6, { "Last-Event-ID": first[2]!.id! });
    await new Promise((r) => setTimeout(r, 200));
    await db.insert([6, 7, 8, 9].map((r) => prediction(r, 0.5)));
    const resumed = await later;
    expect(resumed.map(revOf)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(resumed.map((e) => e.id)).toEqual([4, 5, 6, 7, 8, 9].map(feedEventId));
    // A re-sent event is a duplicate in the table, not a new feed position.
    await db.insert([prediction(9, 0.5)]);
    expect(db.lastSeq).toBe(9);
    await api.stop();
    await db.close();
  }, 60_000);

  it("filters by wiki and min_probability; lists the riskiest first; refuses bad filters", async () => {
    const db = await ResultsDb.open(join(dir, "filters.duckdb"));
    await db.insert([
      prediction(11, 0.3, "enwiki"),
      prediction(12, 0.9, "dewiki"),
      prediction(13, 0.7, "enwiki"),
      prediction(14, 0.95, "enwiki"),
    ]);
    const api = await start({ source: db });
    const en = await readMessages(
      `${api.url}/v1/stream/predictions?last_event_id=0&wiki=enwiki&min_probability=0.5`,
      2,
    );
    expect(en.map(revOf)).toEqual([13, 14]);
    const recent = (await (await fetch(`${api.url}/v1/predictions/recent?limit=3`)).json()) as {
      predictions: Array<{ offset: number; event: { revision: { rev_id: number } } }>;
      last_event_id: string;
    };
    expect(recent.predictions.map((p) => p.event.revision.rev_id)).toEqual([14, 12, 13]);
    expect(recent.last_event_id).toBe(feedEventId(4));
    const de = (await (await fetch(`${api.url}/v1/predictions/recent?wiki=dewiki`)).json()) as {
      predictions: unknown[];
    };
    expect(de.predictions).toHaveLength(1);
    for (const q of ["min_probability=2", "wiki=%3Cimg%3E", "limit=0", "since=yesterday"]) {
      const r = await fetch(`${api.url}/v1/predictions/recent?${q}`);
      expect(r.status, q).toBe(400);
      expect(((await r.json()) as { error: string }).error).toMatch(/expected/);
    }
    const badId = await fetch(`${api.url}/v1/stream/predictions`, { headers: { "Last-Event-ID": "nope" } });
    expect(badId.status).toBe(400);
    await db.close();
  }, 60_000);

  it("keeps a slow client's backlog in the table, not in memory, and disconnects it when its socket stays full", async () => {
    const db = await ResultsDb.open(join(dir, "slow.duckdb"));
    const reasons: string[] = [];
    const api = await start({ source: db, batch: 10, stallMs: 1500, onDisconnect: (r) => reasons.push(r) });
    const serverSockets: Socket[] = [];
    api.server.on("connection", (s: Socket) => serverSockets.push(s));
    // A client that sends its request and never reads.
    const client = connect(api.port, "127.0.0.1");
    await new Promise((r) => client.once("connect", r));
    client.pause();
    client.on("error", () => {});
    client.write(`GET /v1/stream/predictions?last_event_id=0 HTTP/1.1\r\nHost: x\r\n\r\n`);
    // 400 events of ~50 KB: 20 MB published while the client reads nothing.
    const comment = "x".repeat(50_000);
    let published = 0;
    for (let b = 0; b < 20; b++) {
      const events = Array.from({ length: 20 }, (_, i) =>
        prediction(1000 + b * 20 + i, 0.5, "enwiki", comment),
      );
      await db.insert(events);
      published += events.reduce((n, e) => n + JSON.stringify(e).length, 0);
    }
    expect(published).toBeGreaterThan(20_000_000);
    // What the server holds for this client: the socket's queue (the feed itself holds one batch).
    const queued = Math.max(...serverSockets.map((s) => s.writableLength));
    expect(queued).toBeLessThan(1_000_000);
    // (The client cannot see the close before it reads what the kernel buffered: check the server's side.)
    await until(() => reasons.includes("stalled"), 30_000, "the server to end the stalled connection");
    expect(serverSockets.every((s) => s.destroyed)).toBe(true);
    client.destroy();
    await db.close();
  }, 90_000);

  it("serves the page to browsers at / and the liveness JSON to other clients; /v1/status adds the model's health", async () => {
    const db = await ResultsDb.open(":memory:");
    const api = await start({ source: db });
    const html = await fetch(`${api.url}/`, { headers: { Accept: "text/html,application/xhtml+xml" } });
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(await html.text()).toMatch(/<title>revrisk dashboard<\/title>/);
    for (const accept of [undefined, "application/json", "*/*"]) {
      const r = await fetch(`${api.url}/`, { headers: accept ? { Accept: accept } : {} });
      expect(await r.json()).toEqual({ status: "alive" });
    }
    const js = await fetch(`${api.url}/dashboard/assets/uPlot.iife.min.js`);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect((await fetch(`${api.url}/dashboard/assets/nope.js`)).status).toBe(404);
    const status = (await (await fetch(`${api.url}/v1/status`)).json()) as Record<string, unknown>;
    expect(status.health).toMatchObject({ ready: true, provider: "cpu", model: { version: "fixture-1" } });
    expect(status.feed).toEqual({ available: true, last_offset: 0 });
    await db.close();
  }, 60_000);
});
