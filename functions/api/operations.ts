/**
 * The operations routes of the on-demand API: `/healthz` (execution provider, loud fallback),
 * `/readyz`, `/metrics` (Prometheus text), `/openapi.json` and `/docs` (functions/api/openapi.ts).
 * Runtime-agnostic.
 */
import type { Hono } from "hono";
import type { ApiContext, Env, Json } from "./context.ts";
import { buildOpenApi, renderDocsHtml } from "./openapi.ts";

/** What /healthz answers (also part of /v1/status): model, provider in use, degraded, ready. */
export function healthBody(ctx: ApiContext): Json {
  const { service, model, version } = ctx;
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
  return body;
}

export function registerOperationRoutes(app: Hono<Env>, ctx: ApiContext): void {
  const { service, metrics, model, version } = ctx;

  app.get("/healthz", (c) => {
    c.set("route", "/healthz");
    return c.json(healthBody(ctx));
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
}
