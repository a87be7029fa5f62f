/**
 * The dashboard routes of the API: the page at `/` (for browsers: `Accept: text/html`; other clients
 * keep LiftWing's liveness JSON, functions/api/liftwing.ts) and `/dashboard`, its files under
 * `/dashboard/assets/`, and `GET /v1/status`, the numbers the page shows (the model's health from
 * functions/api/operations.ts plus the pipeline snapshot of functions/node/live-status.ts, the one
 * `/metrics` and `revrisk status` read). Runtime-agnostic: the files are handed in (Node:
 * functions/node/dashboard-assets.ts). docs/dashboard.md.
 */
import type { Context, Hono } from "hono";
import type { ApiContext, ApiOptions, Env } from "./context.ts";
import { healthBody } from "./operations.ts";

/** A served file: body and Content-Type. */
export interface Asset {
  body: string;
  type: string;
}

/** The page (`index.html`) and the files it loads, by name under /dashboard/assets/. */
export interface DashboardAssets {
  page: string;
  files: ReadonlyMap<string, Asset>;
}

// Everything comes from this origin; no inline script or style, so injected markup cannot run.
const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-cache",
};

export function registerDashboardRoutes(
  app: Hono<Env>,
  ctx: ApiContext,
  options: Pick<ApiOptions, "dashboard" | "status" | "feed">,
): void {
  const assets = options.dashboard;

  app.get("/v1/status", (c) => {
    c.set("route", "/v1/status");
    const pipeline = options.status?.();
    return c.json({
      ...pipeline,
      health: healthBody(ctx),
      feed: options.feed
        ? { available: true, last_offset: options.feed.source.lastSeq }
        : { available: false },
      at: new Date().toISOString(),
    });
  });

  if (!assets) return;
  const page = (c: Context<Env>) => c.html(assets.page, 200, PAGE_HEADERS);

  app.get("/", async (c, next) => {
    if (!(c.req.header("Accept") ?? "").includes("text/html")) return next();
    c.set("route", "/");
    return page(c);
  });
  app.get("/dashboard", (c) => {
    c.set("route", "/dashboard");
    return page(c);
  });
  app.get("/dashboard/assets/:name", (c) => {
    c.set("route", "/dashboard/assets/{name}");
    const a = assets.files.get(c.req.param("name"));
    if (!a) return c.json({ error: "no such dashboard file" }, 404);
    return c.body(a.body, 200, { ...PAGE_HEADERS, "Content-Type": a.type });
  });
}
