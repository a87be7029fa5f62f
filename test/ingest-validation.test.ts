/**
 * What ingest accepts is what the prediction event can carry (issue 12 item 4): the wiki claims of
 * an event (`meta.domain`, `wiki_id`) must agree with the wiki table, every field the prediction
 * event copies is checked as its schema constrains it (a 400 naming the field), and a property
 * test posts generated events to the real ingest app and validates the prediction event built
 * from every enqueued one with the EventGate-compatible sink's validator (real schemas, ajv).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- fixtures are mutated by path */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { startIngestServer } from "../functions/ingest/node.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";
import { RRML_DEFAULT_LANGS } from "../shared/events/page-change.ts";
import { buildPredictionEvent } from "../shared/events/prediction-event.ts";
import { createIngestApp, type IngestResult } from "../shared/ingest/ingest-app.ts";
import { DEFAULT_STREAMS, SchemaValidator } from "../standins/eventgate-sink/sink.ts";

const sample = () =>
  JSON.parse(
    readFileSync(new URL("./data/samples/page_change-1.2.0.example.json", import.meta.url), "utf8"),
  ) as Record<string, any>;
const filter = { wikis: RRML_DEFAULT_LANGS };
const pred = {
  model_name: "revertrisk-multilingual",
  model_version: "4",
  prediction: true,
  probability: 0.7,
};
const validator = new SchemaValidator();

/** Sets `path` ("a.b.c") in `obj`, creating objects on the way; false where a parent is not an object. */
function setPath(obj: Record<string, any>, path: string, value: unknown): boolean {
  const keys = path.split(".");
  let o: any = obj;
  for (const k of keys.slice(0, -1)) {
    if (o[k] === undefined) o[k] = {};
    o = o[k];
    if (o === null || typeof o !== "object" || Array.isArray(o)) return false;
  }
  o[keys.at(-1)!] = value;
  return true;
}

function ingest() {
  const queue = new EmbeddedQueue({ path: ":memory:" });
  const app = createIngestApp({ queue, config: { filter, maxBodyBytes: 4 * 1024 * 1024 } });
  const post = async (body: unknown) => {
    const r = await app.request("/v1/events", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
    return { status: r.status, json: (await r.json()) as IngestResult };
  };
  const drain = async () => {
    const out: Record<string, unknown>[] = [];
    for (;;) {
      const got = await queue.receive({ max: 10 });
      if (!got.length) return out;
      for (const m of got) {
        out.push(m.body.event);
        await queue.ack(m.receiptHandle);
      }
    }
  };
  return { queue, post, drain };
}

describe("wiki claims: meta.domain and wiki_id must name the same table wiki", () => {
  const { queue, post } = ingest();
  afterAll(() => queue.close());

  it.each([
    [
      "127.0.0.1/.wikipedia.org",
      "enwiki",
      /^meta\.domain: "127\.0\.0\.1\/\.wikipedia\.org" is not en\.wikipedia\.org/,
    ],
    [".wikipedia.org", "enwiki", /^meta\.domain: "\.wikipedia\.org" is not en\.wikipedia\.org/],
    ["evil.wikipedia.org", "enwiki", /^meta\.domain: "evil\.wikipedia\.org" is not en\.wikipedia\.org/],
    ["en.wikipedia.org", "dewiki", /^meta\.domain: "en\.wikipedia\.org" is not de\.wikipedia\.org/],
    ["169.254.169.254", "enwiki", /^meta\.domain: "169\.254\.169\.254" is not en\.wikipedia\.org/],
    ["EN.WIKIPEDIA.ORG", "enwiki", /^meta\.domain: /],
    ["en.wikipedia.org", "gswiki", /^wiki_id: "gswiki" is not enwiki, the wiki of meta\.domain/],
    ["evil.wikipedia.org", "evilwiki", /^meta\.domain: "evil\.wikipedia\.org" is not a Wikipedia host/],
    [".wikipedia.org", "xwiki", /^meta\.domain: "\.wikipedia\.org" is not a Wikipedia host/],
  ])("%s with wiki_id %s: 400 naming the field, nothing enqueued", async (domain, wiki, message) => {
    const e = sample();
    e.meta.domain = domain;
    e.wiki_id = wiki;
    const r = await post(e);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ received: 1, accepted: 0, invalid: 1, error: "no valid events" });
    expect(r.json.errors[0]!.errors[0]).toMatch(message);
    expect((await queue.depth()).visible).toBe(0);
  });

  it("a matching pair is accepted; another project's event is filtered, not rejected", async () => {
    const de = sample();
    de.meta.domain = "de.wikipedia.org";
    de.wiki_id = "dewiki";
    const wikidata = sample();
    wikidata.meta.domain = "www.wikidata.org";
    wikidata.wiki_id = "wikidatawiki";
    const canary = sample();
    canary.meta.domain = "canary";
    const r = await post([de, wikidata, canary]);
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ accepted: 1, filtered: 2, invalid: 0 });
    expect(r.json.skipped).toEqual({ not_wikipedia: 1, canary: 1 });
  });

  it("over real HTTP: the spoofed pair is a 400, the good event of the same request enqueued", async () => {
    const q = new EmbeddedQueue({ path: ":memory:" });
    const s = await startIngestServer({ queue: q, config: { filter } });
    try {
      const bad = sample();
      bad.wiki_id = "dewiki";
      const r = await fetch(`${s.url}/v1/events`, { method: "POST", body: JSON.stringify(bad) });
      expect(r.status).toBe(400);
      expect(((await r.json()) as IngestResult).errors[0]!.errors[0]).toMatch(/^meta\.domain: /);
      const mixed = await fetch(`${s.url}/v1/events`, {
        method: "POST",
        body: JSON.stringify([bad, sample()]),
      });
      expect(mixed.status).toBe(202);
      expect((await q.depth()).visible).toBe(1);
    } finally {
      await s.close();
      await q.close();
    }
  });
});

