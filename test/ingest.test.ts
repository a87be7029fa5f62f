import { readFileSync } from "node:fs";
/* eslint-disable @typescript-eslint/no-explicit-any -- test fixtures are mutated freely */
import { describe, expect, it } from "vitest";
import { startIngestServer } from "../functions/ingest/node.ts";
import { createIngestApp, IngestMetrics, parseBody, type IngestResult } from "../shared/ingest/ingest-app.ts";
import {
  classify,
  parsePageChange,
  RRML_DEFAULT_LANGS,
  type PageChangeEvent,
} from "../shared/events/page-change.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";

const load = (f: string) =>
  JSON.parse(readFileSync(new URL(`./data/samples/${f}`, import.meta.url), "utf8")) as Record<
    string,
    unknown
  >;
const sample = () => load("page_change-1.2.0.example.json");
const live = () => load("page_change-1.6.0-wikidatawiki.live.json");
const filter = { wikis: RRML_DEFAULT_LANGS };
const testwiki = () => {
  const e = sample() as Record<string, any>;
  e.wiki_id = "testwiki";
  e.meta.domain = "test.wikipedia.org";
  e.meta.uri = "https://test.wikipedia.org/wiki/Example_article";
  return e;
};

function parsed(e: Record<string, unknown>): PageChangeEvent {
  const r = parsePageChange(e);
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.event;
}

describe("page_change schema", () => {
  it("accepts the 1.2.0 example and the live 1.6.0 event, keeping unknown fields", () => {
    const e = parsed(live());
    expect((e.page as Record<string, unknown>).namespace_is_content).toBe(true);
    expect((e.meta as Record<string, unknown>).topic).toBe("eqiad.mediawiki.page_change.v1");
    expect(parsed(sample()).revision.rev_id).toBe(1260000001);
  });

  it("reports path and problem for each error", () => {
    const e = sample();
    (e.revision as Record<string, unknown>).rev_id = "12";
    delete (e.meta as Record<string, unknown>).stream;
    e.page_change_kind = "explode";
    e.$schema = "/mediawiki/page/prediction_classification_change/1.1.0";
    const r = parsePageChange(e);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(4);
    expect(r.errors.join("\n")).toMatch(/^\$schema: must be a \/mediawiki\/page\/change\/1\.x schema URI$/m);
    expect(r.errors.join("\n")).toMatch(/^meta\.stream: .*expected string/m);
    expect(r.errors.join("\n")).toMatch(/^page_change_kind: .*"edit"/m);
    expect(r.errors.join("\n")).toMatch(/^revision\.rev_id: .*expected number, received string/m);
    expect(parsePageChange([1])).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^\(root\): expected a JSON object/)],
    });
  });
});

describe("filter (classify)", () => {
  const variant = (f: (e: Record<string, any>) => void) => {
    const e = sample();
    f(e);
    return classify(parsed(e), filter);
  };
  it("accepts a main-namespace enwiki edit", () => {
    expect(variant(() => {})).toEqual({
      accept: true,
      wiki: "enwiki",
      lang: "en",
      revId: 1260000001,
      parentId: 1259999000,
    });
  });
  it.each([
    ["canary", (e: Record<string, any>) => (e.meta.domain = "canary")],
    [
      "not_wikipedia",
      (e: Record<string, any>) => ((e.wiki_id = "enwiktionary"), (e.meta.domain = "en.wiktionary.org")),
    ],
    ["not_wikipedia", (e: Record<string, any>) => delete e.meta.domain],
    [
      "unsupported_wiki",
      (e: Record<string, any>) => ((e.wiki_id = "alswiki"), (e.meta.domain = "als.wikipedia.org")),
    ],
    [
      "unsupported_wiki",
      (e: Record<string, any>) => ((e.wiki_id = "testwiki"), (e.meta.domain = "test.wikipedia.org")),
    ],
    ["kind", (e: Record<string, any>) => (e.page_change_kind = "delete")],
    ["namespace", (e: Record<string, any>) => (e.page.namespace_id = 1)],
    ["redirect", (e: Record<string, any>) => (e.page.is_redirect = true)],
    [
      "page_creation",
      (e: Record<string, any>) => ((e.page_change_kind = "create"), delete e.revision.rev_parent_id),
    ],
  ])("skips %s", (reason, f) => {
    expect(variant(f)).toEqual({ accept: false, reason });
  });
  it("the live wikidata event is not Wikipedia", () => {
    expect(classify(parsed(live()), filter)).toEqual({ accept: false, reason: "not_wikipedia" });
  });
  it("is configurable: testwiki, namespaces, page creations, wiki ids", () => {
    const e = sample();
    (e as Record<string, any>).wiki_id = "testwiki";
    (e as Record<string, any>).meta.domain = "test.wikipedia.org";
    (e as Record<string, any>).page.namespace_id = 2;
    (e as Record<string, any>).revision.rev_parent_id = 0;
    expect(
      classify(parsed(e), {
        wikis: ["enwiki"],
        allowTestwiki: true,
        namespaces: [0, 2],
        dropPageCreations: false,
      }),
    ).toMatchObject({
      accept: true,
      wiki: "testwiki",
      lang: "test",
      parentId: 0,
    });
  });
});

