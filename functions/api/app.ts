/**
 * The on-demand HTTP API: a Hono app that is a drop-in replacement for LiftWing's
 * revertrisk-multilingual model server (KServe v1, `POST /v1/models/{model}:predict`) and for ORES v3
 * (`GET /v3/scores/...`). Runtime-agnostic: no Node APIs; the Node adapter is functions/api/node.ts.
 *
 * Validation follows LiftWing's order, messages, status codes and body keys (rrml.md §3.3);
 * deviations are listed in docs/api.md.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { Manifest } from "../../shared/model/bundle.ts";
import type { Metrics } from "../node/metrics.ts";
import type { RevisionData } from "../../shared/mediawiki/revision-data.ts";
import type {
  RevisionOutcome,
  ScoreError,
  ScoreErrorCode,
  ScoringService,
} from "../../shared/scoring/service.ts";
import { CANONICAL_WIKIS, TEST_WIKI, tryResolveWiki } from "../../shared/wikis/wikis.ts";
import { DATA_ERROR_CODES } from "../../shared/mediawiki/client.ts";
import { buildOpenApi, parseRevisionData, renderDocsHtml } from "./schemas.ts";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface ApiConfig {
  /** Model name served (route name and `model_name`). Default: the manifest's `model_name`. */
  modelName: string;
  /** Accept the pre-save `{"revision_data": …}` input (LiftWing ALLOW_REVISION_JSON_INPUT). Default false: ignored. */
  allowRevisionJsonInput: boolean;
  /** Refuse (400) canonical wikis the model was not trained on, instead of scoring and marking them. Default false. */
  strictLanguages: boolean;
  /** Most revisions in one `instances` request. Default 50. */
  maxInstances: number;
  /** Most revisions in one ORES request. Default 50. */
  maxOresRevisions: number;
  /** Largest request body accepted, in bytes (413 above). Default 10 MiB (two 2 MiB wikitexts, JSON-escaped). */
  maxBodyBytes: number;
  /** Deadline of a scoring request without an X-Request-Deadline-Ms header, in ms. Default 60000. */
  defaultDeadlineMs: number;
  /** After a deadline aborts the service, how long to wait for its partial outcomes before answering. Default 100 ms. */
  abortGraceMs: number;
  /** How long an event-input request waits for its prediction event to be emitted (then: failed, score still returned). Default 5000 ms. */
  emitTimeoutMs: number;
}

/** What the event emitter is told about a successful event-input score. */
export interface ScoredPrediction {
  modelName: string;
  modelVersion: string;
  lang: string;
  wikiDb: string;
  revId: number;
  prediction: boolean;
  probabilities: { true: number; false: number };
  supported: boolean;
}

/**
 * Emits the prediction event for a page_change event input (shared/eventgate-client.ts). Resolve
 * (void) when emitted, resolve `{ skipped: reason }` when deliberately not emitted (e.g. no performer
 * for a ≤1.1.0 schema), reject on failure.
 */
export type EmitEvent = (
  pageChangeEvent: Record<string, unknown>,
  scored: ScoredPrediction,
) => Promise<void | { skipped: string }>;

/** pino-compatible logger subset. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ApiOptions {
  service: ScoringService;
  config?: Partial<ApiConfig>;
  metrics?: Metrics;
  emitEvent?: EmitEvent;
  logger?: Logger;
}

export const DEADLINE_HEADER = "X-Request-Deadline-Ms";
export const EVENT_STATUS_HEADER = "X-Revrisk-Event";

export const DEFAULT_CONFIG: Omit<ApiConfig, "modelName"> = {
  allowRevisionJsonInput: false,
  strictLanguages: false,
  maxInstances: 50,
  maxOresRevisions: 50,
  maxBodyBytes: 10 * 1024 * 1024,
  defaultDeadlineMs: 60_000,
  abortGraceMs: 100,
  emitTimeoutMs: 5_000,
};

// ---------------------------------------------------------------------------------------------
// Messages (LiftWing's, rrml.md §3.3)
// ---------------------------------------------------------------------------------------------

export const MSG = {
  notJsonDict: "Please verify that request input is a json dict",
  notWikipedia:
    "This model is not recommended for use in projects outside of Wikipedia (e.g. Wiktionary, Wikinews, etc)",
  missingLang: 'Missing "lang" in input data.',
  missingRevId: 'Missing "rev_id" in input data.',
  langRequired: "The parameter lang is required.",
  revIdRequired: "The parameter rev_id is required.",
  mediawiki:
    "An error happened while fetching info for revision from the MediaWiki API, please contact the ML-Team if the issue persists.",
  unsupportedSchema: (schema: string) =>
    `Unsupported event of schema ${schema}, the lang value cannot be determined.`,
  noModel: (name: string) => `Model with name ${name} does not exist.`,
  notReady: (name: string) => `Model with name ${name} is not ready.`,
  couldNotPredict: (revId: unknown, lang: string, code: string) =>
    `Could not make prediction for revision ${String(revId)} (${lang}). Reason: ${code}`,
} as const;

/** KI data problems: 422, final. */
const DATA_CODES: ReadonlySet<ScoreErrorCode> = new Set(DATA_ERROR_CODES);