describe("the prediction event's domain and meta.uri come from the wiki table", () => {
  it("a spoofed meta.uri never reaches the prediction event", () => {
    const e = sample();
    e.meta.uri = "http://169.254.169.254/latest/meta-data/";
    const r = buildPredictionEvent(e, pred);
    expect(r.ok && r.event.meta).toMatchObject({
      domain: "en.wikipedia.org",
      uri: "https://en.wikipedia.org/wiki/Example_article",
    });
  });
  it("the URI is the page's, encoded as MediaWiki does; testwiki has its host", () => {
    const e = sample();
    e.page.page_title = "AC/DC:_Live_(1992)_?#&=ü";
    e.wiki_id = "testwiki";
    e.meta.domain = "test.wikipedia.org";
    const r = buildPredictionEvent(e, pred);
    expect(r.ok && r.event.meta.uri).toBe(
      "https://test.wikipedia.org/wiki/AC/DC:_Live_(1992)_%3F%23%26%3D%C3%BC",
    );
    expect(r.ok && validator.validate(r.event, DEFAULT_STREAMS).result.status).toBe("success");
  });
  it("the builder refuses a source whose claims disagree (API {event} input, old queue messages)", () => {
    const e = sample();
    e.wiki_id = "dewiki";
    expect(buildPredictionEvent(e, pred)).toMatchObject({
      ok: false,
      reason: "invalid_page_change",
      message: expect.stringMatching(/^meta\.domain: /),
    });
  });
  it("no domain or uri for a wiki outside the table (the event is valid without them)", () => {
    const e = sample();
    e.meta.domain = "www.wikidata.org";
    e.wiki_id = "wikidatawiki";
    const r = buildPredictionEvent(e, pred);
    expect(r.ok).toBe(true);
    expect(r.ok && r.event.meta).not.toHaveProperty("domain");
    expect(r.ok && r.event.meta).not.toHaveProperty("uri");
    expect(r.ok && validator.validate(r.event, DEFAULT_STREAMS).result.status).toBe("success");
  });
});

describe("ingest checks every field the prediction event copies", () => {
  const { queue, post } = ingest();
  afterAll(() => queue.close());

  const cases: Array<[string, unknown]> = [
    ["dt", "yesterday"],
    ["dt", "2026-11-24"],
    ["dt", "2026-11-24T12:00Z"],
    ["revision.rev_dt", "2026-11-24 12:00"],
    ["revision.rev_dt", "2026-11-24T12:00:00Z" + " ".repeat(120)],
    ["revision.rev_size", 5120.5],
    ["revision.rev_size", -1],
    ["revision.rev_parent_id", 2.5],
    ["revision.rev_id", 2 ** 53],
    ["revision.rev_sha1", 123],
    ["revision.comment", null],
    ["revision.is_minor_edit", "false"],
    ["revision.editor.user_text", ""],
    ["revision.editor.registration_dt", "2015"],
    ["meta.uri", "https://en.wikipedia.org/wiki/A B"],
    ["meta.uri", "\\\\evil\\share"],
    ["meta.request_id", 7],
    ["meta.domain", ""],
    ["comment", 5],
    ["page.page_id", -1],
    ["page.revision_count", 1.5],
    ["page.is_redirect", "no"],
    ["page.redirect_page_link.page_title", ""],
    ["page.redirect_page_link.page_id", "1"],
    ["performer.user_text", ""],
    ["performer.user_id", 1.5],
    ["performer.edit_count", -3],
    ["performer.groups", [""]],
    ["performer.is_bot", "no"],
    ["performer.registration_dt", "2015-03-01"],
    ["prior_state.revision.rev_dt", "x"],
    ["prior_state.page.page_title", ""],
    ["created_redirect_page.page_id", 1.5],
    ["page.page_title", "x".repeat(9000)],
  ];
  it.each(cases)("%s = %j: 400 naming the field", async (path, value) => {
    const e = sample();
    setPath(e, path, value);
    const r = await post(e);
    expect(r.status).toBe(400);
    expect(r.json.errors[0]!.errors[0]).toMatch(new RegExp(`^${path.replaceAll(".", "\\.")}(\\[\\d+\\])?: `));
    // ...and the schema would indeed have refused the prediction event built from it.
    const built = buildPredictionEvent(e, pred, { requirePerformer: false });
    expect(built).toMatchObject({ ok: false, reason: "invalid_page_change" });
  });
});