describe("parseBody", () => {
  it("splits object, array and NDJSON; reports bad lines", () => {
    expect(parseBody('{"a":1}', "application/json")).toEqual({ values: [{ a: 1 }], errors: [] });
    expect(parseBody("[1,2]", "application/json")).toEqual({ values: [1, 2], errors: [] });
    const r = parseBody('{"a":1}\n\nnope\n{"b":2}\n', "application/x-ndjson");
    expect(r).toMatchObject({ values: [{ a: 1 }, { b: 2 }], indexes: [0, 2], errors: [{ index: 1 }] });
    expect(parseBody("", "application/json")).toEqual({ fatal: expect.stringMatching(/empty/) });
    expect(parseBody("[]", "application/json")).toEqual({ fatal: expect.stringMatching(/empty/) });
    expect(parseBody("{", "application/json")).toEqual({ fatal: expect.stringMatching(/malformed JSON/) });
  });
});

describe("ingest app", () => {
  const setup = (config: Record<string, unknown> = {}) => {
    const queue = new EmbeddedQueue({ path: ":memory:" });
    const metrics = new IngestMetrics();
    const app = createIngestApp({
      queue,
      metrics,
      config: { filter, token: "s3cret", maxBodyBytes: 64 * 1024, ...config },
    });
    const post = (body: string, headers: Record<string, string> = {}) =>
      app.request("/v1/events", {
        method: "POST",
        body,
        headers: { authorization: "Bearer s3cret", "content-type": "application/json", ...headers },
      });
    return { queue, metrics, app, post };
  };

  it("401 without or with a wrong token", async () => {
    const { post } = setup();
    expect((await post("{}", { authorization: "" })).status).toBe(401);
    const r = await post("{}", { authorization: "Bearer nope" });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("413 over the body limit", async () => {
    const { post } = setup();
    expect((await post(JSON.stringify({ x: "y".repeat(70_000) }))).status).toBe(413);
  });

  it("202 for one event, enqueued as a v1 message", async () => {
    const { post, queue } = setup();
    const r = await post(JSON.stringify(sample()));
    expect(r.status).toBe(202);
    expect(await r.json()).toEqual({
      received: 1,
      accepted: 1,
      filtered: 0,
      invalid: 0,
      enqueue_failed: 0,
      skipped: {},
      errors: [],
    });
    const [m] = await queue.receive();
    expect(m!.body).toEqual({ v: 1, wiki: "enwiki", rev_id: 1260000001, event: sample() });
  });

  it("mixed NDJSON batch: per-event counts, reasons and errors; /metrics counts them", async () => {
    const { post, queue, app } = setup();
    const bad = sample();
    delete bad.revision;
    const body = [sample(), live(), bad, testwiki()].map((e) => JSON.stringify(e)).join("\n") + "\n{oops\n";
    const r = await post(body, { "content-type": "application/x-ndjson" });
    expect(r.status).toBe(202);
    const j = (await r.json()) as IngestResult;
    expect(j).toMatchObject({
      received: 5,
      accepted: 1,
      filtered: 2,
      invalid: 2,
      skipped: { not_wikipedia: 1, unsupported_wiki: 1 },
    });
    expect(j.errors.map((e) => e.index)).toEqual([2, 4]);
    expect(j.errors[0]!.errors[0]).toMatch(/^revision: /);
    expect((await queue.depth()).visible).toBe(1);
    const m = await (await app.request("/metrics")).text();
    expect(m).toContain('revrisk_ingest_skipped_total{reason="not_wikipedia"} 1');
    expect(m).toContain('revrisk_ingest_events_total{outcome="invalid"} 2');
    expect(m).toContain('revrisk_ingest_requests_total{status="202"} 1');
  });

  it("400 when nothing is valid, with per-event errors", async () => {
    const { post } = setup();
    const r = await post(JSON.stringify([{ foo: 1 }, 3]));
    expect(r.status).toBe(400);
    const j = (await r.json()) as IngestResult;
    expect(j).toMatchObject({ received: 2, invalid: 2, error: "no valid events" });
    expect(j.errors[1]!.errors).toEqual([expect.stringMatching(/^\(root\)/)]);
    expect((await post("")).status).toBe(400);
    expect((await post("{nope")).status).toBe(400);
  });

  it("202 when everything is filtered", async () => {
    const { post } = setup();
    const r = await post(JSON.stringify([live()]));
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ accepted: 0, filtered: 1, skipped: { not_wikipedia: 1 } });
  });

  it("503 when the queue fails", async () => {
    const { post, queue } = setup();
    await queue.close();
    const r = await post(JSON.stringify(sample()));
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ enqueue_failed: 1, error: expect.stringMatching(/closed/) });
  });

  it("healthz without queue access", async () => {
    const queue = new EmbeddedQueue({ path: ":memory:" });
    const app = createIngestApp({ queue, config: { filter, healthQueueDepth: false } });
    await queue.close();
    expect(await (await app.request("/healthz")).json()).toEqual({ status: "ok", queue: "embedded" });
  });

  it("healthz reports queue depth", async () => {
    const { app } = setup();
    const r = await app.request("/healthz");
    expect(await r.json()).toEqual({
      status: "ok",
      queue: "embedded",
      depth: { visible: 0, inFlight: 0, dead: 0, oldestAgeS: 0 },
    });
  });
});

describe("Node adapter", () => {
  it("serves over HTTP on 127.0.0.1", async () => {
    const queue = new EmbeddedQueue({ path: ":memory:" });
    const s = await startIngestServer({ queue, config: { filter } });
    try {
      const r = await fetch(`${s.url}/v1/events`, {
        method: "POST",
        body: JSON.stringify([sample(), sample()]),
      });
      expect(r.status).toBe(202);
      expect((await queue.depth()).visible).toBe(2);
      expect(s.metrics.snapshot().events.accepted).toBe(2);
    } finally {
      await s.close();
      await queue.close();
    }
  });
});
