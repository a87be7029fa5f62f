/**
 * The on-demand HTTP API: a Hono app that is a drop-in replacement for LiftWing's
 * revertrisk-multilingual model server (KServe v1, `POST /v1/models/{model}:predict`) and for ORES v3
 * (`GET /v3/scores/...`). Runtime-agnostic: no Node APIs; the Node adapter is functions/api/node.ts.
 *
 * This file assembles the app: configuration, the request middleware (request id, metrics, one log
 * line per 5xx), the error handlers (functions/api/errors.ts) and the route modules —
 * functions/api/liftwing.ts, ores.ts, operations.ts, feed.ts and dashboard.ts. Deviations from LiftWing, KServe and ORES are
 * listed in docs/api.md.
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { noopMetrics } from "./metrics.ts";
import {
  DEFAULT_CONFIG,
  type ApiConfig,
  type ApiContext,
  type ApiOptions,
  type Env,
  type Logger,
} from "./context.ts";
import { notFoundHandler, onError } from "./errors.ts";
import { registerDashboardRoutes } from "./dashboard.ts";
import { registerFeedRoutes } from "./feed.ts";
import { registerLiftWingRoutes } from "./liftwing.ts";
import { registerOperationRoutes } from "./operations.ts";
import { registerOresRoutes } from "./ores.ts";

export {
  DEADLINE_HEADER,
  DEFAULT_CONFIG,
  EVENT_STATUS_HEADER,
  type ApiConfig,
  type ApiOptions,
  type EmitEvent,
  type Logger,
  type ScoredPrediction,
} from "./context.ts";

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Builds the HTTP API over a scoring service. */
export function createApiApp(options: ApiOptions): Hono<Env> {
  const { service } = options;
  const manifest = service.manifest;
  const config: ApiConfig = {
    ...DEFAULT_CONFIG,
    modelName: manifest.model_name,
    ...stripUndefined(options.config),
  };
  const ctx: ApiContext = {
    service,
    manifest,
    config,
    metrics: options.metrics ?? noopMetrics(),
    log: options.logger ?? noopLogger,
    emitEvent: options.emitEvent,
    model: config.modelName,
    version: manifest.model_version,
    supportedWikis: new Set(manifest.supported_wikis),
  };
  const { metrics, log } = ctx;

  // strict: false — "/v3/scores/enwiki/?revids=…" (ORES' documented form) matches "/v3/scores/enwiki".
  const app = new Hono<Env>({ strict: false });

  // X-Request-Id: the client's (or the gateway's) when sent, else a new one; echoed in the answer.
  app.use("*", requestId());

  // Request metrics (route patterns only) and one structured line per 5xx answer.
  app.use("*", async (c, next) => {
    const t0 = performance.now();
    c.set("route", "unmatched");
    c.set("note", {});
    await next();
    const ms = performance.now() - t0;
    const status = c.res.status;
    metrics.httpRequest(c.get("route"), c.req.method, status, ms / 1000);
    const line = { requestId: c.get("requestId"), method: c.req.method, route: c.get("route"), status, ms };
    if (status >= 500) {
      const err = c.get("error");
      log.error({ ...line, ...c.get("note"), ...(err ? { err } : {}) }, "request failed");
    } else log.debug(line, "request");
  });

  app.onError(onError);
  app.notFound(notFoundHandler);

  // Before LiftWing's "/": browsers (Accept: text/html) get the dashboard, other clients the liveness JSON.
  registerDashboardRoutes(app, ctx, options);
  registerFeedRoutes(app, ctx, options.feed);
  registerLiftWingRoutes(app, ctx);
  registerOresRoutes(app, ctx);
  registerOperationRoutes(app, ctx);
  return app;
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
