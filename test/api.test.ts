/**
 * The on-demand HTTP API over the real HTTP stack: the Node adapter on 127.0.0.1:0, real fetch.
 *
 * `describeApiContract(name, makeFixture)` holds the whole suite. Here it runs against
 * FixtureService, a deterministic in-test ScoringService that scores RevisionData with a small
 * logistic function and knows revisions failing with every error code. To run it against the real
 * service, call it with `{service, revs}`: `revs` maps outcomes (ok, okAnon, and each data error
 * code) to revision ids valid on en/de/fr/gsw/test/yue; `expected` is optional (without it, shapes
 * and invariants are checked). The harness wraps the service in ControlledService, which counts
 * calls, overrides readiness/health, and answers INJECTED_REVS (mediawiki_error, model_error,
 * unavailable, slow, hang) itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../shared/model/bundle.ts";
import { createMetrics, type PromMetrics } from "../functions/node/metrics.ts";
import type { RevisionData } from "../shared/mediawiki/revision-data.ts";
import type { RevisionScore } from "../shared/model/revertrisk-model.ts";
import {
  SCORE_ERROR_CODES,
  type HealthInfo,
  type RevisionOutcome,
  type ScoreErrorCode,
  type ScoreOptions,
  type ScoringService,
} from "../shared/scoring/service.ts";
import type { ApiConfig, EmitEvent, Logger, ScoredPrediction } from "../functions/api/app.ts";
import { startApiServer, type ApiServer } from "../functions/api/node.ts";
import { createApiApp } from "../functions/api/app.ts";
import { readdir, readFile } from "node:fs/promises";
import { REVISION_DATA_MISSING_MESSAGE } from "../functions/api/schemas.ts";
import { ResponseRecorder } from "./api-responses.ts";
import { REVISION_DATA } from "./helpers.ts";

// ---------------------------------------------------------------------------------------------
// Fixture service
// ---------------------------------------------------------------------------------------------

const MANIFEST = {
  format: "revrisk-bundle/1",
  model_name: "revertrisk-multilingual",
  model_version: "4",
  threshold: 0.5,
  supported_wikis: ["en", "de", "fr", "ru"],
  encoders: Object.fromEntries(
    ["title", "insert", "remove", "change"].map((n) => [
      n,
      {
        onnx: `${n}.onnx`,
        tokenizer: "tokenizer.json",
        input: "single",
        task: "classification",
        num_outputs: 2,
        output: "logits",
        max_length: 512,
      },
    ]),
  ),
  classifier: { format: "catboost-json", file: "model.json" },
  features: [
    { name: "wiki_db", kind: "categorical" },
    { name: "revision_text_bytes_diff", kind: "numeric" },
    { name: "is_anonymous", kind: "categorical", encoding: { true: "1", false: "0" } },
    { name: "tag_count", kind: "numeric" },
  ],
  missing_categorical: "-1",
} as unknown as Manifest;

/** Revision ids the fixture knows, by what scoring them yields. */
export const FIXTURE_REVS = {
  ok: 1001,
  okAnon: 1002,
  revision_missing: 2001,
  revision_info_deleted: 2002,
  parent_revision_missing: 2003,
  parent_revision_info_deleted: 2004,
  page_missing: 2005,
  user_missing: 2006,
  mediawiki_error: 2007,
  model_error: 2008,
  unavailable: 2009,
  /** Takes 5 s but honours the abort signal (answers unavailable when aborted). */
  slow: 3001,
  /** Never answers and ignores the signal. */
  hang: 3002,
  /** The service call rejects (a defect, not an outcome): an unhandled 500. */
  throws: 3003,
} as const;

/** Every revision error code (the fixture knows a revision for each but mediawiki_unavailable). */
const ERROR_CODES: readonly ScoreErrorCode[] = SCORE_ERROR_CODES;
const RETRYABLE = new Set<ScoreErrorCode>(["mediawiki_error", "model_error", "unavailable"]);

function revisionOf(lang: string, revId: number): RevisionData {
  const anon = revId === FIXTURE_REVS.okAnon;
  return {
    lang,
    wikiDb: `${lang}wiki`,
    revId,
    parentId: revId - 1,
    text: "x".repeat(revId % 700),
    parentText: "x".repeat(revId % 300),
    bytes: revId % 700,
    parentBytes: revId % 300,
    tags: anon ? ["mobile edit"] : [],
    timestamp: "2026-11-24T12:00:00Z",
    pageId: 7,
    pageTitle: "Example",
    userId: anon ? 0 : 42,
    userGroups: anon ? ["*"] : ["*", "user"],
  };
}

/** Deterministic scoring of RevisionData: a logistic function of the byte diff, anonymity and tags. */
export function fixtureScore(rev: RevisionData, threshold: number): RevisionScore {
  const diff = rev.bytes - rev.parentBytes;
  const anon = rev.userId === 0;
  const z = diff / 500 - 1 + (anon ? 2 : 0) + rev.tags.length * 0.25;
  const p = 1 / (1 + Math.exp(-z));
  return {
    prediction: p > threshold,
    probabilities: { true: p, false: 1 - p },
    features: {
      wiki_db: rev.wikiDb,
      revision_text_bytes_diff: diff,
      is_anonymous: anon ? "1" : "0",
      tag_count: rev.tags.length,
    },
  };
}

/** Deterministic in-test ScoringService: scores RevisionData with fixtureScore, knows every error code. */
export class FixtureService implements ScoringService {
  readonly manifest = MANIFEST;

  ready(): boolean {
    return true;
  }
  health(): HealthInfo {
    return { provider: "cpu", requestedProvider: "cpu", warmedUp: true };
  }

  private scoreOne(rev: RevisionData): RevisionOutcome {
    return {
      ok: true,
      revision: rev,
      result: fixtureScore(rev, this.manifest.threshold),
      supported: this.manifest.supported_wikis.includes(rev.lang),
    };
  }

  async scoreRevisions(requests: ReadonlyArray<{ lang: string; revId: number }>): Promise<RevisionOutcome[]> {
    return requests.map(({ lang, revId }) => {
      const code = ERROR_CODES.find((c) => FIXTURE_REVS[c as keyof typeof FIXTURE_REVS] === revId);
      if (code) return failure(lang, revId, code);
      return this.scoreOne(revisionOf(lang, revId));
    });
  }

  async scoreRevisionData(revisions: ReadonlyArray<RevisionData>): Promise<RevisionOutcome[]> {
    return revisions.map((r) => this.scoreOne(r));
  }

  async close(): Promise<void> {}
}

function failure(lang: string, revId: number, code: ScoreErrorCode): RevisionOutcome {
  return {
    ok: false,
    lang,
    revId,
    error: { code, message: `fixture ${code}`, retryable: RETRYABLE.has(code) },
  };
}

/** Revision ids the test harness answers itself, whatever the service under test. */
export const INJECTED_REVS = {
  mediawiki_error: FIXTURE_REVS.mediawiki_error,
  model_error: FIXTURE_REVS.model_error,
  unavailable: FIXTURE_REVS.unavailable,
  slow: FIXTURE_REVS.slow,
  hang: FIXTURE_REVS.hang,
  throws: FIXTURE_REVS.throws,
} as const;

/**
 * Wraps the service under test: records calls, overrides readiness and health, and answers the
 * INJECTED_REVS itself (failures the service cannot be made to produce on demand, a slow revision
 * that honours the abort signal, one that never answers).
 */
export class ControlledService implements ScoringService {
  readonly inner: ScoringService;
  readonly calls: Array<{ lang: string; revId: number }> = [];
  readonly dataCalls: RevisionData[] = [];
  isReady: boolean | undefined;
  healthInfo: HealthInfo | undefined;
  /** Slow revisions whose scoring was aborted. */
  aborts = 0;

  constructor(inner: ScoringService) {
    this.inner = inner;
  }
  get manifest(): Manifest {
    return this.inner.manifest;
  }
  ready(): boolean {
    return this.isReady ?? this.inner.ready();
  }
  health(): HealthInfo {
    return this.healthInfo ?? this.inner.health();
  }

