/**
 * The dashboard in a real browser: Debian's headless Chromium (playwright-core, executablePath
 * /usr/bin/chromium) against a spawned `revrisk serve --offline` whose MediaWiki fixture holds a
 * multilingual set of edits plus one whose page title and user name are markup. Checks the table,
 * its order against the results table, the counters against /v1/status and /metrics, the filters,
 * the feed's resume across the server closing connections, escaping, and the console; takes a
 * screenshot (docs/dashboard.png with REVRISK_UPDATE_SCREENSHOT=1). docs/dashboard.md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARITY_FILES, seededStore } from "../standins/mediawiki-fixture/store.ts";
import { until } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const MARKUP_TITLE = `<img src=x onerror="window.xss=1">Title & "quotes"`;
const MARKUP_USER = `<script>window.xss=2</script><b>Vandal</b>`;

/** The fixture store: the multilingual edits plus one edit whose title and user are markup. */
function writeFixture(path: string): number {
  const store = seededStore(PARITY_FILES.filter((f) => f.includes("multilingual")));
  const user = store.addUser("en", { name: MARKUP_USER, groups: ["*", "user"] });
  const { page, parent, revision } = store.addEdit("en", {
    title: MARKUP_TITLE,
    prev: "An article about quotes.\n\nIt has two paragraphs.",
    curr: "An article about quotes.\n\nIt has two paragraphs. '''VANDAL WAS HERE''' lol!!!",
    userId: user.userId,
    comment: "<i>summary</i>",
  });
  const snapshot = store.toJSON() as { seeded: unknown[] };
  snapshot.seeded.push({
    lang: "en",
    host: "en.wikipedia.org",
    revId: revision.revId,
    parentId: parent.revId,
    pageId: page.pageId,
    title: page.title,
    fixtureId: "markup",
    userId: user.userId,
  });
  writeFileSync(path, JSON.stringify(snapshot));
  return snapshot.seeded.length;
}

/** What the page exposes as window.revriskDashboard (functions/api/dashboard-page/dashboard.js). */
interface PageState {
  seen: number[];
  firstOffset: number;
  reconnects: number;
}
type Status = {
  finished: number;
  published: number;
  skipped: number;
  workers: number;
  targetWorkers: number;
  backlog: { visible: number; inFlight: number; dead: number; oldestAgeS: number };
  latencyMs: { p50: number; p99: number; n: number };
};