/** ORES v3 error types for our error codes. */
export const ORES_ERROR_TYPES: Record<ScoreErrorCode, string> = {
  revision_missing: "RevisionNotFound",
  revision_info_deleted: "TextDeleted",
  parent_revision_missing: "RevisionNotFound",
  parent_revision_info_deleted: "TextDeleted",
  page_missing: "PageNotFound",
  user_missing: "UserDeleted",
  mediawiki_error: "MediaWikiError",
  mediawiki_unavailable: "MediaWikiError",
  unavailable: "TimeoutError",
  model_error: "ModelError",
};

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
type Status = 200 | 207 | 400 | 404 | 413 | 422 | 500 | 503 | 504;

/** A finished HTTP answer. */
interface Answer {
  status: Status;
  body: Json;
}

class HttpAnswer extends Error {
  readonly answer: Answer;
  constructor(status: Status, body: Json) {
    super(String(Object.values(body)[0]));
    this.answer = { status, body };
  }
}

const err = (status: Status, message: string, extra: Json = {}): HttpAnswer =>
  new HttpAnswer(status, { error: message, ...extra });
const detail = (status: Status, message: string, extra: Json = {}): HttpAnswer =>
  new HttpAnswer(status, { detail: message, ...extra });

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const noopMetrics: Metrics = {
  httpRequest() {},
  batchSize() {},
  scoreOutcome() {},
  unsupportedLanguage() {},
  mediawikiFetch() {},
  mediawikiError() {},
  eventEmission() {},
  async render() {
    return { contentType: "text/plain; version=0.0.4; charset=utf-8", body: "" };
  },
};

/** Python truthiness of a JSON value (LiftWing's `check_input_param`). */
function pyFalsy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Positive integer rev_id from a number or a string of digits; undefined otherwise. */
function toRevId(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  if (typeof v === "string" && /^[0-9]{1,16}$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  }
  return undefined;
}

/** Python's `re.match(r"(\w+)wiki", s).group(1)` (greedy, Unicode \w). */
function langFromWikiId(s: string): string | undefined {
  return /^([\p{L}\p{N}\p{Mn}\p{Pc}]+)wiki/u.exec(s)?.[1];
}

function flag(v: string | undefined): boolean {
  if (v === undefined) return false;
  const s = v.trim().toLowerCase();
  return s === "" || s === "true" || s === "1" || s === "yes";
}

/** A revision to score, validated (checks 4–7). */
interface ValidItem {
  lang: string;
  revId: number;
  /** rev_id as received, echoed in `revision_id`. */
  echo: unknown;
  supported: boolean;
}

/** What a failed item becomes: the single-input answer, plus a code for instances/ORES. */
interface ItemFailure {
  answer: Answer;
  reason: string;
  retryable: boolean;
  message: string;
}

function failureOf(e: HttpAnswer, reason = "invalid_input", retryable = false): ItemFailure {
  const body = e.answer.body;
  return { answer: e.answer, reason, retryable, message: String(body.error ?? body.detail) };
}

async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  const tooLarge = () => err(413, `Request body is larger than the limit of ${max} bytes.`);
  if (declared !== null && Number(declared) > max) throw tooLarge();
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function parseJsonDict(bytes: Uint8Array): Json {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw err(400, MSG.notJsonDict);
  }
  if (!isObject(value)) throw err(400, MSG.notJsonDict);
  return value;
}

