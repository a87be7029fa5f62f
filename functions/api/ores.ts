/**
 * The ORES v3 routes of the on-demand API: `/v3/scores`, `/v3/scores/{wiki}` (with `models=`,
 * `revids=`, `features`), `/v3/scores/{wiki}/{rev_id}` and `/v3/scores/{wiki}/{rev_id}/{model}`, in
 * ORES's response shape with per-revision errors in revscoring's form. Runtime-agnostic.
 */
import type { Context, Hono } from "hono";
import type { RevisionOutcome } from "../../shared/scoring/service.ts";
import { CANONICAL_WIKIS, TEST_WIKI } from "../../shared/wikis/wikis.ts";
import type { ApiContext, Env, Json } from "./context.ts";
import { deadlineOf, withDeadline } from "./deadline.ts";
import { NO_OUTCOME, oresError, oresRevisionError, type Answer } from "./errors.ts";
import { flag, toRevId } from "./input.ts";
import { modelInfoDocument } from "../../shared/model/model-info.ts";
import { ModelInfoError, parseModelInfo, selectModelInfo } from "../../shared/model/statistics.ts";

export function registerOresRoutes(app: Hono<Env>, ctx: ApiContext): void {
  const { service, manifest, config, metrics, model, version, supportedWikis } = ctx;
  /** ORES `wiki` (a dbname) → lang: real dbnames (alswiki → gsw), LiftWing's lang+"wiki" (gswwiki), testwiki. */
  const dbToLang = new Map<string, string>();
  for (const w of CANONICAL_WIKIS) dbToLang.set(`${w.code}wiki`, w.code);
  for (const w of CANONICAL_WIKIS) dbToLang.set(w.dbName, w.code);
  dbToLang.set(`${TEST_WIKI}wiki`, TEST_WIKI);

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
    const lang = dbToLang.get(wiki);
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

  function oresRevIds(raw: string[]): number[] {
    const bad = raw.filter((r) => toRevId(r) === undefined);
    if (bad.length)
      throw oresError(
        400,
        "bad request",
        `Could not interpret revision id(s) ${bad.join(", ")} as positive integers.`,
      );
    const ids = [...new Set(raw.map((r) => toRevId(r)!))];
    if (ids.length > config.maxOresRevisions)
      throw oresError(
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
    if (!service.ready()) throw oresError(503, "service unavailable", `Model ${model} is not ready.`);
    if (!supported) metrics.unsupportedLanguage(lang);
    const deadlineMs = deadlineOf(ctx, c);
    metrics.batchSize("ores", revIds.length);
    const requests = revIds.map((revId) => ({ lang, revId }));
    const { outcomes, timedOut } = await withDeadline(ctx, c, deadlineMs, requests, (signal) =>
      service.scoreRevisions(requests, { signal }),
    );
    const scores: Json = {};
    revIds.forEach((revId, k) => {
      const o: RevisionOutcome | undefined = outcomes[k];
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
        entry = { error: oresRevisionError(o ? o.error : NO_OUTCOME, revId, timedOut, deadlineMs) };
      }
      scores[String(revId)] = { [model]: entry };
    });
    return { status: 200, body: { [wiki]: { models: oresModels(c, supported, lang), scores } } };
  }

  const oresFeatures = (c: Context<Env>): boolean => flag(c.req.query("features"));

  app.get("/v3/scores", (c) => {
    c.set("route", "/v3/scores");
    const out: Json = {};
    for (const lang of manifest.supported_wikis) out[`${lang}wiki`] = { models: oresModels(c, true, lang) };
    return c.json(out);
  });

  app.get("/v3/scores/:wiki", async (c) => {
    c.set("route", "/v3/scores/{wiki}");
    const wiki = c.req.param("wiki");
    const { lang, supported } = oresLang(wiki);
    const modelsParam = c.req.query("models");
    if (modelsParam !== undefined && modelsParam !== "") oresCheckModels(wiki, modelsParam.split("|"));
    const revids = c.req.query("revids");
    if (revids === undefined || revids === "")
      return c.json({ [wiki]: { models: oresModels(c, supported, lang) } });
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
}
