/**
 * The LiftWing / KServe v1 routes of the on-demand API: liveness `/`, `/v1/models`,
 * `/v1/models/{model}` and `POST /v1/models/{model}:predict` with its four inputs — `{lang, rev_id}`,
 * `{event}` (page_change, then the prediction event is emitted), `{revision_data}` (pre-save, when
 * enabled) and `{instances}` (revrisk's batch). Validation follows LiftWing's order, messages,
 * status codes and body keys; deviations are listed in docs/api.md. Runtime-agnostic.
 */
import type { Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { RevisionData } from "../../shared/mediawiki/revision-data.ts";
import type { RevisionOutcome } from "../../shared/scoring/service.ts";
import { CANONICAL_CODES, tryResolveWiki } from "../../shared/wikis/wikis.ts";
import { optimalThreshold, statisticsFor } from "../../shared/model/model-info.ts";
import { ModelInfoError } from "../../shared/model/statistics.ts";
import { EVENT_STATUS_HEADER, type ApiContext, type Env, type Json } from "./context.ts";
import { deadlineOf, withDeadline, withTimeout } from "./deadline.ts";
import {
  answerOf,
  apiError,
  detail,
  error,
  failureAnswer,
  failureOf,
  methodNotAllowed,
  MSG,
  NO_OUTCOME,
  type Answer,
  type ItemFailure,
} from "./errors.ts";
import { decodeInput, flag, isObject, langFromWikiId, pyFalsy, readBody, toRevId } from "./input.ts";
import { parseRevisionData } from "./schemas.ts";

/** A revision to score, validated (checks 4–7). */
interface ValidItem {
  lang: string;
  revId: number;
  /** rev_id as received, echoed in `revision_id`. */
  echo: unknown;
  supported: boolean;
}

export function registerLiftWingRoutes(app: Hono<Env>, ctx: ApiContext): void {
  const { service, manifest, config, metrics, log, emitEvent, model, version, supportedWikis } = ctx;

  /** LiftWing checks 4–7 for one (lang, rev_id), with revrisk's type checks after check 4. */
  function validateItem(lang: unknown, revId: unknown): ValidItem {
    if (pyFalsy(lang)) throw error(400, MSG.langRequired);
    if (pyFalsy(revId)) throw error(400, MSG.revIdRequired);
    if (typeof lang !== "string") throw error(400, "The parameter lang must be a string.");
    const n = toRevId(revId);
    if (n === undefined) throw error(400, "The parameter rev_id must be a positive integer.");
    const r = tryResolveWiki(lang, { supportedWikis, strict: false });
    if (!r.ok) throw apiError(400, r.error.toBody());
    if (!r.wiki.supported) {
      metrics.unsupportedLanguage(lang);
      if (config.strictLanguages) throw detail(400, `lang '${lang}' is not supported by the model ${model}.`);
    }
    return { lang, revId: n, echo: revId, supported: r.wiki.supported };
  }

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

  /** Remembers the revision a single-input request is about, for its log line. */
  function note(c: Context<Env>, lang: string, revId: unknown, reason?: string): void {
    Object.assign(c.get("note"), { lang, revId }, reason ? { reason } : {});
  }

  async function predictPlain(
    c: Context<Env>,
    lang: unknown,
    revId: unknown,
    features: boolean,
    deadlineMs: number,
    source: "single" | "event",
  ): Promise<{ answer: Answer; outcome?: RevisionOutcome; item: ValidItem }> {
    const item = validateItem(lang, revId);
    note(c, item.lang, item.echo);
    metrics.batchSize(source, 1);
    const { outcomes, timedOut } = await withDeadline(ctx, c, deadlineMs, [item], (signal) =>
      service.scoreRevisions([{ lang: item.lang, revId: item.revId }], { signal }),
    );
    const o = outcomes[0];
    if (!o) throw error(500, MSG.noOutcome);
    if (!o.ok) {
      note(c, item.lang, item.echo, o.error.code);
      return {
        answer: failureAnswer(o.error, item.lang, item.echo, timedOut, deadlineMs).answer,
        outcome: o,
        item,
      };
    }
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
    if (typeof domain !== "string" || !domain.includes("wikipedia")) throw error(400, MSG.notWikipedia);
    // 2b: lang
    const schema = ev.$schema;
    if (typeof schema !== "string") throw error(400, MSG.missingLang);
    // LiftWing's prefixes, leading "/" included (a schema URI without it is unsupported there too).
    const isPageChange = schema.startsWith("/mediawiki/page/change/1");
    const isRevisionCreate =
      schema.startsWith("/mediawiki/revision/create/1") || schema.startsWith("/mediawiki/revision/create/2");
    if (!isPageChange && !isRevisionCreate) throw error(400, MSG.unsupportedSchema(schema));
    const wikiId = isPageChange ? ev.wiki_id : ev.database;
    if (wikiId === undefined) throw error(400, MSG.missingLang);
    const lang = typeof wikiId === "string" ? langFromWikiId(wikiId) : undefined;
    // LiftWing: AttributeError → 500. revrisk: a clear 400.
    if (lang === undefined)
      throw error(400, `Cannot determine the lang from the event's wiki id ${JSON.stringify(wikiId)}.`);
    // 2c: rev_id
    const revision = ev.revision;
    const revId = isPageChange ? (isObject(revision) ? revision.rev_id : undefined) : ev.rev_id;
    if (revId === undefined) throw error(400, MSG.missingRevId);
    // 2d: checks 4–7, fetch, score
    const r = await predictPlain(c, lang, revId, features, deadlineMs, "event");
    const o = r.outcome;
    if (!o?.ok) return r.answer;

    let emitted: "emitted" | "failed" | "skipped" | "disabled" = "disabled";
    if (emitEvent) {
      const requestId = c.get("requestId");
      if (!isPageChange) {
        // LiftWing: RuntimeError → 500 after scoring. revrisk: the score is returned, nothing emitted.
        emitted = "skipped";
        metrics.eventEmission("skipped");
        log.warn(
          { requestId, schema, lang, revId: r.item.revId },
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
              { requestId, lang: r.item.lang, revId: r.item.revId, reason: result.skipped },
              "prediction event skipped",
            );
          } else {
            emitted = "emitted";
            metrics.eventEmission("ok");
          }
        } catch (e) {
          // LiftWing: 500 although the score was computed. revrisk: 200 with the score.
          emitted = "failed";
          metrics.eventEmission("error");
          log.error(
            {
              requestId,
              lang: r.item.lang,
              revId: r.item.revId,
              reason: e instanceof Error ? e.message : String(e),
            },
            "prediction event emission failed",
          );
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
    note(c, rev.lang, -1);
    metrics.batchSize("revision_data", 1);
    const { outcomes, timedOut } = await withDeadline(
      ctx,
      c,
      deadlineMs,
      [{ lang: rev.lang, revId: -1 }],
      (signal) => service.scoreRevisionData([rev], { signal }),
    );
    const o = outcomes[0];
    if (!o) throw error(500, MSG.noOutcome);
    if (!o.ok) {
      note(c, rev.lang, -1, o.error.code);
      return failureAnswer(o.error, rev.lang, -1, timedOut, deadlineMs).answer;
    }
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
    const slots: Slot[] = await Promise.all(
      instances.map(async (inst, index): Promise<Slot> => {
        if (!isObject(inst))
          return {
            index,
            lang: undefined,
            echo: undefined,
            failure: failureOf({
              status: 400,
              body: { error: "Each instance must be a JSON object with lang and rev_id." },
            }),
          };
        try {
          return { index, lang: inst.lang, echo: inst.rev_id, item: validateItem(inst.lang, inst.rev_id) };
        } catch (e) {
          if (!(e instanceof HTTPException)) throw e;
          metrics.scoreOutcome("invalid_input");
          return { index, lang: inst.lang, echo: inst.rev_id, failure: failureOf(await answerOf(e)) };
        }
      }),
    );
    const valid = slots.filter((s) => s.item !== undefined);
    const requests = valid.map((s) => ({ lang: s.item!.lang, revId: s.item!.revId }));
    const { outcomes, timedOut } = requests.length
      ? await withDeadline(ctx, c, deadlineMs, requests, (signal) =>
          service.scoreRevisions(requests, { signal }),
        )
      : { outcomes: [] as RevisionOutcome[], timedOut: false };
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
        failure = failureAnswer(o ? o.error : NO_OUTCOME, s.item.lang, s.item.echo, timedOut, deadlineMs);
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
    const status = errors.length === 0 ? 200 : predictions.length === 0 ? 422 : 207;
    return { status, body: { predictions, errors } };
  }

  // ------------------------------------------------------------------ routes

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
    // KServe: "x:predict" is a model name here, like any other (GET on :predict → 404).
    const name = c.req.param("model");
    if (name !== model) throw error(404, MSG.noModel(name));
    if (!service.ready()) throw error(503, MSG.notReady(name));
    const info: Json = {
      name: model,
      ready: true,
      version,
      threshold: manifest.threshold,
      supported_wikis: manifest.supported_wikis,
    };
    if (manifest.statistics) {
      const { dataset, overall, per_wiki } = manifest.statistics;
      const { thresholds: _table, ...summary } = overall;
      info.statistics = {
        dataset,
        overall: summary,
        wikis: Object.keys(per_wiki),
        href: `/v1/models/${model}/statistics`,
      };
    }
    return c.json(info);
  });

  // Evaluation statistics of a wiki, and the threshold a query selects (docs/statistics.md).
  app.get("/v1/models/:model/statistics", (c) => {
    c.set("route", "/v1/models/{model}/statistics");
    const name = c.req.param("model");
    if (name !== model) throw error(404, MSG.noModel(name));
    const wiki = c.req.query("wiki");
    if (wiki !== undefined && !CANONICAL_CODES.has(wiki))
      throw error(400, `Unknown wiki language code ${JSON.stringify(wiki)}.`);
    const label = c.req.query("label") ?? "true";
    if (label !== "true" && label !== "false") throw error(400, 'label must be "true" or "false".');
    const st = statisticsFor(manifest, wiki);
    if (!st) throw error(404, `Model ${name} ${version} carries no evaluation statistics.`);
    const head = { model_name: model, model_version: version, wiki: wiki ?? null, scope: st.scope };
    const optimize = c.req.query("optimize");
    if (optimize === undefined)
      return c.json({ ...head, dataset: manifest.statistics!.dataset, statistics: st.statistics });
    try {
      const { optimization, row } = optimalThreshold(manifest, optimize, wiki, label);
      return c.json({ ...head, label, optimization, threshold: row?.threshold ?? null, statistics: row });
    } catch (e) {
      if (e instanceof ModelInfoError) throw error(400, e.message);
      throw e;
    }
  });

  /** KServe's checks before a verb runs: the model exists, is ready, and the body decodes. */
  async function modelInput(c: Context<Env>, name: string): Promise<Json> {
    if (name !== model) throw error(404, MSG.noModel(name));
    if (!service.ready()) throw error(503, MSG.notReady(name));
    return decodeInput(await readBody(c.req.raw, config.maxBodyBytes), c.req.raw.headers);
  }

  app.post("/v1/models/:target", async (c) => {
    const target = c.req.param("target");
    const verb = /:(predict|explain)$/.exec(target)?.[1];
    // FastAPI: /v1/models/{model_name} exists for GET only.
    if (!verb) {
      c.set("route", "/v1/models/{model}");
      return methodNotAllowed(c);
    }
    const name = target.slice(0, -verb.length - 1);
    if (verb === "explain") {
      c.set("route", "/v1/models/{model}:explain");
      await modelInput(c, name);
      throw error(501, MSG.noExplainer);
    }
    c.set("route", "/v1/models/{model}:predict");
    const body = await modelInput(c, name);
    const deadlineMs = deadlineOf(ctx, c);
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
}
