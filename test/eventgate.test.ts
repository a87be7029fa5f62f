import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEventGateSink, type EventGateSink } from "../standins/eventgate-sink/sink.ts";
import { ResultsDb } from "../standins/results-db/results-db.ts";
import { EventGateClient, EventGateError } from "../shared/pipeline/eventgate-client.ts";
import { buildPredictionEvent, type PredictionEvent } from "../shared/events/prediction-event.ts";

const load = (f: string) =>
  JSON.parse(readFileSync(new URL(`./data/samples/${f}`, import.meta.url), "utf8")) as Record<
    string,
    unknown
  >;
const pageChange = () => load("page_change-1.2.0.example.json");

function prediction(revId = 1260000001, probability = 0.25): PredictionEvent {
  const src = pageChange();
  (src.revision as Record<string, unknown>).rev_id = revId;
  const r = buildPredictionEvent(src, {
    model_name: "revertrisk-multilingual",
    model_version: "4",
    prediction: probability > 0.5,
    probability,
  });
  if (!r.ok) throw new Error(r.message);
  return r.event;
}
function invalidPrediction(): Record<string, unknown> {
  const e = prediction(42) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  delete e.meta.stream;
  e.predicted_classification.predictions = "false";
  e.predicted_classification.probabilities = { true: "0.12" };
  return e;
}

/** The observed invalid event, keeping `meta.stream` (which the stream rule reads before validation). */
function invalidWithStream(): Record<string, unknown> {
  const e = invalidPrediction() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  e.meta.stream = "mediawiki.page_revert_risk_multilingual_prediction_change.v1";
  return e;
}

async function post(
  url: string,
  body: unknown,
  raw = false,
  contentType: string | null = "application/json",
) {
  const r = await fetch(url, {
    method: "POST",
    // fetch labels a string body text/plain; bytes go without a content type
    body:
      contentType === null
        ? new TextEncoder().encode(JSON.stringify(body))
        : raw
          ? (body as string)
          : JSON.stringify(body),
    headers: contentType === null ? {} : { "content-type": contentType },
  });
  const text = await r.text();
  return { status: r.status, statusText: r.statusText, body: text ? JSON.parse(text) : undefined };
}