  async scoreRevisions(
    requests: ReadonlyArray<{ lang: string; revId: number }>,
    options: ScoreOptions = {},
  ): Promise<RevisionOutcome[]> {
    this.calls.push(...requests);
    const signal = options.signal;
    const injected = new Set<number>(Object.values(INJECTED_REVS));
    const passThrough = requests.filter((r) => !injected.has(r.revId));
    const innerOutcomes = passThrough.length
      ? this.inner.scoreRevisions(passThrough, options)
      : Promise.resolve([]);
    const own = requests.map(async ({ lang, revId }): Promise<RevisionOutcome | undefined> => {
      if (revId === INJECTED_REVS.hang) return new Promise<RevisionOutcome>(() => {});
      if (revId === INJECTED_REVS.throws) throw new Error("featurizer crashed");
      if (revId === INJECTED_REVS.slow) {
        const aborted = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), 5000);
          signal?.addEventListener("abort", () => {
            clearTimeout(t);
            resolve(true);
          });
        });
        if (aborted) this.aborts++;
        return failure(lang, revId, "unavailable");
      }
      if (revId === INJECTED_REVS.mediawiki_error) return failure(lang, revId, "mediawiki_error");
      if (revId === INJECTED_REVS.model_error) return failure(lang, revId, "model_error");
      if (revId === INJECTED_REVS.unavailable) return failure(lang, revId, "unavailable");
      return undefined;
    });
    const [inner, mine] = await Promise.all([innerOutcomes, Promise.all(own)]);
    let k = 0;
    return mine.map((o) => o ?? inner[k++]!);
  }

  async scoreRevisionData(
    revisions: ReadonlyArray<RevisionData>,
    options?: ScoreOptions,
  ): Promise<RevisionOutcome[]> {
    this.dataCalls.push(...revisions);
    return this.inner.scoreRevisionData(revisions, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** What the contract suite runs against. */
export interface ContractFixture {
  service: ScoringService;
  /**
   * Revision ids (valid on every wiki the suite uses: en, de, fr, gsw, test, yue) by the outcome they
   * must produce; defaults to FIXTURE_REVS. The injected ones are answered by the harness.
   */
  revs?: Partial<Omit<typeof FIXTURE_REVS, keyof typeof INJECTED_REVS>>;
  /** Expected score of (lang, revId); without it only shapes and invariants are checked. */
  expected?: (lang: string, revId: number) => RevisionScore;
  /** Expected score of pre-save RevisionData. */
  expectedData?: (rev: RevisionData) => RevisionScore;
}

// ---------------------------------------------------------------------------------------------
// Harness

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed response bodies
type AnyJson = any;
// ---------------------------------------------------------------------------------------------

interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  obj: Record<string, unknown>;
  msg: string | undefined;
}

interface Harness {
  service: ControlledService;
  metrics: PromMetrics;
  /** What the API logged, in order. */
  logs: LogLine[];
  server: ApiServer;
  emitted: Array<{ event: Record<string, unknown>; scored: ScoredPrediction }>;
  emitMode: { fail: boolean; hang: boolean; skip: boolean };
  url(path: string): string;
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: AnyJson; text: string; res: Response }>;
  get(
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: AnyJson; text: string; res: Response }>;
  /** Any request, recorded like post/get. */
  fetch(
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; json: AnyJson; text: string; res: Response }>;
}

async function makeHarness(
  inner: ScoringService,
  config: Partial<ApiConfig> = {},
  recorder = new ResponseRecorder(),
): Promise<Harness> {
  const service = new ControlledService(inner);
  const metrics = createMetrics();
  const logs: LogLine[] = [];
  const line = (level: LogLine["level"]) => (obj: object, msg?: string) =>
    logs.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: Logger = {
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
  };
  const emitted: Harness["emitted"] = [];
  const emitMode = { fail: false, hang: false, skip: false };
  const emitEvent: EmitEvent = async (event, scored) => {
    if (emitMode.fail) throw new Error("EventGate answered 500");
    if (emitMode.hang) return new Promise<void>(() => {});
    if (emitMode.skip) return { skipped: "no_performer" };
    emitted.push({ event, scored });
  };
  const server = await startApiServer({
    service,
    metrics,
    emitEvent,
    logger,
    config,
    host: "127.0.0.1",
    port: 0,
    drainMs: 200,
  });
  const url = (p: string) => server.url + p;
  const read = async (res: Response, method: string, path: string, sent?: unknown) => {
    const text = await res.text();
    recorder.record(method, url(path), res, text, typeof sent === "string" ? sent : undefined);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, res };
  };
  return {
    service,
    metrics,
    logs,
    server,
    emitted,
    emitMode,
    url,
    async post(path, body, headers = {}) {
      const sent =
        typeof body === "string" || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
      const res = await fetch(url(path), {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: sent,
      });
      return read(res, "POST", path, sent);
    },
    async get(path, headers = {}) {
      return read(await fetch(url(path), { headers }), "GET", path);
    },
    async fetch(path, init = {}) {
      return read(await fetch(url(path), init), init.method ?? "GET", path, init.body);
    },
  };
}

const PREDICT = "/v1/models/revertrisk-multilingual:predict";

const PAGE_CHANGE = {
  $schema: "/mediawiki/page/change/1.2.0",
  meta: {
    stream: "mediawiki.page_change.v1",
    id: "0b8f3f9e-6c1a-4d3b-8f2e-1a2b3c4d5e6f",
    dt: "2026-11-24T12:00:00.512Z",
    domain: "en.wikipedia.org",
  },
  dt: "2026-11-24T12:00:00Z",
  changelog_kind: "update",
  page_change_kind: "edit",
  wiki_id: "enwiki",
  page: { page_id: 123456, page_title: "Example_article", namespace_id: 0, is_redirect: false },
  performer: { user_text: "ExampleEditor", user_id: 4242, groups: ["*", "user"], is_bot: false },
  revision: { rev_id: FIXTURE_REVS.ok, rev_parent_id: 1000, rev_dt: "2026-11-24T12:00:00Z", rev_size: 5120 },
};

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

