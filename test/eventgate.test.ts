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

async function post(url: string, body: unknown, raw = false) {
  const r = await fetch(url, {
    method: "POST",
    body: raw ? (body as string) : JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  const text = await r.text();
  return { status: r.status, statusText: r.statusText, body: text ? JSON.parse(text) : undefined };
}

describe("EventGate-compatible sink", () => {
  let sink: EventGateSink;
  let hastyDone: Array<unknown> = [];
  beforeAll(async () => {
    sink = await startEventGateSink({ port: 0, dbPath: ":memory:", onHastyResult: (r) => hastyDone.push(r) });
  });
  afterAll(async () => {
    await sink?.close();
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
    const r = await post(sink.eventsUrl, [bad]);
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
    const r = await post(sink.eventsUrl, [prediction(1003), invalidPrediction()]);
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
    const wrongStream = prediction(1006);
    wrongStream.meta.stream = "mediawiki.page_change.v1";
    expect((await post(sink.eventsUrl, wrongStream)).status).toBe(400);
    wrongStream.meta.stream = "some.undeclared.stream";
    const u = await post(sink.eventsUrl, wrongStream);
    expect(u.body.invalid[0].context.errorsText).toMatch(/not declared/);
    // a page_change event on its own stream is accepted
    expect((await post(sink.eventsUrl, pageChange())).status).toBe(201);
  });

  it("400 on an empty body or [], 500 on malformed JSON, 404 on GET", async () => {
    for (const b of ["", "[]"]) {
      const r = await post(sink.eventsUrl, b, true);
      expect(r).toMatchObject({
        status: 400,
        statusText: "Request body was empty. Must provide JSON encoded events.",
      });
    }
    const m = await post(sink.eventsUrl, "{", true);
    expect(m.status).toBe(500);
    expect(m.body).toMatchObject({ status: 500, type: "internal_error", title: "SyntaxError" });
    expect((await fetch(sink.eventsUrl)).status).toBe(404);
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
    const r = await c.post([prediction(2002), invalidPrediction(), prediction(2003)]);
    expect(r).toMatchObject({ status: 207, accepted: 2, attempts: 1 });
    expect(r.failed).toEqual([
      expect.objectContaining({
        index: 1,
        status: "invalid",
        reason: expect.stringMatching(/^'\.meta' should have/),
      }),
    ]);
    const all = await c.post([invalidPrediction()]);
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

    it("times out and retries", async () => {
      const c = new EventGateClient({ url: `${url}/slow`, timeoutMs: 100, retries: 1, minBackoffMs: 5 });
      const err = await c.post([{}]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EventGateError);
      expect((err as Error).message).toMatch(/timed out after 100 ms \(after 2 attempt/);
    });
  });
});
