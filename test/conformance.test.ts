/**
 * Conformance with the API's real clients: a table of the requests that clients we know of send —
 * LiftWing's README examples (curl, with and without a content type), the ORES extension's pre-save
 * `revision_data` payload, changeprop's page_change event, a patrolling bot's
 * `{"rev_id", "lang", "project"}` (extra keys ignored, as LiftWing does), WikiEduDashboard-style
 * multi-revision ORES calls — replayed over HTTP against the real stack (fixture model on
 * onnxruntime, MediaWiki fixture server, EventGate-compatible sink). Each row asserts the status and
 * the answer's keys and value types; every answer is also checked against /openapi.json. Last, the
 * /docs page is opened in a browser (Debian's chromium) to check that nothing is wider than the page.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium } from "playwright-core";
import { startApiServer, type ApiServer } from "../functions/api/node.ts";
import { createRuntime, eventEmitter, type Runtime } from "../functions/node/runtime.ts";
import { startEventGateSink, type EventGateSink } from "../standins/eventgate-sink/sink.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import { pageChangeEventsFromStore } from "../standins/mediawiki-fixture/replay.ts";
import { ResponseRecorder } from "./api-responses.ts";

const M = "revertrisk-multilingual";
const PREDICT = `/v1/models/${M}:predict`;

let mw: MwFixtureServer;
let runtime: Runtime;
let sink: EventGateSink;
/** LiftWing's default deployment: revision_data ignored. */
let api: ApiServer;
/** The pre-save deployment the ORES extension calls (ALLOW_REVISION_JSON_INPUT). */
let preSave: ApiServer;
const recorder = new ResponseRecorder();

/** Seeded English revisions with a parent (scorable), and the page_change event of the first. */
let en: number[];
let enEvent: Record<string, unknown>;

beforeAll(async () => {
  mw = await startMwFixtureServer({ port: 0 });
  runtime = await createRuntime({
    model: "models/fixture",
    provider: "cpu",
    mediawikiUrl: mw.apiBase,
    mediawiki: { retries: 1, retryBaseDelayMs: 10 },
    featurizerThreads: 0,
  });
  sink = await startEventGateSink({ port: 0 });
  const emitEvent = eventEmitter({ eventgateUrl: sink.eventsUrl });
  api = await startApiServer({ service: runtime.service, emitEvent, port: 0 });
  preSave = await startApiServer({
    service: runtime.service,
    config: { allowRevisionJsonInput: true },
    port: 0,
  });
  const seeded = mw.store.seeded().filter((e) => e.lang === "en" && e.parentId > 0);
  en = seeded.map((e) => e.revId);
  const events = pageChangeEventsFromStore(mw.store);
  enEvent = events.find((e) => (e.revision as { rev_id: number }).rev_id === en[0])!;
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await preSave?.stop();
  await sink?.close();
  await runtime?.close();
  await mw?.close();
});

type Type = "string" | "number" | "integer" | "boolean" | "object" | "array" | "null";

/** Expected keys (in order) and value types of a JSON object; nested objects by key. */
interface Shape {
  [key: string]: Type | Shape;
}

function typeOf(v: unknown): Type {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v as Type;
}

/** Checks `value` against `shape`: the same keys in the same order, each of the expected type. */
function checkShape(value: unknown, shape: Shape, at = "$"): void {
  expect(typeOf(value), at).toBe("object");
  const obj = value as Record<string, unknown>;
  expect(Object.keys(obj), at).toEqual(Object.keys(shape));
  for (const [k, want] of Object.entries(shape)) {
    const got = obj[k];
    if (typeof want === "object") checkShape(got, want, `${at}.${k}`);
    else if (want === "number") expect(["number", "integer"], `${at}.${k}`).toContain(typeOf(got));
    else expect(typeOf(got), `${at}.${k}`).toBe(want);
  }
}

const LIFTWING_SCORE: Shape = {
  model_name: "string",
  model_version: "string",
  wiki_db: "string",
  revision_id: "integer",
  output: { prediction: "boolean", probabilities: { true: "number", false: "number" } },
};
const ORES_SCORE: Shape = {
  score: { prediction: "boolean", probability: { true: "number", false: "number" } },
};

interface Row {
  client: string;
  server?: () => ApiServer;
  method: "GET" | "POST";
  path: () => string;
  headers?: Record<string, string>;
  body?: () => string;
  status: number;
  /** The answer's shape, or a check of its JSON. */
  shape: Shape | ((json: Record<string, unknown>, res: Response) => void);
}

/** LiftWing's README example of pre-save revision data (an unsaved revision: id -1). */
const README_REVISION_DATA = () => ({
  revision_data: {
    id: -1,
    bytes: 2800,
    comment: "Hello World",
    text: "I love Wikipedia. This is a lead.\n== Section I ==\nSection I body. {{and a|template}}\n[[Category:bar]]\n",
    timestamp: "2022-02-15T04:30:00Z",
    parent: {
      id: 1200,
      bytes: 2600,
      comment: "Added section I.B",
      text: "This is a lead.\n== Section I ==\nSection I body. {{and a|template}}\n[[Category:bar]]\n",
      timestamp: "2021-01-01T02:00:00Z",
      lang: "en",
    },
    user: { id: 0 },
    page: { id: 1008, title: "this is a title", first_edit_timestamp: "2018-01-01T10:02:02Z" },
    lang: "en",
  },
});