export function describeApiContract(name: string, makeFixture: () => ContractFixture): void {
  describe(name, () => {
    const fx = makeFixture();
    const manifest = fx.service.manifest;
    const REV = { ...FIXTURE_REVS, ...fx.revs };
    const anyOutput = {
      prediction: expect.any(Boolean),
      probabilities: { true: expect.any(Number), false: expect.any(Number) },
    };
    /** The expected `output`, or a shape matcher. */
    const outputOf = (lang: string, revId: number) => {
      const s = fx.expected?.(lang, revId);
      return s
        ? {
            prediction: s.prediction,
            probabilities: { true: s.probabilities.true, false: s.probabilities.false },
          }
        : anyOutput;
    };
    /** The expected features, or: every manifest feature, in order. */
    const checkFeatures = (features: Record<string, unknown>, lang: string, revId: number) => {
      const s = fx.expected?.(lang, revId);
      if (s) expect(features).toEqual(s.features);
      expect(Object.keys(features)).toEqual(manifest.features.map((f) => f.name));
    };
    const PAGE_CHANGE_OK = { ...PAGE_CHANGE, revision: { ...PAGE_CHANGE.revision, rev_id: REV.ok } };
    let h: Harness;
    let strict: Harness;
    let pre: Harness;
    /** Every answer the suite receives, checked against /openapi.json by the suite's last test. */
    const recorder = new ResponseRecorder();
    beforeAll(async () => {
      h = await makeHarness(
        fx.service,
        { defaultDeadlineMs: 10_000, maxInstances: 5, maxBodyBytes: 64 * 1024, emitTimeoutMs: 150 },
        recorder,
      );
      strict = await makeHarness(fx.service, { strictLanguages: true }, recorder);
      pre = await makeHarness(fx.service, { allowRevisionJsonInput: true }, recorder);
    });
    afterAll(async () => {
      await Promise.all([h.server.stop(), strict.server.stop(), pre.server.stop()]);
    });

    describe("POST :predict, plain input", () => {
      it("scores {lang, rev_id} with LiftWing's body and key order", async () => {
        const r = await h.post(PREDICT, { lang: "en", rev_id: REV.ok });
        expect(r.status).toBe(200);
        expect(r.json).toEqual({
          model_name: "revertrisk-multilingual",
          model_version: manifest.model_version,
          wiki_db: "enwiki",
          revision_id: REV.ok,
          output: outputOf("en", REV.ok),
        });
        const p = r.json.output.probabilities;
        expect(p.false).toBe(1 - p.true);
        expect(r.json.output.prediction).toBe(p.true > manifest.threshold);
        expect(Object.keys(r.json)).toEqual([
          "model_name",
          "model_version",
          "wiki_db",
          "revision_id",
          "output",
        ]);
        expect(Object.keys(r.json.output.probabilities)).toEqual(["true", "false"]);
        expect(r.res.headers.get("content-type")).toMatch(/application\/json/);
      });

      it("echoes a string rev_id as received", async () => {
        const r = await h.post(PREDICT, { lang: "de", rev_id: String(REV.okAnon) });
        expect(r.status).toBe(200);
        expect(r.json.revision_id).toBe(String(REV.okAnon));
        expect(r.json.wiki_db).toBe("dewiki");
        expect(r.json.output).toEqual(outputOf("de", REV.okAnon));
      });

      it("adds the feature vector with ?features=true", async () => {
        const r = await h.post(`${PREDICT}?features=true`, { lang: "en", rev_id: REV.ok });
        expect(r.status).toBe(200);
        checkFeatures(r.json.features, "en", REV.ok);
        expect(Object.keys(r.json)).toEqual([
          "model_name",
          "model_version",
          "wiki_db",
          "revision_id",
          "output",
          "features",
        ]);
      });

      it("scores a canonical but unsupported wiki and marks it", async () => {
        const before = await h.get("/metrics");
        expect(before.text).not.toMatch(/revrisk_unsupported_language_scores_total\{lang="gsw"\}/);
        const r = await h.post(PREDICT, { lang: "gsw", rev_id: REV.ok });
        expect(r.status).toBe(200);
        expect(r.json.supported).toBe(false);
        expect(r.json.wiki_db).toBe("gswwiki");
        const m = await h.get("/metrics");
        expect(m.text).toMatch(/revrisk_unsupported_language_scores_total\{lang="gsw"\} 1/);
      });

      it("accepts lang test (validated as en)", async () => {
        const r = await h.post(PREDICT, { lang: "test", rev_id: REV.ok });
        expect(r.status).toBe(200);
        expect(r.json.wiki_db).toBe("testwiki");
      });

      it("strictLanguages refuses unsupported wikis with 400 and no service call", async () => {
        const n = strict.service.calls.length;
        const r = await strict.post(PREDICT, { lang: "gsw", rev_id: REV.ok });
        expect(r.status).toBe(400);
        expect(r.json).toEqual({
          detail: "lang 'gsw' is not supported by the model revertrisk-multilingual.",
        });
        expect(strict.service.calls.length).toBe(n);
        expect((await strict.post(PREDICT, { lang: "en", rev_id: REV.ok })).status).toBe(200);
      });

      const invalid: Array<[string, unknown, number, unknown]> = [
        ["missing lang", { rev_id: 1 }, 400, { error: "The parameter lang is required." }],
        ["empty lang", { lang: "", rev_id: 1 }, 400, { error: "The parameter lang is required." }],
        ["missing rev_id", { lang: "en" }, 400, { error: "The parameter rev_id is required." }],
        ["rev_id 0", { lang: "en", rev_id: 0 }, 400, { error: "The parameter rev_id is required." }],
        ["instances-less {} body", {}, 400, { error: "The parameter lang is required." }],
        ["non-string lang", { lang: 5, rev_id: 1 }, 400, { error: "The parameter lang must be a string." }],
        [
          "non-integer rev_id string",
          { lang: "en", rev_id: "abc" },
          400,
          { error: "The parameter rev_id must be a positive integer." },
        ],
        [
          "fractional rev_id",
          { lang: "en", rev_id: 1.5 },
          400,
          { error: "The parameter rev_id must be a positive integer." },
        ],
        [
          "negative rev_id",
          { lang: "en", rev_id: -3 },
          400,
          { error: "The parameter rev_id must be a positive integer." },
        ],
        [
          "wiki suffix",
          { lang: "enwiki", rev_id: 1 },
          400,
          { detail: "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'" },
        ],
        [
          "non-canonical lang",
          { lang: "xx", rev_id: 1 },
          400,
          { detail: "lang 'xx' does not exist in the canonical Wikipedia language list." },
        ],
        [
          "hostile lang",
          { lang: "evil.example.com/", rev_id: 1 },
          400,
          { detail: "lang 'evil.example.com/' does not exist in the canonical Wikipedia language list." },
        ],
      ];
      for (const [what, body, status, want] of invalid) {
        it(`rejects ${what} without calling the service`, async () => {
          const n = h.service.calls.length;
          const r = await h.post(PREDICT, body);
          expect(r.status).toBe(status);
          expect(r.json).toEqual(want);
          expect(h.service.calls.length).toBe(n);
        });
      }

      it("ignores revision_data when it is not enabled (LiftWing)", async () => {
        const r = await h.post(PREDICT, { revision_data: REVISION_DATA });
        expect(r.status).toBe(400);
        expect(r.json).toEqual({ error: "The parameter lang is required." });
        const r2 = await h.post(PREDICT, {
          lang: "en",
          rev_id: REV.ok,
          revision_data: REVISION_DATA,
        });
        expect(r2.status).toBe(200);
        expect(r2.json.revision_id).toBe(REV.ok);
        expect(h.service.dataCalls.length).toBe(0);
      });
    });

    describe("POST :predict, scoring errors", () => {
      const data = [
        "revision_missing",
        "revision_info_deleted",
        "parent_revision_missing",
        "parent_revision_info_deleted",
        "page_missing",
        "user_missing",
      ] as const;
      for (const code of data) {
        it(`${code} → 422 detail, reason, not retryable`, async () => {
          const rev = FIXTURE_REVS[code];
          const r = await h.post(PREDICT, { lang: "en", rev_id: rev });
          expect(r.status).toBe(422);
          expect(r.json).toEqual({
            detail: `Could not make prediction for revision ${rev} (en). Reason: ${code}`,
            reason: code,
            retryable: false,
          });
        });
      }

      it("mediawiki_error → 500 with LiftWing's message, retryable", async () => {
        const r = await h.post(PREDICT, { lang: "en", rev_id: REV.mediawiki_error });
        expect(r.status).toBe(500);
        expect(r.json).toEqual({
          error:
            "An error happened while fetching info for revision from the MediaWiki API, please contact the ML-Team if the issue persists.",
          reason: "mediawiki_error",
          retryable: true,
        });
      });

      it("model_error → 500, retryable", async () => {
        const r = await h.post(PREDICT, { lang: "en", rev_id: REV.model_error });
        expect(r.status).toBe(500);
        expect(r.json.reason).toBe("model_error");
        expect(r.json.retryable).toBe(true);
        expect(r.json.error).toMatch(/model failed to score revision 2008 \(en\)/);
      });

      it("unavailable (not a deadline) → 503", async () => {
        const r = await h.post(PREDICT, { lang: "en", rev_id: REV.unavailable });
        expect(r.status).toBe(503);
        expect(r.json).toMatchObject({ reason: "unavailable", retryable: true });
      });

      it("echoes a string rev_id in the 422 detail", async () => {
        const r = await h.post(PREDICT, { lang: "fr", rev_id: "2002" });
        expect(r.json.detail).toBe(
          "Could not make prediction for revision 2002 (fr). Reason: revision_info_deleted",
        );
      });
    });

    describe("POST :predict, request errors", () => {
      it("unknown model → 404", async () => {
        const r = await h.post("/v1/models/nope:predict", { lang: "en", rev_id: 1 });
        expect(r.status).toBe(404);
        expect(r.json).toEqual({ error: "Model with name nope does not exist." });
      });

      it("JSON that is not an object → 400 (LiftWing's message)", async () => {
        for (const body of ["[1, 2]", "42", "null", '"str"']) {
          const r = await h.post(PREDICT, body);
          expect(r.status, body).toBe(400);
          expect(r.json).toEqual({ error: "Please verify that request input is a json dict" });
        }
      });

      it("JSON without a JSON content type is accepted (bytes body)", async () => {
        const r = await h.fetch(PREDICT, {
          method: "POST",
          headers: { "content-type": "application/octet-stream" },
          body: JSON.stringify({ lang: "en", rev_id: REV.ok }),
        });
        expect(r.status).toBe(200);
      });

      it("oversized body → 413 (declared length)", async () => {
        const big = JSON.stringify({ lang: "en", rev_id: 1, pad: "x".repeat(70 * 1024) });
        const r = await h.post(PREDICT, big);
        expect(r.status).toBe(413);
        expect(r.json).toEqual({ error: "Request body is larger than the limit of 65536 bytes." });
      });

      it("oversized body → 413 (chunked, no length)", async () => {
        const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(ctrl) {
            if (sent++ < 8) ctrl.enqueue(chunk);
            else ctrl.close();
          },
        });
        const r = await h.fetch(PREDICT, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: stream,
          duplex: "half",
        } as RequestInit);
        expect(r.status).toBe(413);
      });

      it("not ready → 503 (KServe)", async () => {
        h.service.isReady = false;
        try {
          const r = await h.post(PREDICT, { lang: "en", rev_id: 1 });
          expect(r.status).toBe(503);
          expect(r.json).toEqual({ error: "Model with name revertrisk-multilingual is not ready." });
        } finally {
          h.service.isReady = undefined;
        }
      });

      it("unknown path → 404 {detail: Not Found}", async () => {
        const r = await h.get("/nope");
        expect(r.status).toBe(404);
        expect(r.json).toEqual({ detail: "Not Found" });
      });
    });

    describe("KServe 0.15.2 transport", () => {
      const raw = (init: RequestInit, path = PREDICT) => h.fetch(path, { method: "POST", ...init });

      it("GET on :predict → 404: the route is /v1/models/{model} and the model does not exist", async () => {
        const r = await h.get(PREDICT);
        expect(r.status).toBe(404);
        expect(r.json).toEqual({ error: "Model with name revertrisk-multilingual:predict does not exist." });
      });

      it("POST /v1/models/{model} (no verb) → 405 (FastAPI)", async () => {
        const r = await h.post("/v1/models/revertrisk-multilingual", { lang: "en", rev_id: REV.ok });
        expect(r.status).toBe(405);
        expect(r.json).toEqual({ detail: "Method Not Allowed" });
      });

      it(":explain → 501 after the model, readiness and body checks", async () => {
        const r = await h.post("/v1/models/revertrisk-multilingual:explain", { lang: "en", rev_id: REV.ok });
        expect(r.status).toBe(501);
        expect(r.json).toEqual({ error: "Could not find explainer_host." });
        expect((await h.post("/v1/models/nope:explain", {})).status).toBe(404);
        const bad = await h.post("/v1/models/revertrisk-multilingual:explain", "{not json");
        expect(bad.status).toBe(400);
        expect(bad.json.error).toMatch(/^Unrecognized request format: /);
      });

      it("invalid JSON with a KServe JSON content type → 400 Unrecognized request format", async () => {
        for (const ct of ["application/json", "application/cloudevents+json", "application/ld+json"]) {
          const r = await raw({ headers: { "content-type": ct }, body: "{not json" });
          expect(r.status, ct).toBe(400);
          expect(r.json.error, ct).toMatch(/^Unrecognized request format: .+/);
        }
        const utf8 = await h.post(PREDICT, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
        expect(utf8.status).toBe(400);
        expect(utf8.json).toEqual({
          error: "Unrecognized request format: str is not valid UTF-8: surrogates not allowed",
        });
      });

      it("an empty body without a content type → 400 with orjson's message", async () => {
        const r = await raw({});
        expect(r.status).toBe(400);
        expect(r.json).toEqual({
          error:
            "Unrecognized request format: Input is a zero-length, empty document: line 1 column 1 (char 0)",
        });
      });

      it("another content type (or a JSON type with parameters): LiftWing parses the bytes itself", async () => {
        for (const ct of [
          "application/octet-stream",
          "application/x-www-form-urlencoded",
          "application/json; charset=utf-8",
        ]) {
          const bad = await raw({ headers: { "content-type": ct }, body: "{not json" });
          expect(bad.status, ct).toBe(400);
          expect(bad.json, ct).toEqual({ error: "Please verify that request input is a json dict" });
          const ok = await raw({
            headers: { "content-type": ct },
            body: JSON.stringify({ lang: "en", rev_id: REV.ok }),
          });
          expect(ok.status, ct).toBe(200);
        }
        const utf8 = await raw({ headers: { "content-type": "text/plain" }, body: new Uint8Array([0xff]) });
        expect(utf8.json).toEqual({ error: "Please verify that request input is a json dict" });
      });

      it("a structured CloudEvent is unwrapped and its data scored", async () => {
        const cloudEvent = {
          specversion: "1.0",
          id: "a1b2",
          source: "changeprop",
          type: "org.wikimedia.page_change",
          time: "2026-11-24T12:00:00Z",
          data: { lang: "en", rev_id: REV.ok },
        };
        for (const ct of ["application/cloudevents+json", "application/json"]) {
          const r = await raw({ headers: { "content-type": ct }, body: JSON.stringify(cloudEvent) });
          expect(r.status, ct).toBe(200);
          expect(r.json.revision_id).toBe(REV.ok);
        }
        // Not all six attributes: not a CloudEvent, the body is the input itself.
        const { time: _t, ...partial } = cloudEvent;
        const r = await h.post(PREDICT, partial);
        expect(r.status).toBe(400);
        expect(r.json).toEqual({ error: "The parameter lang is required." });
      });

      it("a binary CloudEvent (ce-* headers) has its body scored", async () => {
        const headers = {
          "content-type": "application/json",
          "ce-specversion": "1.0",
          "ce-id": "a1b2",
          "ce-source": "changeprop",
          "ce-type": "org.wikimedia.page_change",
        };
        const r = await raw({ headers, body: JSON.stringify({ lang: "en", rev_id: REV.ok }) });
        expect(r.status).toBe(200);
        const bad = await raw({ headers, body: "{" });
        expect(bad.status).toBe(400);
        expect(bad.json.error).toMatch(/^Failed to decode or parse binary json cloudevent: /);
      });
    });

    describe("POST :predict, event input", () => {
      it("derives lang/rev_id, scores, and emits the prediction event", async () => {
        const n = h.emitted.length;
        const r = await h.post(PREDICT, { event: PAGE_CHANGE_OK });
        expect(r.status).toBe(200);
        expect(r.json.revision_id).toBe(REV.ok);
        expect(r.json.wiki_db).toBe("enwiki");
        expect(r.res.headers.get("x-revrisk-event")).toBe("emitted");
        expect(h.emitted.length).toBe(n + 1);
        const { event, scored } = h.emitted.at(-1)!;
        expect(event).toEqual(PAGE_CHANGE_OK);
        expect(scored).toEqual({
          modelName: "revertrisk-multilingual",
          modelVersion: manifest.model_version,
          lang: "en",
          wikiDb: "enwiki",
          revId: REV.ok,
          prediction: r.json.output.prediction,
          probabilities: r.json.output.probabilities,
          supported: true,
        });
      });

      it("an emission failure still returns the score (deviation from LiftWing's 500)", async () => {
        h.emitMode.fail = true;
        try {
          const r = await h.post(PREDICT, { event: PAGE_CHANGE_OK });
          expect(r.status).toBe(200);
          expect(r.json.output).toBeDefined();
          expect(r.res.headers.get("x-revrisk-event")).toBe("failed");
          const m = await h.get("/metrics");
          expect(m.text).toMatch(/revrisk_prediction_events_total\{outcome="error"\} 1/);
        } finally {
          h.emitMode.fail = false;
        }
      });

      it("a hanging emitter is bounded by emitTimeoutMs; the score is returned", async () => {
        h.emitMode.hang = true;
        try {
          const t0 = Date.now();
          const r = await h.post(PREDICT, { event: PAGE_CHANGE_OK });
          expect(Date.now() - t0).toBeLessThan(3000);
          expect(r.status).toBe(200);
          expect(r.res.headers.get("x-revrisk-event")).toBe("failed");
        } finally {
          h.emitMode.hang = false;
        }
      });

      it("an emitter that skips the event → X-Revrisk-Event: skipped", async () => {
        h.emitMode.skip = true;
        try {
          const r = await h.post(PREDICT, { event: PAGE_CHANGE_OK });
          expect(r.status).toBe(200);
          expect(r.res.headers.get("x-revrisk-event")).toBe("skipped");
        } finally {
          h.emitMode.skip = false;
        }
      });

      it("a failed score emits nothing", async () => {
        const n = h.emitted.length;
        const ev = {
          ...PAGE_CHANGE,
          revision: { ...PAGE_CHANGE.revision, rev_id: REV.revision_info_deleted },
        };
        const r = await h.post(PREDICT, { event: ev });
        expect(r.status).toBe(422);
        expect(r.json.detail).toBe(
          `Could not make prediction for revision ${REV.revision_info_deleted} (en). Reason: revision_info_deleted`,
        );
        expect(h.emitted.length).toBe(n);
      });

      it("revision/create events are scored but emit nothing", async () => {
        const n = h.emitted.length;
        const ev = {
          $schema: "/mediawiki/revision/create/2.0.0",
          meta: { domain: "de.wikipedia.org" },
          database: "dewiki",
          rev_id: REV.ok,
        };
        const r = await h.post(PREDICT, { event: ev });
        expect(r.status).toBe(200);
        expect(r.json.wiki_db).toBe("dewiki");
        expect(r.res.headers.get("x-revrisk-event")).toBe("skipped");
        expect(h.emitted.length).toBe(n);
      });

      const bad: Array<[string, unknown, unknown]> = [
        [
          "a non-Wikipedia domain",
          {
            ...PAGE_CHANGE,
            meta: { ...PAGE_CHANGE.meta, domain: "www.wikidata.org" },
            wiki_id: "wikidatawiki",
          },
          {
            error:
              "This model is not recommended for use in projects outside of Wikipedia (e.g. Wiktionary, Wikinews, etc)",
          },
        ],
        [
          "no meta.domain",
          { ...PAGE_CHANGE, meta: { stream: "x" } },
          {
            error:
              "This model is not recommended for use in projects outside of Wikipedia (e.g. Wiktionary, Wikinews, etc)",
          },
        ],
        ["no $schema", { ...PAGE_CHANGE, $schema: undefined }, { error: 'Missing "lang" in input data.' }],
        [
          "an unsupported schema",
          { ...PAGE_CHANGE, $schema: "/mediawiki/page/delete/1.0.0" },
          {
            error:
              "Unsupported event of schema /mediawiki/page/delete/1.0.0, the lang value cannot be determined.",
          },
        ],
        [
          "a $schema without the leading /",
          { ...PAGE_CHANGE, $schema: "mediawiki/page/change/1.2.0" },
          {
            error:
              "Unsupported event of schema mediawiki/page/change/1.2.0, the lang value cannot be determined.",
          },
        ],
        ["no wiki_id", { ...PAGE_CHANGE, wiki_id: undefined }, { error: 'Missing "lang" in input data.' }],
        [
          "no rev_id",
          { ...PAGE_CHANGE, revision: { rev_dt: "x" } },
          { error: 'Missing "rev_id" in input data.' },
        ],
        [
          "a non-canonical wiki",
          { ...PAGE_CHANGE, wiki_id: "zz_qqwiki" },
          { detail: "lang 'zz_qq' does not exist in the canonical Wikipedia language list." },
        ],
        [
          "a wiki_id the regex does not match",
          { ...PAGE_CHANGE, wiki_id: "enwik" },
          { error: 'Cannot determine the lang from the event\'s wiki id "enwik".' },
        ],
      ];
      for (const [what, ev, want] of bad) {
        it(`rejects an event with ${what}`, async () => {
          const n = h.service.calls.length;
          const r = await h.post(PREDICT, { event: ev });
          expect(r.status).toBe(400);
          expect(r.json).toEqual(want);
          expect(h.service.calls.length).toBe(n);
        });
      }
    });

    describe("POST :predict, revision_data input (enabled)", () => {
      it("scores pre-save data with revision_id -1", async () => {
        const r = await pre.post(`${PREDICT}?features=true`, { revision_data: REVISION_DATA });
        expect(r.status).toBe(200);
        expect(r.json.revision_id).toBe(-1);
        expect(r.json.wiki_db).toBe("enwiki");
        const rev = pre.service.dataCalls.at(-1)!;
        expect(rev).toMatchObject({
          lang: "en",
          wikiDb: "enwiki",
          parentId: 4,
          bytes: 34,
          parentBytes: 12,
          userId: 0,
          tags: ["mobile edit"],
          pageTitle: "Example",
          text: REVISION_DATA.text,
          parentText: REVISION_DATA.parent.text,
        });
        expect(Object.keys(r.json.features)).toEqual(manifest.features.map((f) => f.name));
        const want = fx.expectedData?.(rev);
        if (want) {
          expect(r.json.features).toEqual(want.features);
          expect(r.json.output.probabilities.true).toBe(want.probabilities.true);
        }
      });

      it("missing fields → LiftWing's 400 detail", async () => {
        const { user: _u, ...noUser } = REVISION_DATA;
        const r = await pre.post(PREDICT, { revision_data: noUser });
        expect(r.status).toBe(400);
        expect(r.json).toEqual({ detail: REVISION_DATA_MISSING_MESSAGE });
        expect(REVISION_DATA_MISSING_MESSAGE).toBe(
          "Missing some required fields. Required fields are `id`, `lang`, `text`, `timestamp`, `bytes`, `page.id`, `page.title`, `page.first_edit_timestamp`, `parent.id`, `parent.lang`, `parent.text`, `parent.timestamp`, `parent.bytes`, `user.id`",
        );
      });

      it("wrong types → clear 400 detail", async () => {
        const r = await pre.post(PREDICT, { revision_data: { ...REVISION_DATA, bytes: "many" } });
        expect(r.status).toBe(400);
        expect(r.json.detail).toMatch(/^Invalid revision_data: bytes: /);
      });
    });

    describe("POST :predict, instances", () => {
      it("all ok → 200 with predictions in order, identifiable by index", async () => {
        const r = await h.post(PREDICT, {
          instances: [
            { lang: "en", rev_id: REV.ok },
            { lang: "de", rev_id: REV.okAnon },
            { lang: "gsw", rev_id: REV.ok },
          ],
        });
        expect(r.status).toBe(200);
        expect(r.json.errors).toEqual([]);
        expect(r.json.predictions.map((p: AnyJson) => [p.index, p.wiki_db, p.revision_id])).toEqual([
          [0, "enwiki", REV.ok],
          [1, "dewiki", REV.okAnon],
          [2, "gswwiki", REV.ok],
        ]);
        expect(r.json.predictions[2].supported).toBe(false);
        expect(Object.keys(r.json.predictions[0])).toEqual([
          "model_name",
          "model_version",
          "wiki_db",
          "revision_id",
          "output",
          "index",
        ]);
      });

      it("some failing → 207 with per-item errors (scoring and validation)", async () => {
        const n = h.service.calls.length;
        const r = await h.post(PREDICT, {
          instances: [
            { lang: "en", rev_id: REV.ok },
            { lang: "en", rev_id: REV.revision_info_deleted },
            { lang: "xx", rev_id: 5 },
            "nope",
            { lang: "fr", rev_id: REV.mediawiki_error },
          ],
        });
        expect(r.status).toBe(207);
        expect(r.json.predictions.map((p: AnyJson) => p.index)).toEqual([0]);
        expect(r.json.errors).toEqual([
          {
            index: 1,
            lang: "en",
            rev_id: REV.revision_info_deleted,
            status: 422,
            detail: `Could not make prediction for revision ${REV.revision_info_deleted} (en). Reason: revision_info_deleted`,
            reason: "revision_info_deleted",
            retryable: false,
          },
          {
            index: 2,
            lang: "xx",
            rev_id: 5,
            status: 400,
            detail: "lang 'xx' does not exist in the canonical Wikipedia language list.",
            reason: "invalid_input",
            retryable: false,
          },
          {
            index: 3,
            lang: null,
            rev_id: null,
            status: 400,
            detail: "Each instance must be a JSON object with lang and rev_id.",
            reason: "invalid_input",
            retryable: false,
          },
          expect.objectContaining({ index: 4, status: 500, reason: "mediawiki_error", retryable: true }),
        ]);
        // invalid items never reach the service
        expect(h.service.calls.slice(n).map((c) => c.lang)).toEqual(["en", "en", "fr"]);
      });

      it("all failing → 422", async () => {
        const r = await h.post(PREDICT, {
          instances: [
            { lang: "en", rev_id: REV.page_missing },
            { lang: "en", rev_id: REV.user_missing },
          ],
        });
        expect(r.status).toBe(422);
        expect(r.json.predictions).toEqual([]);
        expect(r.json.errors.map((e: AnyJson) => e.reason)).toEqual(["page_missing", "user_missing"]);
      });

      it("more than maxInstances → 400", async () => {
        const r = await h.post(PREDICT, {
          instances: Array.from({ length: 6 }, () => ({ lang: "en", rev_id: 1 })),
        });
        expect(r.status).toBe(400);
        expect(r.json).toEqual({ detail: "Only accept a maximum of 5 rev_ids in the request." });
      });

      it("not a list or empty → 400", async () => {
        for (const instances of [[], {}, "x"]) {
          const r = await h.post(PREDICT, { instances });
          expect(r.status).toBe(400);
          expect(r.json).toEqual({
            detail: "The parameter instances must be a non-empty list of {lang, rev_id} objects.",
          });
        }
      });
    });

    describe("client deadline", () => {
      it("a slow revision answers 504 unavailable when the deadline passes", async () => {
        const t0 = Date.now();
        const r = await h.post(PREDICT, { lang: "en", rev_id: REV.slow }, { "X-Request-Deadline-Ms": "150" });
        expect(Date.now() - t0).toBeLessThan(3000);
        expect(r.status).toBe(504);
        expect(r.json).toEqual({
          error: `Revision ${REV.slow} (en) was not scored within the request deadline of 150 ms.`,
          reason: "unavailable",
          retryable: true,
        });
      });

      it("a service that ignores the signal cannot hang the request", async () => {
        const t0 = Date.now();
        const r = await h.post(PREDICT, { lang: "en", rev_id: REV.hang }, { "X-Request-Deadline-Ms": "100" });
        expect(Date.now() - t0).toBeLessThan(3000);
        expect(r.status).toBe(504);
        expect(r.json.reason).toBe("unavailable");
      });

      it("instances: unavailable per item, scored items kept", async () => {
        const r = await h.post(
          PREDICT,
          {
            instances: [
              { lang: "en", rev_id: REV.ok },
              { lang: "en", rev_id: REV.slow },
            ],
          },
          { "X-Request-Deadline-Ms": "150" },
        );
        expect(r.status).toBe(207);
        expect(r.json.predictions.map((p: AnyJson) => p.index)).toEqual([0]);
        expect(r.json.errors).toEqual([
          expect.objectContaining({ index: 1, status: 504, reason: "unavailable", retryable: true }),
        ]);
      });

      it("ORES: unavailable per revision", async () => {
        const r = await h.get(`/v3/scores/enwiki?revids=${REV.ok}|${REV.slow}`, {
          "X-Request-Deadline-Ms": "100",
        });
        expect(r.status).toBe(200);
        const scores = r.json.enwiki.scores;
        expect(scores[REV.ok]["revertrisk-multilingual"].score).toBeDefined();
        expect(scores[REV.slow]["revertrisk-multilingual"].error).toMatchObject({
          type: "TimeoutError",
          reason: "unavailable",
          retryable: true,
        });
      });

      it("a client that disconnects aborts its scoring", async () => {
        const before = h.service.aborts;
        const ctrl = new AbortController();
        const req = fetch(h.url(PREDICT), {
          method: "POST",
          body: JSON.stringify({ lang: "en", rev_id: REV.slow }),
          signal: ctrl.signal,
        }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 150));
        ctrl.abort();
        await req;
        const t0 = Date.now();
        while (h.service.aborts === before && Date.now() - t0 < 2000)
          await new Promise((r) => setTimeout(r, 20));
        expect(h.service.aborts).toBe(before + 1);
      });

      it("an invalid deadline header → 400", async () => {
        const r = await h.post(PREDICT, { lang: "en", rev_id: 1 }, { "X-Request-Deadline-Ms": "soon" });
        expect(r.status).toBe(400);
        expect(r.json).toEqual({
          error: "Invalid X-Request-Deadline-Ms header: expected a positive integer number of milliseconds.",
        });
      });
    });

    describe("ORES v3", () => {
      it("GET /v3/scores/{wiki}/{rev_id}/{model}", async () => {
        const r = await h.get(`/v3/scores/enwiki/${REV.ok}/revertrisk-multilingual`);
        expect(r.status).toBe(200);
        const o = outputOf("en", REV.ok);
        expect(r.json).toEqual({
          enwiki: {
            models: { "revertrisk-multilingual": { version: manifest.model_version } },
            scores: {
              [REV.ok]: {
                "revertrisk-multilingual": {
                  score: { prediction: o.prediction, probability: o.probabilities },
                },
              },
            },
          },
        });
      });

      it("GET /v3/scores/{wiki}?models=&revids= with per-revision errors and features", async () => {
        const ids = [
          REV.ok,
          REV.revision_missing,
          REV.revision_info_deleted,
          REV.user_missing,
          REV.page_missing,
        ];
        const r = await h.get(
          `/v3/scores/dewiki?models=revertrisk-multilingual&revids=${ids.join("|")}&features`,
        );
        expect(r.status).toBe(200);
        const scores = r.json.dewiki.scores;
        // (JSON objects with integer-like keys are ordered numerically by JS)
        expect(Object.keys(scores).sort()).toEqual(ids.map(String).sort());
        const m = (id: number) => scores[id]["revertrisk-multilingual"];
        checkFeatures(m(REV.ok).features, "de", REV.ok);
        expect(m(REV.revision_missing).error).toEqual({
          type: "RevisionNotFound",
          message: `RevisionNotFound: Could not find revision ({revision}:${REV.revision_missing})`,
          reason: "revision_missing",
          retryable: false,
        });
        expect(m(REV.revision_info_deleted).error).toMatchObject({
          type: "TextDeleted",
          message: "TextDeleted: Text deleted (datasource.revision.text)",
        });
        // revscoring raises UserNotFound for a user that does not resolve (UserDeleted is a hidden one)
        expect(m(REV.user_missing).error).toMatchObject({
          type: "UserNotFound",
          message: `UserNotFound: Could not find user account ({revision.user}:${REV.user_missing})`,
        });
        expect(m(REV.page_missing).error).toMatchObject({
          type: "PageNotFound",
          message: `PageNotFound: Could not find page ({revision.page}:${REV.page_missing})`,
        });
      });

      it("accepts ORES' trailing-slash form /v3/scores/{wiki}/?revids=", async () => {
        const r = await h.get(`/v3/scores/enwiki/?models=revertrisk-multilingual&revids=${REV.ok}`);
        expect(r.status).toBe(200);
        expect(r.json.enwiki.scores[REV.ok]["revertrisk-multilingual"].score).toBeDefined();
      });

      it("GET /v3/scores/{wiki}/{rev_id}: all models", async () => {
        const r = await h.get(`/v3/scores/frwiki/${REV.ok}`);
        expect(r.status).toBe(200);
        expect(r.json.frwiki.scores[REV.ok]["revertrisk-multilingual"].score).toBeDefined();
      });

      it("real dbnames of rewritten wikis resolve (alswiki → gsw), unsupported is marked", async () => {
        const r = await h.get(`/v3/scores/alswiki/${REV.ok}/revertrisk-multilingual`);
        expect(r.status).toBe(200);
        expect(r.json.alswiki.models["revertrisk-multilingual"]).toEqual({
          version: manifest.model_version,
          supported: false,
        });
        expect(h.service.calls.at(-1)).toEqual({ lang: "gsw", revId: REV.ok });
      });

      it("underscore dbnames resolve (zh_yuewiki → yue)", async () => {
        const r = await h.get(`/v3/scores/zh_yuewiki/${REV.ok}`);
        expect(r.status).toBe(200);
        expect(r.json.zh_yuewiki.scores[REV.ok]["revertrisk-multilingual"].score).toBeDefined();
        expect(h.service.calls.at(-1)).toEqual({ lang: "yue", revId: REV.ok });
      });

      it("models listing without revids", async () => {
        expect((await h.get("/v3/scores/enwiki")).json).toEqual({
          enwiki: { models: { "revertrisk-multilingual": { version: manifest.model_version } } },
        });
        const all = await h.get("/v3/scores");
        expect(Object.keys(all.json)).toEqual(manifest.supported_wikis.map((l) => `${l}wiki`));
      });

      it("whole-request errors", async () => {
        const n = h.service.calls.length;
        const cases: Array<[string, number, unknown]> = [
          [
            "/v3/scores/xxwiki/1/revertrisk-multilingual",
            404,
            { error: { code: "not found", message: "No scorers available for xxwiki" } },
          ],
          [
            "/v3/scores/wikidatawiki?revids=1",
            404,
            { error: { code: "not found", message: "No scorers available for wikidatawiki" } },
          ],
          [
            "/v3/scores/enwiki/1/damaging",
            404,
            { error: { code: "not found", message: "Models ('damaging',) not available for enwiki" } },
          ],
          [
            "/v3/scores/enwiki/abc/revertrisk-multilingual",
            404,
            { error: { code: "not found", message: "Nothing found at this location." } },
          ],
          [
            "/v3/scores/enwiki/abc/",
            404,
            { error: { code: "not found", message: "Nothing found at this location." } },
          ],
          [
            "/v3/scores/enwiki/?revids=",
            400,
            {
              error: {
                code: "bad request",
                message: "Could not interpret revids. invalid literal for int() with base 10: ''",
              },
            },
          ],
          [
            "/v3/scores/enwiki/?revids=abc|x",
            400,
            {
              error: {
                code: "bad request",
                message: "Could not interpret revids. invalid literal for int() with base 10: 'abc'",
              },
            },
          ],
          [
            `/v3/scores/enwiki?revids=${Array.from({ length: 51 }, (_, i) => i + 1).join("|")}`,
            400,
            {
              error: { code: "bad request", message: "Too many values for 'revids' parameter.  Max of 50." },
            },
          ],
          [
            `/v3/scores/enwiki/${REV.ok}/?models=damaging`,
            404,
            { error: { code: "not found", message: "Models ('damaging',) not available for enwiki" } },
          ],
          [
            `/v3/scores/enwiki/${REV.ok}?models=revertrisk-multilingual|damaging|goodfaith`,
            404,
            {
              error: {
                code: "not found",
                message: "Models ('damaging', 'goodfaith') not available for enwiki",
              },
            },
          ],
          [
            "/v3/scores/enwiki?revids=1",
            400,
            {
              error: {
                code: "bad request",
                message:
                  "Invalid X-Request-Deadline-Ms header: expected a positive integer number of milliseconds.",
              },
            },
          ],
        ];
        for (const [path, status, body] of cases) {
          const r = await h.get(path, path.endsWith("revids=1") ? { "X-Request-Deadline-Ms": "soon" } : {});
          expect(r.status, path).toBe(status);
          expect(r.json, path).toEqual(body);
        }
        expect(h.service.calls.length).toBe(n);
      });

      it("revids=: a value that is not an integer is that revision's error, the others are scored", async () => {
        const n = h.service.calls.length;
        const r = await h.get(`/v3/scores/enwiki/?revids=${REV.ok}|abc|0|${REV.revision_missing}|${REV.ok}`);
        expect(r.status).toBe(200);
        const scores = r.json.enwiki.scores;
        expect(Object.keys(scores).sort()).toEqual(
          ["0", String(REV.ok), String(REV.revision_missing), "abc"].sort(),
        );
        const m = (k: string | number) => scores[k]["revertrisk-multilingual"];
        expect(m(REV.ok).score).toBeDefined();
        expect(m("abc").error).toEqual({
          type: "ValueError",
          message: "ValueError: invalid literal for int() with base 10: 'abc'",
          reason: "invalid_input",
          retryable: false,
        });
        expect(m(0).error).toMatchObject({
          type: "RevisionNotFound",
          message: "RevisionNotFound: Could not find revision ({revision}:0)",
        });
        expect(m(REV.revision_missing).error.type).toBe("RevisionNotFound");
        // the service is asked once per distinct scorable id, never for the bad ones
        expect(h.service.calls.slice(n)).toEqual([
          { lang: "en", revId: REV.ok },
          { lang: "en", revId: REV.revision_missing },
        ]);
      });

      it("?models= naming the served model is honoured on /v3/scores/{wiki}/{rev_id}/", async () => {
        const r = await h.get(`/v3/scores/enwiki/${REV.ok}/?models=revertrisk-multilingual`);
        expect(r.status).toBe(200);
        expect(r.json.enwiki.scores[REV.ok]["revertrisk-multilingual"].score).toBeDefined();
      });

      it("strictLanguages: unsupported wikis have no scorers", async () => {
        const r = await strict.get(`/v3/scores/alswiki/${REV.ok}/revertrisk-multilingual`);
        expect(r.status).toBe(404);
      });
    });

    describe("model info, liveness, health, readiness, metrics", () => {
      it("GET / and /v1/models", async () => {
        expect((await h.get("/")).json).toEqual({ status: "alive" });
        expect((await h.get("/v1/models")).json).toEqual({ models: ["revertrisk-multilingual"] });
      });

      it("GET /v1/models/{model}", async () => {
        const r = await h.get("/v1/models/revertrisk-multilingual");
        expect(r.status).toBe(200);
        expect(r.json).toEqual({
          name: "revertrisk-multilingual",
          ready: true,
          version: manifest.model_version,
          threshold: manifest.threshold,
          supported_wikis: manifest.supported_wikis,
          ...(manifest.statistics
            ? { statistics: expect.objectContaining({ wikis: expect.any(Array) }) }
            : {}),
        });
        const u = await h.get("/v1/models/other");
        expect(u.status).toBe(404);
        expect(u.json).toEqual({ error: "Model with name other does not exist." });
      });

      it("/readyz is 503 until the service is ready", async () => {
        h.service.isReady = false;
        try {
          const r = await h.get("/readyz");
          expect(r.status).toBe(503);
          expect(r.json).toEqual({ ready: false });
          expect((await h.get("/v1/models/revertrisk-multilingual")).status).toBe(503);
          expect((await h.get("/healthz")).json.status).toBe("starting");
        } finally {
          h.service.isReady = undefined;
        }
        expect((await h.get("/readyz")).status).toBe(200);
      });

      it("/healthz reports the provider, and a GPU fallback loudly", async () => {
        const ok = await h.get("/healthz");
        expect(ok.status).toBe(200);
        expect(ok.json).toMatchObject({
          status: "ok",
          ready: true,
          model: { name: "revertrisk-multilingual", version: manifest.model_version },
          provider: h.service.health().provider,
          requested_provider: h.service.health().requestedProvider,
        });
        const saved = h.service.healthInfo;
        h.service.healthInfo = {
          provider: "cpu",
          requestedProvider: "cuda",
          fallback: "CUDA execution provider failed to load: libcudnn.so.9 not found",
          warmedUp: true,
        };
        try {
          const r = await h.get("/healthz");
          expect(r.json.status).toBe("degraded");
          expect(r.json.provider).toBe("cpu");
          expect(r.json.requested_provider).toBe("cuda");
          expect(r.json.fallback).toMatch(/libcudnn/);
          expect(r.json.warning).toMatch(/"cuda" is not in use; running on "cpu"/);
        } finally {
          h.service.healthInfo = saved;
        }
      });

      it("/metrics exposes request, batch and outcome metrics in Prometheus text", async () => {
        await h.post(PREDICT, { lang: "en", rev_id: REV.ok });
        const r = await h.get("/metrics");
        expect(r.status).toBe(200);
        expect(r.res.headers.get("content-type")).toMatch(/^text\/plain/);
        expect(r.text).toMatch(
          /revrisk_http_requests_total\{route="\/v1\/models\/\{model\}:predict",method="POST",status="200"\} \d+/,
        );
        expect(r.text).toMatch(/revrisk_http_request_duration_seconds_bucket\{le="0.005",route=/);
        expect(r.text).toMatch(/revrisk_request_batch_size_count\{source="instances"\} \d+/);
        expect(r.text).toMatch(/revrisk_scores_total\{outcome="revision_info_deleted"\} \d+/);
        expect(r.text).toMatch(/revrisk_http_requests_total\{route="unmatched",method="GET",status="404"\}/);
      });
    });

    describe("OpenAPI and docs", () => {
      it("/openapi.json is a valid-looking OpenAPI 3.1 document with every route", async () => {
        const r = await h.get("/openapi.json");
        expect(r.status).toBe(200);
        const doc = r.json;
        expect(doc.openapi).toBe("3.1.0");
        expect(doc.info.version).toBe(manifest.model_version);
        for (const p of [
          "/v1/models/{model}:predict",
          "/v1/models/{model}",
          "/v1/models",
          "/v3/scores/{wiki}/{rev_id}/{model}",
          "/v3/scores/{wiki}",
          "/v3/scores",
          "/healthz",
          "/readyz",
          "/metrics",
          "/",
        ])
          expect(doc.paths[p], p).toBeDefined();
        const post = doc.paths["/v1/models/{model}:predict"].post;
        expect(post.requestBody.content["application/json"].schema).toEqual({
          $ref: "#/components/schemas/PredictRequest",
        });
        expect(Object.keys(post.responses)).toEqual(
          expect.arrayContaining(["200", "207", "400", "404", "413", "422", "500", "503", "504"]),
        );
        // every $ref resolves
        const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
        expect(refs.length).toBeGreaterThan(5);
        for (const ref of refs) expect(doc.components.schemas[ref.slice(22, -1)], ref).toBeDefined();
        expect(doc.components.schemas.RevisionDataInput.required).toEqual(
          expect.arrayContaining(["id", "lang", "text", "timestamp", "bytes", "page", "parent", "user"]),
        );
      });

      it("/docs is self-contained HTML listing the routes", async () => {
        const r = await h.get("/docs");
        expect(r.status).toBe(200);
        expect(r.res.headers.get("content-type")).toMatch(/text\/html/);
        expect(r.text).toContain("POST /v1/models/{model}:predict");
        expect(r.text).toContain("GET /v3/scores/{wiki}/{rev_id}/{model}");
        expect(r.text).toContain("X-Request-Deadline-Ms");
        expect(r.text).not.toMatch(/<script|<link|https?:\/\/cdn/);
      });
    });

    describe("logs", () => {
      /** The error lines logged since `n`. */
      const errorsSince = (n: number) => h.logs.slice(n).filter((l) => l.level === "error");

      it("a 5xx scoring failure logs one line with the request id, revision and reason", async () => {
        const n = h.logs.length;
        const r = await h.post(
          PREDICT,
          { lang: "en", rev_id: REV.model_error },
          { "X-Request-Id": "req-42" },
        );
        expect(r.status).toBe(500);
        expect(r.res.headers.get("x-request-id")).toBe("req-42");
        const lines = errorsSince(n);
        expect(lines).toHaveLength(1);
        expect(lines[0]!.obj).toMatchObject({
          requestId: "req-42",
          status: 500,
          route: "/v1/models/{model}:predict",
          lang: "en",
          revId: REV.model_error,
          reason: "model_error",
        });
      });

      it("an unhandled error logs one line with the error; a request id is made when none is sent", async () => {
        const n = h.logs.length;
        const r = await h.post(PREDICT, { lang: "de", rev_id: REV.throws });
        expect(r.status).toBe(500);
        expect(r.json).toEqual({ error: "featurizer crashed" });
        const id = r.res.headers.get("x-request-id");
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        const lines = errorsSince(n);
        expect(lines).toHaveLength(1);
        expect(lines[0]!.obj).toMatchObject({
          requestId: id,
          status: 500,
          lang: "de",
          revId: REV.throws,
          reason: "unhandled_error",
          message: "featurizer crashed",
        });
        expect(lines[0]!.obj.err).toBeInstanceOf(Error);
      });

      it("503 and 504 answers log too; 4xx answers do not", async () => {
        const n = h.logs.length;
        await h.post(PREDICT, { lang: "en", rev_id: REV.unavailable });
        await h.post(PREDICT, { lang: "en", rev_id: REV.slow }, { "X-Request-Deadline-Ms": "50" });
        await h.post(PREDICT, { lang: "en", rev_id: REV.revision_missing });
        await h.post(PREDICT, { lang: "xx", rev_id: 1 });
        expect(errorsSince(n).map((l) => [l.obj.status, l.obj.reason])).toEqual([
          [503, "unavailable"],
          [504, "unavailable"],
        ]);
      });

      it("a failed emission logs one line with the request id, revision and reason", async () => {
        h.emitMode.fail = true;
        try {
          const n = h.logs.length;
          const r = await h.post(PREDICT, { event: PAGE_CHANGE_OK }, { "X-Request-Id": "ev-7" });
          expect(r.status).toBe(200);
          const lines = errorsSince(n);
          expect(lines).toHaveLength(1);
          expect(lines[0]!.obj).toMatchObject({
            requestId: "ev-7",
            lang: "en",
            revId: REV.ok,
            reason: "EventGate answered 500",
          });
          expect(lines[0]!.msg).toBe("prediction event emission failed");
        } finally {
          h.emitMode.fail = false;
        }
      });
    });

    describe("the served OpenAPI document", () => {
      it("describes every answer this suite received (route, status, content type, body schema)", async () => {
        const doc = (await h.get("/openapi.json")).json;
        expect(recorder.responses.length).toBeGreaterThan(100);
        expect(recorder.problems(doc)).toEqual([]);
      });
    });
  });
}

