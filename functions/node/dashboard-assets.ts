/**
 * The dashboard's files on Node, read once from the package: the page, its script and style
 * (functions/api/dashboard-page/) and uPlot's build from node_modules (a dependency), so the page works
 * without internet.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Asset, DashboardAssets } from "../api/dashboard.ts";

const here = (f: string) => fileURLToPath(new URL(`../api/dashboard-page/${f}`, import.meta.url));
const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

let cached: DashboardAssets | undefined;

export function loadDashboardAssets(): DashboardAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const uplot = (f: string) => require.resolve(`uplot/dist/${f}`);
  const files = new Map<string, Asset>([
    ["dashboard.js", { body: readFileSync(here("dashboard.js"), "utf8"), type: JS }],
    ["dashboard.css", { body: readFileSync(here("dashboard.css"), "utf8"), type: CSS }],
    ["uPlot.iife.min.js", { body: readFileSync(uplot("uPlot.iife.min.js"), "utf8"), type: JS }],
    ["uPlot.min.css", { body: readFileSync(uplot("uPlot.min.css"), "utf8"), type: CSS }],
  ]);
  cached = { page: readFileSync(here("index.html"), "utf8"), files };
  return cached;
}
