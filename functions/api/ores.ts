/**
 * The ORES v3 routes of the on-demand API: `/v3/scores`, `/v3/scores/{wiki}` (with `models=`,
 * `revids=`, `features`), `/v3/scores/{wiki}/{rev_id}` and `/v3/scores/{wiki}/{rev_id}/{model}`, in
 * ORES's response shape with per-revision errors in revscoring's form. Runtime-agnostic.
 */
import type { Context, Hono } from "hono";
import type { RevisionOutcome, ScoreError } from "../../shared/scoring/service.ts";
import { codeForWikiId } from "../../shared/wikis/wikis.ts";
import type { ApiContext, Env, Json } from "./context.ts";
import { deadlineOf, withDeadline } from "./deadline.ts";
import { NO_OUTCOME, oresError, oresRevisionError, type Answer } from "./errors.ts";
import { flag, toRevId } from "./input.ts";
import { modelInfoDocument } from "../../shared/model/model-info.ts";
import { ModelInfoError, parseModelInfo, selectModelInfo } from "../../shared/model/statistics.ts";

export function registerOresRoutes(app: Hono<Env>, ctx: ApiContext): void {
  const { service, manifest, config, metrics, model, version, supportedWikis } = ctx;

  /**
   * The `models` entry of a wiki: `{version}`, or the fields that `model_info=` asks for (ORES'
   * model_info: `|`-separated dotted paths; threshold optimizations under statistics.thresholds).
   */
  function oresModels(c: Context<Env>, supported: boolean, lang?: string): Json {
    const param = c.req.query("model_info");
    let entry: Json = { version };
    if (param !== undefined && param !== "") {
      const doc = modelInfoDocument(manifest, lang, {
        implementation: "revrisk",
        execution_provider: service.health().provider,
      });
      try {
        entry = selectModelInfo(doc, parseModelInfo(param)) as Json;
      } catch (e) {
        if (e instanceof ModelInfoError) throw oresError(400, "bad request", e.message);
        throw e;
      }
    }
    return { [model]: supported ? entry : { ...entry, supported: false } };
  }

  function oresLang(wiki: string): { lang: string; supported: boolean } {
    const lang = codeForWikiId(wiki);
    if (lang === undefined) throw oresError(404, "not found", `No scorers available for ${wiki}`);
    const supported = supportedWikis.has(lang);
    if (!supported && config.strictLanguages)
      throw oresError(404, "not found", `No scorers available for ${wiki}`);
    return { lang, supported };
  }

  function oresCheckModels(wiki: string, names: string[]): void {
    const unknown = names.filter((m) => m !== model);
    if (unknown.length)
      throw oresError(
        404,
        "not found",
        `Models (${unknown.map((m) => `'${m}'`).join(", ")}${unknown.length === 1 ? "," : ""}) not available for ${wiki}`,
      );
  }

  /**
   * The `revids=` values as ORES reads them (Python int() of each `|`-separated value): none that
   * parses → 400 "Could not interpret revids. …" (an empty value too); more than the limit → 400.
   * A value that does not parse, among others that do, is that revision's error (the others are
   * scored); a non-positive integer is a revision that cannot exist.
   */
  function oresRevIds(param: string): string[] {
    const raw = param.split("|");
    if (raw.length > config.maxOresRevisions)
      throw oresError(
        400,
        "bad request",
        `Too many values for 'revids' parameter.  Max of ${config.maxOresRevisions}.`,
      );
    if (!raw.some((r) => pyInt(r) !== undefined)) {
      const first = raw.find((r) => pyInt(r) === undefined) ?? "";
      throw oresError(
        400,
        "bad request",
        `Could not interpret revids. invalid literal for int() with base 10: ${pyRepr(first)}`,
      );
    }
    return [...new Set(raw)];
  }

  async function oresScores(
    c: Context<Env>,
    wiki: string,
    rawIds: string[],
    features: boolean,
  ): Promise<Answer> {
    const { lang, supported } = oresLang(wiki);
    if (!service.ready()) throw oresError(503, "service unavailable", `Model ${model} is not ready.`);
    if (!supported) metrics.unsupportedLanguage(lang);
    const deadlineMs = deadlineOf(ctx, c, (m) => oresError(400, "bad request", m));
    const scorable = rawIds.map((r) => toRevId(r)).filter((n): n is number => n !== undefined);
    metrics.batchSize("ores", rawIds.length);
    const requests = [...new Set(scorable)].map((revId) => ({ lang, revId }));
    const { outcomes, timedOut } = requests.length
      ? await withDeadline(ctx, c, deadlineMs, requests, (signal) =>
          service.scoreRevisions(requests, { signal }),
        )
      : { outcomes: [] as RevisionOutcome[], timedOut: false };
    const outcomeOf = new Map(requests.map((r, k) => [r.revId, outcomes[k]] as const));
    const scores: Json = {};
    for (const raw of rawIds) {
      const revId = toRevId(raw);
      const n = pyInt(raw);
      let entry: Json;
      if (revId === undefined) {
        entry = {
          error:
            n === undefined
              ? {
                  type: "ValueError",
                  message: `ValueError: invalid literal for int() with base 10: ${pyRepr(raw)}`,
                  reason: "invalid_input",
                  retryable: false,
                }
              : oresRevisionError(REVISION_MISSING, n, false, deadlineMs),
        };
      } else {
        const o = outcomeOf.get(revId);
        if (o?.ok) {
          entry = {
            score: {
              prediction: o.result.prediction,
              probability: { true: o.result.probabilities.true, false: o.result.probabilities.false },
            },
          };
          if (features) entry.features = o.result.features;
        } else entry = { error: oresRevisionError(o ? o.error : NO_OUTCOME, revId, timedOut, deadlineMs) };
      }
      scores[n !== undefined && revId !== undefined ? String(revId) : raw] = { [model]: entry };
    }
    return { status: 200, body: { [wiki]: { models: oresModels(c, supported, lang), scores } } };
  }

  const oresFeatures = (c: Context<Env>): boolean => flag(c.req.query("features"));

  app.get("/v3/scores", (c) => {
    c.set("route", "/v3/scores");
    const out: Json = {};
    for (const lang of manifest.supported_wikis) out[`${lang}wiki`] = { models: oresModels(c, true, lang) };
    return c.json(out);
  });

  /** `models=` (`|`-separated) checked against the served model; absent or empty: all models. */
  function checkModelsParam(c: Context<Env>, wiki: string): void {
    const modelsParam = c.req.query("models");
    if (modelsParam !== undefined && modelsParam !== "") oresCheckModels(wiki, modelsParam.split("|"));
  }

  app.get("/v3/scores/:wiki", async (c) => {
    c.set("route", "/v3/scores/{wiki}");
    const wiki = c.req.param("wiki");
    const { lang, supported } = oresLang(wiki);
    checkModelsParam(c, wiki);
    const revids = c.req.query("revids");
    if (revids === undefined) return c.json({ [wiki]: { models: oresModels(c, supported, lang) } });
    const a = await oresScores(c, wiki, oresRevIds(revids), oresFeatures(c));
    return c.json(a.body, a.status);
  });

  // ORES's `<int:rev_id>` converter: a path rev_id of digits only, anything else is no route (404).
  const NOT_AN_INT = () => oresError(404, "not found", "Nothing found at this location.");

  app.get("/v3/scores/:wiki/:revid", async (c) => {
    c.set("route", "/v3/scores/{wiki}/{rev_id}");
    const wiki = c.req.param("wiki");
    const revid = c.req.param("revid");
    if (!/^[0-9]+$/.test(revid)) throw NOT_AN_INT();
    oresLang(wiki);
    checkModelsParam(c, wiki);
    const a = await oresScores(c, wiki, [revid], oresFeatures(c));
    return c.json(a.body, a.status);
  });

  app.get("/v3/scores/:wiki/:revid/:model", async (c) => {
    c.set("route", "/v3/scores/{wiki}/{rev_id}/{model}");
    const wiki = c.req.param("wiki");
    const revid = c.req.param("revid");
    if (!/^[0-9]+$/.test(revid)) throw NOT_AN_INT();
    oresLang(wiki);
    oresCheckModels(wiki, [c.req.param("model")]);
    const a = await oresScores(c, wiki, [revid], oresFeatures(c));
    return c.json(a.body, a.status);
  });
}

/** Python's int() of a query value (surrounding whitespace, a sign, `_` between digits); undefined if it raises. */
function pyInt(s: string): number | undefined {
  const m = /^\s*([+-]?)([0-9](?:_?[0-9])*)\s*$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[2]!.replaceAll("_", ""));
  if (!Number.isSafeInteger(n)) return undefined;
  return m[1] === "-" ? -n : n;
}

/** Python's repr() of a str, as in ORES's int() error messages. */
function pyRepr(s: string): string {
  return s.includes("'") && !s.includes('"')
    ? `"${s}"`
    : `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** The outcome of a revision id that cannot exist (zero or negative): revscoring's RevisionNotFound. */
const REVISION_MISSING: ScoreError = {
  code: "revision_missing",
  message: "no such revision",
  retryable: false,
};