/** What the ORES extension sends before an edit is saved: the would-be revision, its user and page. */
const ORES_EXTENSION_PRESAVE = () => ({
  revision_data: {
    id: -1,
    lang: "en",
    text: "Paris is the capital of France. It is known for the Eiffel Tower.",
    timestamp: "2026-11-24T12:00:00Z",
    bytes: 64,
    comment: "/* History */ expand",
    tags: ["visualeditor"],
    page: { id: 22989, title: "Paris", first_edit_timestamp: "2001-10-17T06:16:25Z" },
    parent: {
      id: 1259999990,
      lang: "en",
      text: "Paris is the capital of France.",
      timestamp: "2026-11-20T08:00:00Z",
      bytes: 31,
      comment: "",
      tags: [],
    },
    user: {
      id: 4242,
      name: "ExampleEditor",
      editcount: 120,
      groups: ["*", "user", "autoconfirmed"],
      registration_timestamp: "2020-05-01T00:00:00Z",
    },
  },
});

const rows: Row[] = [
  {
    client: "LiftWing README: curl -d without a content type (form-urlencoded)",
    method: "POST",
    path: () => PREDICT,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: () => JSON.stringify({ lang: "en", rev_id: en[0] }),
    status: 200,
    shape: LIFTWING_SCORE,
  },
  {
    client: "LiftWing README: curl -d with Content-type: application/json",
    method: "POST",
    path: () => PREDICT,
    headers: { "content-type": "application/json" },
    body: () => JSON.stringify({ lang: "en", rev_id: en[1] }),
    status: 200,
    shape: LIFTWING_SCORE,
  },
  {
    client: "LiftWing README: revision_data on the default deployment (ignored, so lang is missing)",
    method: "POST",
    path: () => PREDICT,
    headers: { "content-type": "application/json" },
    body: () => JSON.stringify(README_REVISION_DATA()),
    status: 400,
    shape: { error: "string" },
  },
  {
    client: "LiftWing README: revision_data on the pre-save deployment",
    server: () => preSave,
    method: "POST",
    path: () => PREDICT,
    headers: { "content-type": "application/json" },
    body: () => JSON.stringify(README_REVISION_DATA()),
    status: 200,
    shape: (json) => {
      checkShape(json, LIFTWING_SCORE);
      expect(json.revision_id).toBe(-1);
    },
  },
  {
    client: "ORES extension: pre-save revision_data (user and tags included)",
    server: () => preSave,
    method: "POST",
    path: () => PREDICT,
    headers: { "content-type": "application/json" },
    body: () => JSON.stringify(ORES_EXTENSION_PRESAVE()),
    status: 200,
    shape: (json) => {
      checkShape(json, LIFTWING_SCORE);
      expect(json.wiki_db).toBe("enwiki");
    },
  },
  {
    client: 'patrolling bot: {"rev_id", "lang", "project": "wikipedia"} (extra keys ignored)',
    method: "POST",
    path: () => PREDICT,
    headers: { "content-type": "application/json", "user-agent": "PatrolBot/1.0" },
    body: () => JSON.stringify({ rev_id: en[2], lang: "en", project: "wikipedia", source: "recentchanges" }),
    status: 200,
    shape: (json) => {
      checkShape(json, LIFTWING_SCORE);
      expect(json.revision_id).toBe(en[2]);
    },
  },
  {
    client: "changeprop: a page_change event (scored, prediction event emitted to EventGate)",
    method: "POST",
    path: () => PREDICT,
    headers: { "content-type": "application/json" },
    body: () => JSON.stringify({ event: enEvent }),
    status: 200,
    shape: (json, res) => {
      checkShape(json, LIFTWING_SCORE);
      expect(json.revision_id).toBe(en[0]);
      expect(res.headers.get("x-revrisk-event")).toBe("emitted");
    },
  },
  {
    client: "LiftWing batch (RRLA-style instances)",
    method: "POST",
    path: () => PREDICT,
    headers: { "content-type": "application/json" },
    body: () => JSON.stringify({ instances: en.slice(0, 3).map((rev_id) => ({ lang: "en", rev_id })) }),
    status: 200,
    shape: (json) => {
      expect(Object.keys(json)).toEqual(["predictions", "errors"]);
      expect(json.errors).toEqual([]);
      const p = json.predictions as unknown[];
      expect(p).toHaveLength(3);
      for (const item of p) checkShape(item, { ...LIFTWING_SCORE, index: "integer" });
    },
  },
  {
    client: "WikiEduDashboard: ORES multi-revision call with models= and features",
    method: "GET",
    path: () => `/v3/scores/enwiki/?models=${M}&features&revids=${en.slice(0, 4).join("|")}`,
    status: 200,
    shape: (json) => {
      const wiki = json.enwiki as Record<string, Record<string, Record<string, unknown>>>;
      expect(Object.keys(wiki)).toEqual(["models", "scores"]);
      checkShape(wiki.models, { [M]: { version: "string" } });
      expect(Object.keys(wiki.scores!).sort()).toEqual(en.slice(0, 4).map(String).sort());
      for (const id of en.slice(0, 4)) {
        const entry = wiki.scores![id]![M] as Record<string, unknown>;
        expect(Object.keys(entry)).toEqual(["score", "features"]);
        checkShape({ score: entry.score }, ORES_SCORE);
        expect(typeOf(entry.features)).toBe("object");
      }
    },
  },
  {
    client: "WikiEduDashboard: a batch with a deleted/unknown revision keeps the others (per-revision error)",
    method: "GET",
    path: () => `/v3/scores/enwiki/?models=${M}&revids=${en[0]}|999999999`,
    status: 200,
    shape: (json) => {
      const scores = (json.enwiki as { scores: Record<string, Record<string, Record<string, unknown>>> })
        .scores;
      checkShape(scores[en[0]!]![M], ORES_SCORE);
      const err = scores["999999999"]![M]!.error as Record<string, unknown>;
      checkShape(err, { type: "string", message: "string", reason: "string", retryable: "boolean" });
      expect(err.type).toBe("RevisionNotFound");
      expect(err.message).toBe("RevisionNotFound: Could not find revision ({revision}:999999999)");
    },
  },
  {
    client: "ORES single-revision URL with the model in the path",
    method: "GET",
    path: () => `/v3/scores/enwiki/${en[1]}/${M}`,
    status: 200,
    shape: (json) => {
      const scores = (json.enwiki as { scores: Record<string, Record<string, unknown>> }).scores;
      checkShape(scores[en[1]!]![M], ORES_SCORE);
    },
  },
  {
    client: "ORES client asking for a model revrisk does not serve",
    method: "GET",
    path: () => `/v3/scores/enwiki/${en[1]}/?models=damaging`,
    status: 404,
    shape: { error: { code: "string", message: "string" } },
  },
  {
    client: "KServe client probing readiness",
    method: "GET",
    path: () => `/v1/models/${M}`,
    status: 200,
    shape: (json) => {
      expect(json).toMatchObject({ name: M, ready: true });
    },
  },
];