// ---------------------------------------------------------------------------------------------
// Property: every event ingest accepts yields a prediction event EventGate accepts
// ---------------------------------------------------------------------------------------------

const WIKIS: Array<[string, string]> = [
  ["enwiki", "en.wikipedia.org"],
  ["dewiki", "de.wikipedia.org"],
  ["zhwiki", "zh.wikipedia.org"],
  ["nowiki", "no.wikipedia.org"],
  ["wikidatawiki", "www.wikidata.org"],
];
const SPECIALS = [
  "",
  " ",
  "2026-11-24",
  "2026-11-24T12:00:00",
  "2026-11-24T12:00:00+0100",
  "2026-11-24t12:00:00.5z",
  "http://a b",
  "\\x",
  -1,
  1.5,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  1e21,
  "127.0.0.1/.wikipedia.org",
  "en.wikipedia.org",
  "x".repeat(9000),
  [""],
  [1],
  {},
  null,
  true,
];
const MUTABLE = [
  "dt",
  "meta.uri",
  "meta.domain",
  "meta.request_id",
  "wiki_id",
  "comment",
  "page.page_id",
  "page.page_title",
  "page.revision_count",
  "page.redirect_page_link",
  "page.redirect_page_link.page_title",
  "page.redirect_page_link.namespace_id",
  "performer",
  "performer.user_text",
  "performer.user_id",
  "performer.groups",
  "performer.registration_dt",
  "performer.edit_count",
  "performer.is_temp",
  "revision.rev_id",
  "revision.rev_dt",
  "revision.rev_parent_id",
  "revision.rev_size",
  "revision.rev_sha1",
  "revision.comment",
  "revision.is_content_visible",
  "revision.editor",
  "revision.editor.user_text",
  "revision.editor.registration_dt",
  "prior_state",
  "prior_state.page",
  "prior_state.page.namespace_id",
  "prior_state.revision",
  "prior_state.revision.rev_dt",
  "prior_state.revision.editor.groups",
  "created_redirect_page",
  "created_redirect_page.page_title",
];

const isoDate = fc
  .date({ min: new Date(-1e14), max: new Date(3e14), noInvalidDate: true })
  .map((d) => d.toISOString());
const user = fc.record(
  {
    user_text: fc.string({ minLength: 1, unit: "grapheme" }),
    user_id: fc.nat(),
    groups: fc.array(fc.constantFrom("*", "user", "autoconfirmed", "bot", "sysop")),
    is_bot: fc.boolean(),
    edit_count: fc.nat(),
    registration_dt: isoDate,
  },
  { requiredKeys: [] },
);
const event = fc
  .record({
    wiki: fc.constantFrom(...WIKIS),
    title: fc.string({
      minLength: 1,
      maxLength: 300,
      unit: fc.constantFrom("a", "_", "/", ":", "ü", "?", "%", " ", "😀"),
    }),
    dt: isoDate,
    revDt: isoDate,
    size: fc.option(fc.nat(), { nil: undefined }),
    performer: fc.option(user, { nil: undefined }),
    editor: fc.option(user, { nil: undefined }),
    comment: fc.option(fc.string(), { nil: undefined }),
    mutations: fc.array(
      fc.tuple(
        fc.constantFrom(...MUTABLE),
        fc.oneof(fc.constantFrom(...SPECIALS), fc.jsonValue({ maxDepth: 2 })),
      ),
      { maxLength: 2 },
    ),
  })
  .map((g) => {
    const e = sample();
    [e.wiki_id, e.meta.domain] = g.wiki;
    e.page.page_title = g.title;
    e.dt = g.dt;
    e.revision.rev_dt = g.revDt;
    e.revision.rev_size = g.size;
    e.performer = g.performer;
    e.revision.editor = g.editor;
    e.comment = g.comment;
    for (const [path, value] of g.mutations) setPath(e, path, value);
    return e;
  });

describe("property: ingest-accepted events make schema-valid prediction events", () => {
  it("every enqueued event builds a prediction event the EventGate-compatible sink accepts", async () => {
    const { queue, post, drain } = ingest();
    const totals = { accepted: 0, invalid: 0, built: 0 };
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 10 }), async (events) => {
          const r = await post(events);
          totals.accepted += r.json.accepted;
          totals.invalid += r.json.invalid;
          for (const source of await drain()) {
            const built = buildPredictionEvent(source, pred);
            if (!built.ok && built.reason === "no_performer") continue; // a documented skip
            expect(built.ok ? "built" : built.message).toBe("built");
            if (!built.ok) return;
            const v = validator.validate(built.event, DEFAULT_STREAMS).result;
            expect(v.context?.errorsText ?? v.status).toBe("success");
            totals.built++;
          }
        }),
        { numRuns: 150, seed: 20261203 },
      );
    } finally {
      await queue.close();
    }
    // Not vacuous: plenty of events were enqueued and built, and plenty were refused.
    expect(totals.built).toBeGreaterThan(50); // 109 with this seed
    expect(totals.invalid).toBeGreaterThan(300); // 648 with this seed
  });
});