class DeadlineExceeded extends Error {
  readonly ms: number;
  constructor(ms: number) {
    super(`deadline of ${ms} ms exceeded`);
    this.ms = ms;
  }
}

// ---------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------

type Env = { Variables: { route: string } };

/** Builds the HTTP API over a scoring service. */
export function createApiApp(options: ApiOptions): Hono<Env> {
  const { service } = options;
  const manifest: Manifest = service.manifest;
  const config: ApiConfig = {
    ...DEFAULT_CONFIG,
    modelName: manifest.model_name,
    ...stripUndefined(options.config),
  };
  const metrics = options.metrics ?? noopMetrics;
  const log = options.logger ?? noopLogger;
  const emitEvent = options.emitEvent;
  const model = config.modelName;
  const version = manifest.model_version;
  const supportedWikis = new Set(manifest.supported_wikis);
  /** ORES `wiki` (a dbname) → lang: real dbnames (alswiki → gsw), LiftWing's lang+"wiki" (gswwiki), testwiki. */
  const dbToLang = new Map<string, string>();
  for (const w of CANONICAL_WIKIS) dbToLang.set(`${w.code}wiki`, w.code);
  for (const w of CANONICAL_WIKIS) dbToLang.set(w.dbName, w.code);
  dbToLang.set(`${TEST_WIKI}wiki`, TEST_WIKI);

  // strict: false — "/v3/scores/enwiki/?revids=…" (ORES' documented form) matches "/v3/scores/enwiki".
  const app = new Hono<Env>({ strict: false });

  // Request metrics: route patterns only.
  app.use("*", async (c, next) => {
    const t0 = performance.now();
    c.set("route", "unmatched");
    await next();
    const ms = performance.now() - t0;
    metrics.httpRequest(c.get("route"), c.req.method, c.res.status, ms / 1000);
    log.debug({ method: c.req.method, route: c.get("route"), status: c.res.status, ms }, "request");
  });

  app.onError((e, c) => {
    if (e instanceof HttpAnswer) return c.json(e.answer.body, e.answer.status);
    log.error({ err: e, path: c.req.path }, "unhandled error");
    return c.json({ error: e instanceof Error ? e.message : String(e) }, 500);
  });

  app.notFound((c) => c.json({ detail: "Not Found" }, 404));

  // ------------------------------------------------------------------ validation helpers

  /** LiftWing checks 4–7 for one (lang, rev_id), with revrisk's type checks after check 4. */
  function validateItem(lang: unknown, revId: unknown): ValidItem {
    if (pyFalsy(lang)) throw err(400, MSG.langRequired);
    if (pyFalsy(revId)) throw err(400, MSG.revIdRequired);
    if (typeof lang !== "string") throw err(400, "The parameter lang must be a string.");
    const n = toRevId(revId);
    if (n === undefined) throw err(400, "The parameter rev_id must be a positive integer.");
    const r = tryResolveWiki(lang, { supportedWikis, strict: false });
    if (!r.ok) throw new HttpAnswer(400, r.error.toBody());
    if (!r.wiki.supported) {
      metrics.unsupportedLanguage(lang);
      if (config.strictLanguages) throw detail(400, `lang '${lang}' is not supported by the model ${model}.`);
    }
    return { lang, revId: n, echo: revId, supported: r.wiki.supported };
  }

  function deadlineOf(c: Context<Env>): number {
    const h = c.req.header(DEADLINE_HEADER);
    if (h === undefined) return config.defaultDeadlineMs;
    const s = h.trim();
    if (!/^[0-9]{1,9}$/.test(s) || Number(s) <= 0)
      throw err(
        400,
        `Invalid ${DEADLINE_HEADER} header: expected a positive integer number of milliseconds.`,
      );
    return Number(s);
  }

  /**
   * Runs a service call under the deadline and the client's connection: on timeout the service is
   * aborted and given `abortGraceMs` to return partial outcomes; a service that does not answer in
   * time gets `unavailable` for every item, so the request never hangs.
   */
  async function withDeadline(
    c: Context<Env>,
    deadlineMs: number,
    items: ReadonlyArray<{ lang: string; revId: number }>,
    call: (signal: AbortSignal) => Promise<RevisionOutcome[]>,
  ): Promise<{ outcomes: RevisionOutcome[]; timedOut: boolean }> {
    const ctrl = new AbortController();
    const client = c.req.raw.signal as AbortSignal | undefined;
    const signal = client ? AbortSignal.any([ctrl.signal, client]) : ctrl.signal;
    const unavailable = (): RevisionOutcome[] =>
      items.map((it) => ({
        ok: false,
        lang: it.lang,
        revId: it.revId,
        error: {
          code: "unavailable",
          message: `not scored within the request deadline of ${deadlineMs} ms`,
          retryable: true,
        },
      }));
    let timer: ReturnType<typeof setTimeout> | undefined;
    let grace: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    // Resolves when the deadline passes or the client goes away.
    const aborted = new Promise<"aborted">((resolve) => {
      if (signal.aborted) resolve("aborted");
      signal.addEventListener("abort", () => resolve("aborted"), { once: true });
      timer = setTimeout(() => {
        timedOut = true;
        ctrl.abort(new DeadlineExceeded(deadlineMs));
      }, deadlineMs);
    });
    const pending = Promise.resolve().then(() => call(signal));
    try {
      const first = await Promise.race([pending, aborted]);
      if (first !== "aborted") return { outcomes: first, timedOut };
      const late = await Promise.race([
        pending,
        new Promise<"late">((resolve) => {
          grace = setTimeout(() => resolve("late"), config.abortGraceMs);
        }),
      ]);
      if (late === "late") {
        pending.catch((e) => log.warn({ err: e }, "scoring failed after its deadline"));
        return { outcomes: unavailable(), timedOut };
      }
      return { outcomes: late, timedOut };
    } catch (e) {
      if (signal.aborted) return { outcomes: unavailable(), timedOut };
      throw e;
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
    }
  }

  function recordOutcomes(outcomes: ReadonlyArray<RevisionOutcome>): void {
    for (const o of outcomes) metrics.scoreOutcome(o.ok ? "ok" : o.error.code);
  }

  // ------------------------------------------------------------------ response builders

  function predictionBody(
    o: Extract<RevisionOutcome, { ok: true }>,
    lang: string,
    echo: unknown,
    features: boolean,
  ): Json {
    const body: Json = {
      model_name: model,
      model_version: version,
      wiki_db: `${lang}wiki`,
      revision_id: echo,
      output: {
        prediction: o.result.prediction,
        probabilities: { true: o.result.probabilities.true, false: o.result.probabilities.false },
      },
    };
    if (!o.supported) body.supported = false;
    if (features) body.features = o.result.features;
    return body;
  }

  /** The single-input answer for a failed outcome. */
  function failureAnswer(
    e: ScoreError,
    lang: string,
    echo: unknown,
    timedOut: boolean,
    deadlineMs: number,
  ): ItemFailure {
    const code = e.code;
    const retryable = e.retryable;
    const extra = { reason: code, retryable };
    let x: HttpAnswer;
    if (DATA_CODES.has(code)) x = detail(422, MSG.couldNotPredict(echo, lang, code), extra);
    else if (code === "mediawiki_error" || code === "mediawiki_unavailable")
      x = err(500, MSG.mediawiki, extra);
    else if (code === "unavailable")
      x = timedOut
        ? err(
            504,
            `Revision ${String(echo)} (${lang}) was not scored within the request deadline of ${deadlineMs} ms.`,
            extra,
          )
        : err(503, `Revision ${String(echo)} (${lang}) could not be scored now: ${e.message}`, extra);
    else x = err(500, `The model failed to score revision ${String(echo)} (${lang}): ${e.message}`, extra);
    return failureOf(x, code, retryable);
  }

  // ------------------------------------------------------------------ KServe / LiftWing

  app.get("/", (c) => {
    c.set("route", "/");
    return c.json({ status: "alive" });
  });

  app.get("/v1/models", (c) => {
    c.set("route", "/v1/models");
    return c.json({ models: [model] });
  });

  app.get("/v1/models/:model", (c) => {
    c.set("route", "/v1/models/{model}");
    const name = c.req.param("model");
    if (name.endsWith(":predict")) return c.json({ detail: "Method Not Allowed" }, 405);
    if (name !== model) throw err(404, MSG.noModel(name));
    if (!service.ready()) throw err(503, MSG.notReady(name));
    const info: Json = {
      name: model,
      ready: true,
      version,
      threshold: manifest.threshold,
      supported_wikis: manifest.supported_wikis,
    };
    if (manifest.precision_recall) info.precision_recall = manifest.precision_recall;
    return c.json(info);
  });

  app.post("/v1/models/:target", async (c) => {
    const target = c.req.param("target");
    if (!target.endsWith(":predict")) return c.notFound();
    c.set("route", "/v1/models/{model}:predict");
    const name = target.slice(0, -":predict".length);
    if (name !== model) throw err(404, MSG.noModel(name));
    if (!service.ready()) throw err(503, MSG.notReady(name));
    const deadlineMs = deadlineOf(c);
    const body = parseJsonDict(await readBody(c.req.raw, config.maxBodyBytes));
    const features = flag(c.req.query("features"));

    let answer: Answer;
    if ("event" in body) answer = await predictEvent(c, body.event, features, deadlineMs);
    else if ("revision_data" in body && config.allowRevisionJsonInput)
      answer = await predictRevisionData(c, body.revision_data, features, deadlineMs);
    else if ("instances" in body) answer = await predictInstances(c, body.instances, features, deadlineMs);
    else
      answer = await predictPlain(c, body.lang, body.rev_id, features, deadlineMs, "single").then(
        (r) => r.answer,
      );
    return c.json(answer.body, answer.status);
  });

  async function predictPlain(
    c: Context<Env>,
    lang: unknown,
    revId: unknown,
    features: boolean,
    deadlineMs: number,
    source: "single" | "event",
  ): Promise<{ answer: Answer; outcome?: RevisionOutcome; item: ValidItem }> {
    const item = validateItem(lang, revId);
    metrics.batchSize(source, 1);
    const { outcomes, timedOut } = await withDeadline(c, deadlineMs, [item], (signal) =>
      service.scoreRevisions([{ lang: item.lang, revId: item.revId }], { signal }),
    );
    recordOutcomes(outcomes);
    const o = outcomes[0];
    if (!o) throw err(500, "The scoring service returned no outcome.");
    if (!o.ok)
      return {
        answer: failureAnswer(o.error, item.lang, item.echo, timedOut, deadlineMs).answer,
        outcome: o,
        item,
      };
    return {
      answer: { status: 200, body: predictionBody(o, item.lang, item.echo, features) },
      outcome: o,
      item,
    };
  }

  async function predictEvent(
    c: Context<Env>,
    event: unknown,
    features: boolean,
    deadlineMs: number,
  ): Promise<Answer> {
    const ev = isObject(event) ? event : {};
    // 2a: domain
    const meta = ev.meta;
    const domain = isObject(meta) ? meta.domain : undefined;
    if (typeof domain !== "string" || !domain.includes("wikipedia")) throw err(400, MSG.notWikipedia);
    // 2b: lang
    const schema = ev.$schema;
    if (typeof schema !== "string") throw err(400, MSG.missingLang);
    const isPageChange = /^\/?mediawiki\/page\/change\/1(\.|\/|$)/.test(schema);
    const isRevisionCreate = /^\/?mediawiki\/revision\/create\/[12](\.|\/|$)/.test(schema);
    if (!isPageChange && !isRevisionCreate) throw err(400, MSG.unsupportedSchema(schema));
    const wikiId = isPageChange ? ev.wiki_id : ev.database;
    if (wikiId === undefined) throw err(400, MSG.missingLang);
    const lang = typeof wikiId === "string" ? langFromWikiId(wikiId) : undefined;
    // LiftWing: AttributeError → 500. revrisk: a clear 400.
    if (lang === undefined)
      throw err(400, `Cannot determine the lang from the event's wiki id ${JSON.stringify(wikiId)}.`);
    // 2c: rev_id
    const revision = ev.revision;
    const revId = isPageChange ? (isObject(revision) ? revision.rev_id : undefined) : ev.rev_id;
    if (revId === undefined) throw err(400, MSG.missingRevId);
    // 2d: checks 4–7, fetch, score
    const r = await predictPlain(c, lang, revId, features, deadlineMs, "event");
    const o = r.outcome;
    if (!o?.ok) return r.answer;

    let emitted: "emitted" | "failed" | "skipped" | "disabled" = "disabled";
    if (emitEvent) {
      if (!isPageChange) {
        // LiftWing: RuntimeError → 500 after scoring. revrisk: the score is returned, nothing emitted.
        emitted = "skipped";
        metrics.eventEmission("skipped");
        log.warn(
          { schema, lang, revId: r.item.revId },
          "prediction event not emitted: source is not a page_change event",
        );
      } else {
        try {
          const result = await withTimeout(
            config.emitTimeoutMs,
            emitEvent(ev, {
              modelName: model,
              modelVersion: version,
              lang: r.item.lang,
              wikiDb: `${r.item.lang}wiki`,
              revId: r.item.revId,
              prediction: o.result.prediction,
              probabilities: { true: o.result.probabilities.true, false: o.result.probabilities.false },
              supported: o.supported,
            }),
          );
          if (result && typeof result === "object" && "skipped" in result) {
            emitted = "skipped";
            metrics.eventEmission("skipped");
            log.info(
              { lang: r.item.lang, revId: r.item.revId, reason: result.skipped },
              "prediction event skipped",
            );
          } else {
            emitted = "emitted";
            metrics.eventEmission("ok");
          }
        } catch (e) {
          // LiftWing: 500 although the score was computed (rrml.md §12 quirk 7). revrisk: 200 with the score.
          emitted = "failed";
          metrics.eventEmission("error");
          log.error({ err: e, lang: r.item.lang, revId: r.item.revId }, "prediction event emission failed");
        }
      }
    }
    c.header(EVENT_STATUS_HEADER, emitted);
    return r.answer;
  }

  async function predictRevisionData(
    c: Context<Env>,
    value: unknown,
    features: boolean,
    deadlineMs: number,
  ): Promise<Answer> {
    const parsed = parseRevisionData(value);
    if (!parsed.ok) throw detail(400, parsed.detail);
    const rev: RevisionData = parsed.revision;
    if (!supportedWikis.has(rev.lang)) {
      metrics.unsupportedLanguage(rev.lang);
      if (config.strictLanguages)
        throw detail(400, `lang '${rev.lang}' is not supported by the model ${model}.`);
    }
    metrics.batchSize("revision_data", 1);
    const { outcomes, timedOut } = await withDeadline(
      c,
      deadlineMs,
      [{ lang: rev.lang, revId: -1 }],
      (signal) => service.scoreRevisionData([rev], { signal }),
    );
    recordOutcomes(outcomes);
    const o = outcomes[0];
    if (!o) throw err(500, "The scoring service returned no outcome.");
    if (!o.ok) return failureAnswer(o.error, rev.lang, -1, timedOut, deadlineMs).answer;
    return { status: 200, body: predictionBody(o, rev.lang, -1, features) };
  }

  async function predictInstances(
    c: Context<Env>,
    instances: unknown,
    features: boolean,
    deadlineMs: number,
  ): Promise<Answer> {
    if (!Array.isArray(instances) || instances.length === 0)
      throw detail(400, "The parameter instances must be a non-empty list of {lang, rev_id} objects.");
    if (instances.length > config.maxInstances)
      throw detail(400, `Only accept a maximum of ${config.maxInstances} rev_ids in the request.`);
    metrics.batchSize("instances", instances.length);

    type Slot = { index: number; lang: unknown; echo: unknown } & (
      { item: ValidItem; failure?: undefined } | { item?: undefined; failure: ItemFailure }
    );
    const slots: Slot[] = instances.map((inst, index) => {
      if (!isObject(inst))
        return {
          index,
          lang: undefined,
          echo: undefined,
          failure: failureOf(err(400, "Each instance must be a JSON object with lang and rev_id.")),
        };
      try {
        return { index, lang: inst.lang, echo: inst.rev_id, item: validateItem(inst.lang, inst.rev_id) };
      } catch (e) {
        if (!(e instanceof HttpAnswer)) throw e;
        metrics.scoreOutcome("invalid_input");
        return { index, lang: inst.lang, echo: inst.rev_id, failure: failureOf(e) };
      }
    });
    const valid = slots.filter((s) => s.item !== undefined);
    const requests = valid.map((s) => ({ lang: s.item!.lang, revId: s.item!.revId }));
    const { outcomes, timedOut } = requests.length
      ? await withDeadline(c, deadlineMs, requests, (signal) => service.scoreRevisions(requests, { signal }))
      : { outcomes: [] as RevisionOutcome[], timedOut: false };
    recordOutcomes(outcomes);
    const outcomeOf = new Map<number, RevisionOutcome>();
    valid.forEach((s, k) => {
      const o = outcomes[k];
      if (o) outcomeOf.set(s.index, o);
    });

    const predictions: Json[] = [];
    const errors: Json[] = [];
    for (const s of slots) {
      let failure = s.failure;
      if (s.item) {
        const o = outcomeOf.get(s.index);
        if (o?.ok) {
          predictions.push({ ...predictionBody(o, s.item.lang, s.item.echo, features), index: s.index });
          continue;
        }
        failure = o
          ? failureAnswer(o.error, s.item.lang, s.item.echo, timedOut, deadlineMs)
          : failureOf(err(500, "The scoring service returned no outcome."), "model_error", true);
      }
      errors.push({
        index: s.index,
        lang: s.lang ?? null,
        rev_id: s.echo ?? null,
        status: failure!.answer.status,
        detail: failure!.message,
        reason: failure!.reason,
        retryable: failure!.retryable,
      });
    }
    const status: Status = errors.length === 0 ? 200 : predictions.length === 0 ? 422 : 207;
    return { status, body: { predictions, errors } };
  }

  // ------------------------------------------------------------------ ORES v3

  const oresErr = (status: Status, code: string, message: string) =>
    new HttpAnswer(status, { error: { code, message } });

  function oresModels(supported: boolean): Json {
    return { [model]: supported ? { version } : { version, supported: false } };
  }

  function oresLang(wiki: string): { lang: string; supported: boolean } {
    const lang = dbToLang.get(wiki);
    if (lang === undefined) throw oresErr(404, "not found", `No scorers available for ${wiki}`);
    const supported = supportedWikis.has(lang);
    if (!supported && config.strictLanguages)
      throw oresErr(404, "not found", `No scorers available for ${wiki}`);
    return { lang, supported };
  }

  function oresCheckModels(wiki: string, names: string[]): void {
    const unknown = names.filter((m) => m !== model);
    if (unknown.length)
      throw oresErr(
        404,
        "not found",
        `Models (${unknown.map((m) => `'${m}'`).join(", ")}${unknown.length === 1 ? "," : ""}) not available for ${wiki}`,
      );
  }

  function oresRevIds(raw: string[]): number[] {
    const bad = raw.filter((r) => toRevId(r) === undefined);
    if (bad.length)
      throw oresErr(
        400,
        "bad request",
        `Could not interpret revision id(s) ${bad.join(", ")} as positive integers.`,
      );
    const ids = [...new Set(raw.map((r) => toRevId(r)!))];
    if (ids.length > config.maxOresRevisions)
      throw oresErr(
        400,
        "bad request",
        `Too many revisions requested: ${ids.length}; the maximum is ${config.maxOresRevisions}.`,
      );
    return ids;
  }

  async function oresScores(
    c: Context<Env>,
    wiki: string,
    revIds: number[],
    features: boolean,
  ): Promise<Answer> {
    const { lang, supported } = oresLang(wiki);
    if (!service.ready()) throw oresErr(503, "service unavailable", `Model ${model} is not ready.`);
    if (!supported) metrics.unsupportedLanguage(lang);
    const deadlineMs = deadlineOf(c);
    metrics.batchSize("ores", revIds.length);
    const requests = revIds.map((revId) => ({ lang, revId }));
    const { outcomes, timedOut } = await withDeadline(c, deadlineMs, requests, (signal) =>
      service.scoreRevisions(requests, { signal }),
    );
    recordOutcomes(outcomes);
    const scores: Json = {};
    revIds.forEach((revId, k) => {
      const o = outcomes[k];
      let entry: Json;
      if (o?.ok) {
        entry = {
          score: {
            prediction: o.result.prediction,
            probability: { true: o.result.probabilities.true, false: o.result.probabilities.false },
          },
        };
        if (features) entry.features = o.result.features;
      } else {
        const e: ScoreError = o
          ? o.error
          : { code: "model_error", message: "The scoring service returned no outcome.", retryable: true };
        const message =
          e.code === "unavailable" && timedOut
            ? `Not scored within the request deadline of ${deadlineMs} ms.`
            : e.message;
        entry = {
          error: {
            type: ORES_ERROR_TYPES[e.code] ?? "Error",
            message,
            reason: e.code,
            retryable: e.retryable,
          },
        };
      }
      scores[String(revId)] = { [model]: entry };
    });
    return { status: 200, body: { [wiki]: { models: oresModels(supported), scores } } };
  }

  const oresFeatures = (c: Context<Env>): boolean => flag(c.req.query("features"));

  app.get("/v3/scores", (c) => {
    c.set("route", "/v3/scores");
    const out: Json = {};
    for (const lang of manifest.supported_wikis) out[`${lang}wiki`] = { models: oresModels(true) };
    return c.json(out);
  });

  app.get("/v3/scores/:wiki", async (c) => {
    c.set("route", "/v3/scores/{wiki}");
    const wiki = c.req.param("wiki");
    const { supported } = oresLang(wiki);
    const modelsParam = c.req.query("models");
    if (modelsParam !== undefined && modelsParam !== "") oresCheckModels(wiki, modelsParam.split("|"));
    const revids = c.req.query("revids");
    if (revids === undefined || revids === "") return c.json({ [wiki]: { models: oresModels(supported) } });
    const a = await oresScores(c, wiki, oresRevIds(revids.split("|")), oresFeatures(c));
    return c.json(a.body, a.status);
  });

  app.get("/v3/scores/:wiki/:revid", async (c) => {
    c.set("route", "/v3/scores/{wiki}/{rev_id}");
    const a = await oresScores(c, c.req.param("wiki"), oresRevIds([c.req.param("revid")]), oresFeatures(c));
    return c.json(a.body, a.status);
  });

  app.get("/v3/scores/:wiki/:revid/:model", async (c) => {
    c.set("route", "/v3/scores/{wiki}/{rev_id}/{model}");
    const wiki = c.req.param("wiki");
    oresLang(wiki);
    oresCheckModels(wiki, [c.req.param("model")]);
    const a = await oresScores(c, wiki, oresRevIds([c.req.param("revid")]), oresFeatures(c));
    return c.json(a.body, a.status);
  });

  // ------------------------------------------------------------------ operations

  app.get("/healthz", (c) => {
    c.set("route", "/healthz");
    const h = service.health();
    const ready = service.ready();
    const requested = h.requestedProvider.toLowerCase();
    const explicit = requested === "cuda" || requested === "cpu" || requested === "wasm";
    const degraded = h.fallback !== undefined || (explicit && requested !== h.provider);
    const body: Json = {
      status: degraded ? "degraded" : ready ? "ok" : "starting",
      ready,
      model: { name: model, version },
      provider: h.provider,
      requested_provider: h.requestedProvider,
    };
    if (h.fallback !== undefined) body.fallback = h.fallback;
    if (degraded)
      body.warning =
        `Requested execution provider "${h.requestedProvider}" is not in use; running on "${h.provider}"` +
        (h.fallback ? ` (${h.fallback})` : "") +
        ". Throughput is far below what this worker is sized for.";
    body.warmed_up = h.warmedUp;
    return c.json(body);
  });

  app.get("/readyz", (c) => {
    c.set("route", "/readyz");
    const ready = service.ready();
    return c.json({ ready }, ready ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    c.set("route", "/metrics");
    const m = await metrics.render();
    return c.body(m.body, 200, { "Content-Type": m.contentType });
  });

  let openapi: string | undefined;
  app.get("/openapi.json", (c) => {
    c.set("route", "/openapi.json");
    openapi ??= JSON.stringify(buildOpenApi({ model, version }));
    return c.body(openapi, 200, { "Content-Type": "application/json; charset=utf-8" });
  });

  let docs: string | undefined;
  app.get("/docs", (c) => {
    c.set("route", "/docs");
    docs ??= renderDocsHtml({ model, version });
    return c.html(docs);
  });

  return app;
}

/** Rejects when `p` has not settled after `ms`; a late rejection of `p` is swallowed. */
function withTimeout<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  p.catch(() => {});
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`event emission did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