describe("real clients' requests, replayed", () => {
  for (const row of rows) {
    it(row.client, async () => {
      const server = row.server?.() ?? api;
      const url = server.url + row.path();
      const init: RequestInit = { method: row.method, headers: row.headers ?? {} };
      if (row.body) init.body = row.body();
      const { res, text } = await recorder.fetch(url, init);
      expect(res.status, text).toBe(row.status);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const json = JSON.parse(text) as Record<string, unknown>;
      if (typeof row.shape === "function") row.shape(json, res);
      else checkShape(json, row.shape);
    });
  }

  it("every answer above is described by /openapi.json", async () => {
    const doc = await (await fetch(`${api.url}/openapi.json`)).json();
    expect(recorder.responses.length).toBe(rows.length);
    expect(recorder.problems(doc)).toEqual([]);
  });

  it("the changeprop event reached EventGate as a prediction event", async () => {
    const rows = await sink.db.query("SELECT rev_id FROM predictions");
    expect(rows.map((r) => Number(r.rev_id))).toContain(en[0]);
  });
});

const CHROMIUM = "/usr/bin/chromium";

describe.skipIf(!existsSync(CHROMIUM))("/docs in a browser", () => {
  it("no table, code block or example is wider than the page, at a laptop and a phone width", async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      for (const width of [1280, 480]) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.goto(`${api.url}/docs`);
        const overflow = await page.evaluate(() => {
          // The page's text column: the body's content box, within the viewport.
          const body = document.body.getBoundingClientRect();
          const padding = parseFloat(getComputedStyle(document.body).paddingRight);
          const limit = Math.min(document.documentElement.clientWidth, body.right - padding);
          const wide = Array.from(document.querySelectorAll("table, pre, section")).filter(
            (el) => el.getBoundingClientRect().right > limit + 1,
          );
          return {
            pageScrolls: document.documentElement.scrollWidth > document.documentElement.clientWidth,
            wide: wide.map((el) => `${el.tagName} ${el.textContent?.slice(0, 40)}`),
          };
        });
        expect(overflow, `width ${width}`).toEqual({ pageScrolls: false, wide: [] });
        const text = await page.evaluate(() => document.body.innerText);
        expect(text).not.toContain('"…": "…"');
        expect(text).toContain('"revision_data"');
        expect(text).toContain('"instances"');
        await page.close();
      }
    } finally {
      await browser.close();
    }
  }, 60_000);
});