describeApiContract("on-demand API (fixture service)", () => ({
  service: new FixtureService(),
  expected: (lang, revId) => fixtureScore(revisionOf(lang, revId), MANIFEST.threshold),
  expectedData: (rev) => fixtureScore(rev, MANIFEST.threshold),
}));

describe("on-demand API without the Node adapter", () => {
  it("answers through app.request (runtime-agnostic fetch handler), no emitter configured", async () => {
    const app = createApiApp({ service: new FixtureService() });
    const res = await app.request(PREDICT, {
      method: "POST",
      body: JSON.stringify({ event: PAGE_CHANGE }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-revrisk-event")).toBe("disabled");
    expect((await app.request("/metrics")).status).toBe(200);
  });

  it("the app's files (all of functions/api/ but node.ts) use no Node APIs and load prom-client only as a type", async () => {
    const dir = new URL("../functions/api/", import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith(".ts") && f !== "node.ts");
    expect(files).toEqual(
      expect.arrayContaining(["app.ts", "errors.ts", "liftwing.ts", "ores.ts", "schemas.ts"]),
    );
    for (const f of files) {
      const src = await readFile(new URL(f, dir), "utf8");
      expect(src, f).not.toMatch(/from "node:|require\(|process\./);
      for (const m of src.matchAll(/^import (?!type )[^;]*from "([^"]+)";/gm))
        expect(m[1], f).toMatch(/^(hono(\/[a-z-]+)?|zod|ajv|\.\/[a-z-]+\.ts|\.\.\/\.\.\/shared\/.+\.ts)$/);
    }
  });

  it("the Node adapter stops cleanly and frees its port", async () => {
    const server = await startApiServer({ service: new FixtureService(), port: 0 });
    const res = await fetch(`${server.url}/`);
    expect(await res.json()).toEqual({ status: "alive" });
    await server.stop();
    await expect(fetch(`${server.url}/`)).rejects.toThrow();
  });
});