describe("EventGate-compatible sink", () => {
  let sink: EventGateSink;
  /** The default EventGate (no stream rule), as the observed answers were recorded. */
  let plain: EventGateSink;
  let hastyDone: Array<unknown> = [];
  beforeAll(async () => {
    sink = await startEventGateSink({ port: 0, dbPath: ":memory:", onHastyResult: (r) => hastyDone.push(r) });
    plain = await startEventGateSink({ port: 0, streams: false });
  });
  afterAll(async () => {
    await sink?.close();
    await plain?.close();
  });

  it("listens on 127.0.0.1", () => {
    expect(sink.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("201 for one valid event (object or array); stores it flattened", async () => {
    const e = prediction(1001, 0.75);
    const r = await post(sink.eventsUrl, e);
    expect(r).toEqual({ status: 201, statusText: "All 1 out of 1 events were accepted.", body: undefined });
    const rows = await sink.db.query("SELECT * FROM predictions WHERE meta_id = ?", [e.meta.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      meta_id: e.meta.id,
      stream: "mediawiki.page_revert_risk_multilingual_prediction_change.v1",
      wiki_id: "enwiki",
      rev_id: "1001",
      page_id: "123456",
      page_title: "Example_article",
      namespace: 0,
      performer_user_text: "ExampleEditor",
      performer_is_bot: false,
      model_name: "revertrisk-multilingual",
      model_version: "4",
      prediction: true,
      probability_true: 0.75,
      duplicates: 0,
    });
    expect(String(rows[0]!.dt)).toMatch(/^2026-11-24/);
  });

  it("idempotent on meta.id: duplicates are counted, not stored twice", async () => {
    const e = prediction(1002);
    expect((await post(sink.eventsUrl, [e, e])).status).toBe(201);
    expect((await post(sink.eventsUrl, [e])).status).toBe(201);
    const rows = await sink.db.query("SELECT duplicates FROM predictions WHERE meta_id = ?", [e.meta.id]);
    expect(rows).toEqual([{ duplicates: 2 }]);
  });

  it("400 with EventGate's exact invalid body for one invalid event", async () => {
    const bad = invalidPrediction();
    const r = await post(plain.eventsUrl, [bad]);
    expect(r.status).toBe(400);
    expect(r.statusText).toBe("1 out of 1 events were invalid and not accepted.");
    expect(Object.keys(r.body)).toEqual(["invalid"]);
    expect(r.body.invalid[0].event).toEqual(bad);
    expect(r.body.invalid[0].context.errorsText).toBe(
      "'.meta' should have required property 'stream', '.predicted_classification.predictions' should be array, '.predicted_classification.probabilities['true']' should be number",
    );
    expect(r.body.invalid[0].context.errors[0]).toEqual({
      keyword: "required",
      dataPath: ".meta",
      schemaPath: "#/properties/meta/required",
      params: { missingProperty: "stream" },
      message: "should have required property 'stream'",
    });
  });

  it("207 for a mixed batch; 500 for an unknown schema version", async () => {
    const r = await post(sink.eventsUrl, [prediction(1003), invalidWithStream()]);
    expect(r.status).toBe(207);
    expect(r.statusText).toBe("1 out of 2 events were accepted, but 1 failed (1 invalid and 0 errored).");
    expect(r.body.error).toEqual([]);
    expect(r.body.invalid).toHaveLength(1);
    const e = { ...prediction(1004), $schema: "/mediawiki/page/prediction_classification_change/1.3.0" };
    const r5 = await post(sink.eventsUrl, e);
    expect(r5.status).toBe(500);
    expect(r5.body).toEqual({
      invalid: [],
      error: [
        {
          status: "error",
          event: e,
          context: {
            message: "Failed loading schema at /mediawiki/page/prediction_classification_change/1.3.0",
          },
        },
      ],
    });
  });

  it("rejects live-format fields and enforces the stream/title rule", async () => {
    const e = prediction(1005) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    e.performer.user_central_id = 1;
    const r = await post(sink.eventsUrl, e);
    expect(r.body.invalid[0].context.errorsText).toBe("'.performer' should NOT have additional properties");
    // eventgate-wikimedia's stream rule: checked before validation, answered as an error (500).
    const wrongStream = prediction(1006);
    wrongStream.meta.stream = "mediawiki.page_change.v1";
    const w = await post(sink.eventsUrl, wrongStream);
    expect(w.status).toBe(500);
    expect(w.body.error[0].context.message).toBe(
      "Schema mediawiki/page/prediction_classification_change is not allowed in stream mediawiki.page_change.v1; must be mediawiki/page/change.",
    );
    wrongStream.meta.stream = "some.undeclared.stream";
    const u = await post(sink.eventsUrl, wrongStream);
    expect(u.status).toBe(500);
    expect(u.body.error[0].context.message).toBe(
      "Schema at /mediawiki/page/prediction_classification_change/1.1.0 is not allowed in stream some.undeclared.stream; some.undeclared.stream is not a configured stream.",
    );
    const noStream = invalidPrediction();
    expect((await post(sink.eventsUrl, noStream)).body.error[0].context.message).toBe(
      "Event stream name cannot be extracted. Event must have a 'meta.stream' property.",
    );
    // without the rule (the default EventGate) any stream is accepted
    expect((await post(plain.eventsUrl, wrongStream)).status).toBe(201);
    // a page_change event on its own stream is accepted
    expect((await post(sink.eventsUrl, pageChange())).status).toBe(201);
  });

  it("400 on an empty body, {} or [], 500 on malformed JSON, 404 on GET", async () => {
    for (const b of ["", "[]", "{}", " { } "]) {
      const r = await post(sink.eventsUrl, b, true);
      expect(r).toMatchObject({
        status: 400,
        statusText: "Request body was empty. Must provide JSON encoded events.",
      });
    }
    const m = await post(sink.eventsUrl, "{", true);
    expect(m.status).toBe(500);
    expect(m.body).toMatchObject({ status: 500, type: "internal_error", title: "SyntaxError" });
    // the body parser's strict mode: only an object or an array
    expect((await post(sink.eventsUrl, "5", true)).body).toMatchObject({ status: 500, title: "SyntaxError" });
    expect((await fetch(sink.eventsUrl)).status).toBe(404);
  });

  it("an event without $schema is an error with EventGate's message", async () => {
    const e = prediction(1010) as Record<string, unknown>;
    delete e.$schema;
    const r = await post(sink.eventsUrl, e);
    expect(r.status).toBe(500);
    expect(r.statusText).toBe(
      "1 out of 1 events had failures and were not accepted. (0 invalid and 1 errored).",
    );
    expect(r.body.error[0]).toEqual({
      status: "error",
      event: e,
      context: { message: "Field(s) $schema were missing from event and could not be extracted." },
    });
  });

  it("parses only JSON content types (text/plain included); anything else is an empty body", async () => {
    for (const type of ["application/x-www-form-urlencoded", "application/xml", null]) {
      const e = prediction(1011);
      const r = await post(sink.eventsUrl, e, false, type);
      expect(r, String(type)).toMatchObject({
        status: 400,
        statusText: "Request body was empty. Must provide JSON encoded events.",
      });
      expect(await sink.db.query("SELECT 1 FROM predictions WHERE meta_id = ?", [e.meta.id])).toEqual([]);
    }
    for (const type of [
      "text/plain;charset=UTF-8",
      "application/json; charset=utf-8",
      "application/reports+json",
    ])
      expect((await post(sink.eventsUrl, prediction(1012), false, type)).status, type).toBe(201);
  });

  it("refuses a body over max_body_size (4 MiB by default) with EventGate's error object", async () => {
    const e = prediction(1013) as Record<string, unknown>;
    e.comment = "x".repeat(4 * 1024 * 1024);
    const r = await post(sink.eventsUrl, e);
    expect(r.status).toBe(500);
    expect(r.body).toEqual({
      status: 500,
      type: "internal_error",
      title: "PayloadTooLargeError",
      detail: "request entity too large",
      method: "POST",
      uri: "/v1/events",
    });
    expect(
      await sink.db.query("SELECT 1 FROM predictions WHERE meta_id = ?", [(e.meta as { id: string }).id]),
    ).toEqual([]);
  });

  it("202 hasty: valid events stored, invalid dropped silently", async () => {
    hastyDone = [];
    const good = prediction(1007);
    const r = await post(`${sink.eventsUrl}?hasty=true`, [good, invalidPrediction()]);
    expect(r).toEqual({ status: 202, statusText: "2 events hastily received.", body: undefined });
    for (let i = 0; i < 50 && hastyDone.length === 0; i++) await new Promise((res) => setTimeout(res, 20));
    expect(await sink.db.query("SELECT rev_id FROM predictions WHERE meta_id = ?", [good.meta.id])).toEqual([
      { rev_id: "1007" },
    ]);
  });
});

describe("ResultsDb file persistence", () => {
  it("keeps rows across reopen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revrisk-db-"));
    try {
      const path = join(dir, "r.duckdb");
      let db = await ResultsDb.open(path);
      expect(await db.insert([prediction(1), prediction(2)])).toEqual({ inserted: 2, duplicates: 0 });
      await db.close();
      db = await ResultsDb.open(path);
      expect(await db.insert([prediction(2), prediction(3)])).toEqual({ inserted: 1, duplicates: 1 });
      expect(await db.stats()).toEqual({ rows: 3, duplicates: 1 });
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("EventGate client", () => {
  let sink: EventGateSink;
  beforeAll(async () => {
    sink = await startEventGateSink({ port: 0 });
  });
  afterAll(async () => {
    await sink?.close();
  });

  it("reports 201, 207 per-event failures by index, and 202 hasty", async () => {
    const c = new EventGateClient({ url: sink.eventsUrl });
    expect(await c.post(prediction(2001))).toMatchObject({ status: 201, accepted: 1, failed: [] });
    const r = await c.post([prediction(2002), invalidWithStream(), prediction(2003)]);
    expect(r).toMatchObject({ status: 207, accepted: 2, attempts: 1 });
    expect(r.failed).toEqual([
      expect.objectContaining({
        index: 1,
        status: "invalid",
        reason: expect.stringMatching(/^'\.predicted_classification\.predictions' should be array/),
      }),
    ]);
    const all = await c.post([invalidWithStream()]);
    expect(all).toMatchObject({ status: 400, accepted: 0, failed: [{ index: 0, status: "invalid" }] });
    const h = await new EventGateClient({ url: sink.eventsUrl, hasty: true }).post([prediction(2004)]);
    expect(h).toMatchObject({ status: 202, hasty: true, accepted: 1 });
  });

  it("does not retry a 500 for a missing schema", async () => {
    const c = new EventGateClient({ url: sink.eventsUrl, minBackoffMs: 1 });
    const r = await c.post([{ ...prediction(2005), $schema: "/nope/1.0.0" }]);
    expect(r).toMatchObject({
      status: 500,
      accepted: 0,
      attempts: 1,
      failed: [{ index: 0, status: "error", reason: "Failed loading schema at /nope/1.0.0" }],
    });
  });

  it("publish: one final outcome per event for what a retry cannot change, in one attempt", async () => {
    let posts = 0;
    const c = new EventGateClient({
      url: sink.eventsUrl,
      minBackoffMs: 1,
      fetch: (url, init) => {
        posts++;
        return fetch(url, init);
      },
    });
    const unpublished = {
      ...prediction(2006),
      $schema: "/mediawiki/page/prediction_classification_change/1.2.0",
    };
    const undeclared = prediction(2007);
    undeclared.meta.stream = "mediawiki.undeclared.v1";
    const out = await c.publish([prediction(2008), unpublished, undeclared, invalidWithStream()]);
    expect(posts).toBe(1);
    expect(out).toEqual([
      { status: "accepted" },
      {
        status: "rejected",
        reason: "error: Failed loading schema at /mediawiki/page/prediction_classification_change/1.2.0",
      },
      {
        status: "rejected",
        reason: expect.stringMatching(/^error: Schema at .* is not a configured stream\.$/),
      },
      { status: "rejected", reason: expect.stringMatching(/^invalid: '\.predicted_classification/) },
    ]);
    // all failing (a 500): still no retry
    posts = 0;
    expect(await c.publish([unpublished, undeclared])).toMatchObject([
      { status: "rejected" },
      { status: "rejected" },
    ]);
    expect(posts).toBe(1);
  });

  it("probe: ok for a known schema and stream (nothing stored), EventGate's message otherwise", async () => {
    const c = new EventGateClient({ url: sink.eventsUrl });
    const before = (await sink.db.stats()).rows;
    const title = "/mediawiki/page/prediction_classification_change";
    const stream = "mediawiki.page_revert_risk_multilingual_prediction_change.v1";
    expect(await c.probe(`${title}/1.1.0`, stream)).toEqual({ status: "ok" });
    expect(await c.probe(`${title}/1.0.0`, stream)).toEqual({ status: "ok" });
    expect(await c.probe(`${title}/1.2.0`, stream)).toEqual({
      status: "rejected",
      reason: `error: Failed loading schema at ${title}/1.2.0`,
    });
    expect(await c.probe(`${title}/1.1.0`, "nope.v1")).toMatchObject({
      status: "rejected",
      reason: expect.stringMatching(/nope\.v1 is not a configured stream/),
    });
    expect((await sink.db.stats()).rows).toBe(before);
  });

  describe("against a flaky server", () => {
    let server: Server;
    let url: string;
    let calls = 0;
    const agents: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        calls++;
        agents.push(String(req.headers["user-agent"]));
        req.resume();
        if (req.url?.startsWith("/slow")) return void setTimeout(() => res.writeHead(201).end(), 500);
        if (req.url?.startsWith("/down")) return void res.writeHead(503).end();
        if (calls % 3 !== 0) return void res.writeHead(503).end();
        res.writeHead(201).end();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(
      () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
    );

    it("retries 5xx with backoff and sends a User-Agent", async () => {
      calls = 0;
      const r = await new EventGateClient({
        url: `${url}/v1/events`,
        minBackoffMs: 5,
        maxBackoffMs: 20,
      }).post([{}]);
      expect(r).toMatchObject({ status: 201, attempts: 3 });
      expect(agents[0]).toMatch(/^revrisk\//);
    });

    it("gives up after the retries with an EventGateError", async () => {
      const c = new EventGateClient({ url: `${url}/down`, retries: 2, minBackoffMs: 5, maxBackoffMs: 10 });
      await expect(c.post([{}])).rejects.toThrow(/503.*after 3 attempt/);
    });

    it("publish: 5xx, timeouts and network errors are retry outcomes, not throws", async () => {
      const down = new EventGateClient({ url: `${url}/down`, retries: 1, minBackoffMs: 5, maxBackoffMs: 10 });
      expect(await down.publish([{}, {}])).toEqual([
        { status: "retry", reason: expect.stringMatching(/503/) },
        { status: "retry", reason: expect.stringMatching(/503/) },
      ]);
      const closed = new EventGateClient({ url: "http://127.0.0.1:9/v1/events", retries: 0 });
      expect(await closed.publish([{}])).toMatchObject([{ status: "retry" }]);
      expect(await closed.probe("/x/1.0.0", "s")).toMatchObject({ status: "unreachable" });
    });

    it("times out and retries", async () => {
      const c = new EventGateClient({ url: `${url}/slow`, timeoutMs: 100, retries: 1, minBackoffMs: 5 });
      const err = await c.post([{}]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EventGateError);
      expect((err as Error).message).toMatch(/timed out after 100 ms \(after 2 attempt/);
    });
  });
});