const metric = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe.skipIf(!existsSync(CHROMIUM))("dashboard in headless Chromium against serve --offline", () => {
  let dir: string;
  let serve: ChildProcess;
  let url: string;
  let browser: BrowserContext;
  let page: Page;
  let edits: number;
  let stderr = "";
  const problems: string[] = [];
  const bytes = new Map<string, number>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "revrisk-dashboard-"));
    edits = writeFixture(join(dir, "fixture.json"));
    serve = spawn(
      process.execPath,
      [
        "bin/revrisk.ts",
        "serve",
        "--offline",
        "--fixture-data",
        join(dir, "fixture.json"),
        "--provider",
        "cpu",
        "--data-dir",
        join(dir, "data"),
        "--replay-rate",
        "15",
        "--feed-max-connection",
        "2",
        "--port",
        "0",
        "--ingest-port",
        "0",
        "--sink-port",
        "0",
      ],
      { env: { ...process.env, REVRISK_LOG_LEVEL: "warn" }, stdio: ["ignore", "ignore", "pipe"] },
    );
    serve.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    await until(() => /dashboard\s+(http:\/\/\S+)\/dashboard/.test(stderr), 120_000, "serve's dashboard URL");
    url = /dashboard\s+(http:\/\/\S+)\/dashboard/.exec(stderr)![1]!;
    // A fresh profile (--user-data-dir) per run.
    browser = await chromium.launchPersistentContext(join(dir, "chromium"), {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 1000 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning")
        problems.push(`${m.type()}: ${m.text()} (${m.location().url})`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("response", async (r) => {
      if (r.url().startsWith(url) && /\/dashboard(\/assets\/.*)?$/.test(new URL(r.url()).pathname))
        bytes.set(new URL(r.url()).pathname, (await r.body()).length);
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    serve?.kill("SIGTERM");
    if (serve && serve.exitCode === null) await new Promise((r) => serve.once("exit", r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("fills the table live, riskiest first, counters as /v1/status and /metrics, filters, resume, escaping", async () => {
    const t0 = Date.now();
    await page.goto(`${url}/dashboard`);
    await page.waitForSelector("#rows tbody tr", { timeout: 60_000 });
    const firstRowsMs = Date.now() - t0;

    // Wait for the whole replay to be scored (the markup edit included).
    const status = async () => (await (await fetch(`${url}/v1/status`)).json()) as Status;
    await until(
      async () => {
        const s = await status();
        return s.finished === edits && s.backlog?.visible === 0 && s.backlog?.inFlight === 0;
      },
      150_000,
      `all ${edits} edits scored`,
    );
    await until(
      async () => (await page.$$("#rows tbody tr")).length === Math.min(100, (await status()).published),
      20_000,
      "the table to hold the published predictions",
    );

    // First row = the highest probability_true in the results table (read with `revrisk sql`).
    const sql = spawnSync(
      process.execPath,
      [
        "bin/revrisk.ts",
        "sql",
        "SELECT MAX(probability_true) AS p, COUNT(*)::INTEGER AS n FROM predictions",
        "--data-dir",
        join(dir, "data"),
        "--snapshot",
        "--format",
        "json",
      ],
      { encoding: "utf8" },
    );
    expect(sql.status, sql.stderr).toBe(0);
    const table = JSON.parse(sql.stdout.trim().split("\n")[0]!) as { p: number; n: number };
    const probs = await page.$$eval("#rows tbody tr", (trs) =>
      trs.map((tr) => Number(tr.getAttribute("data-probability"))),
    );
    expect(probs[0]).toBe(table.p);
    expect([...probs].sort((a, b) => b - a)).toEqual(probs);

    // Counters = /v1/status = /metrics (the page refreshes every 2 s; the pipeline is idle now).
    const s = await status();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const shown = {
      "n-published": s.published,
      "n-skipped": s.skipped,
      "n-visible": s.backlog.visible,
      "n-inflight": s.backlog.inFlight,
      "n-dead": s.backlog.dead,
      "n-oldest": s.backlog.oldestAgeS.toLocaleString("en-US", { maximumFractionDigits: 1 }),
      "n-workers": s.workers,
      "n-target": s.targetWorkers,
      "n-p50": s.latencyMs.p50.toLocaleString("en-US"),
      "n-p99": s.latencyMs.p99.toLocaleString("en-US"),
    };
    expect(s.latencyMs.n).toBeGreaterThan(0);
    expect(s.latencyMs.p99).toBeGreaterThanOrEqual(s.latencyMs.p50);
    await until(
      async () => {
        for (const [id, v] of Object.entries(shown))
          if ((await page.textContent(`#${id}`)) !== String(v)) return false;
        return true;
      },
      10_000,
      "the page's counters to equal /v1/status",
    );
    expect(s.published).toBe(table.n);
    expect(metric(metrics, 'revrisk_pipeline_messages{outcome="published",reason="ok"}')).toBe(s.published);
    expect(metric(metrics, 'revrisk_queue_messages{state="visible"}')).toBe(s.backlog.visible);
    expect(metric(metrics, 'revrisk_queue_messages{state="in_flight"}')).toBe(s.backlog.inFlight);
    expect(metric(metrics, 'revrisk_queue_messages{state="dead"}')).toBe(s.backlog.dead);
    expect(metric(metrics, 'revrisk_scorer_workers{kind="running"}')).toBe(s.workers);
    expect(metric(metrics, 'revrisk_scorer_workers{kind="target"}')).toBe(s.targetWorkers);
    expect(await page.textContent("#health")).toBe("ready");

    // The feed was closed by the server every 2 s; the browser resumed each time without gaps or duplicates.
    const feed = await page.evaluate(() => {
      const d = (window as unknown as { revriskDashboard: PageState }).revriskDashboard;
      return { seen: d.seen, first: d.firstOffset, reconnects: d.reconnects };
    });
    expect(feed.reconnects).toBeGreaterThan(0);
    expect(feed.seen.length).toBeGreaterThan(0);
    expect(feed.seen).toEqual(Array.from({ length: table.n - feed.first }, (_, i) => feed.first + 1 + i));

    // docs/dashboard.png is rewritten only when asked (REVRISK_UPDATE_SCREENSHOT=1), so a test run
    // leaves the working tree as it was.
    const shot = process.env.REVRISK_UPDATE_SCREENSHOT ? "docs/dashboard.png" : join(dir, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: false });
    expect(existsSync(shot)).toBe(true);
    await page.setViewportSize({ width: 390, height: 844 });
    // At a phone's width nothing is wider than the screen (the predictions table scrolls in its box).
    await until(
      async () => (await page.evaluate(() => document.documentElement.scrollWidth)) <= 390,
      5_000,
      "the page to fit 390 px",
    );
    if (process.env.REVRISK_SCREENSHOTS) await page.screenshot({ path: process.env.REVRISK_SCREENSHOTS });
    await page.setViewportSize({ width: 1280, height: 1000 });

    // Filters change the rows: one wiki, then a minimum probability.
    const all = (await page.$$("#rows tbody tr")).length;
    const wiki = "enwiki";
    await page.selectOption("#f-wiki", wiki);
    await until(
      async () => {
        const wikis = await page.$$eval("#rows tbody tr", (trs) =>
          trs.map((tr) => tr.getAttribute("data-wiki")),
        );
        return wikis.length > 0 && wikis.length < all && wikis.every((w) => w === wiki);
      },
      10_000,
      `rows of ${wiki} only`,
    );
    // (enwiki holds the markup edit.) Markup in a title and a user name shows as text; nothing of it runs or becomes an element.
    const markup = await page.$$eval("#rows tbody tr", (trs) =>
      trs
        .map((tr) => Array.from(tr.children).map((td) => td.textContent))
        .filter((cells) => cells.some((c) => c?.includes("onerror"))),
    );
    expect(markup).toHaveLength(1);
    expect(markup[0]![1]).toBe(MARKUP_TITLE);
    expect(markup[0]![3]).toBe(MARKUP_USER);
    expect(await page.$$("#rows img, #rows script, #rows b")).toHaveLength(0);
    expect(await page.evaluate(() => (window as unknown as { xss?: number }).xss)).toBeUndefined();

    await page.selectOption("#f-wiki", "");
    await page.fill("#f-min", "0.5");
    await page.dispatchEvent("#f-min", "change");
    await until(
      async () => {
        const p = await page.$$eval("#rows tbody tr", (trs) =>
          trs.map((tr) => Number(tr.getAttribute("data-probability"))),
        );
        return p.length > 0 && p.length < all && p.every((x) => x >= 0.5);
      },
      10_000,
      "rows at or above 0.5 only",
    );

    expect(problems).toEqual([]);
    const weight = [...bytes.values()].reduce((a, b) => a + b, 0);
    console.log(
      `dashboard: first rows after ${firstRowsMs} ms; page weight ${weight} bytes (${[...bytes].map(([p, n]) => `${p} ${n}`).join(", ")})`,
    );
  }, 300_000);
});
