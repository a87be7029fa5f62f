/**
 * `revrisk serve --offline` (the README's main job, offline): the whole product in one process —
 * replayed page_change events → ingest → embedded queue → scorer → local EventGate sink → DuckDB.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";

describe("revrisk serve --offline", () => {
  const dir = mkdtempSync(join(tmpdir(), "revrisk-serve-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("scores every replayed edit into the results table and writes its status file", async () => {
    const r = spawnSync(
      process.execPath,
      [
        "bin/revrisk.ts",
        "serve",
        "--offline",
        "--exit-when-done",
        "--provider",
        "cpu",
        "--data-dir",
        dir,
        "--replay-rate",
        "500",
        "--with-features",
        "--port",
        "0",
        "--ingest-port",
        "0",
        "--sink-port",
        "0",
      ],
      { encoding: "utf8", timeout: 240_000, env: { ...process.env, REVRISK_LOG_LEVEL: "warn" } },
    );
    expect(r.status, r.stderr).toBe(0);
    const m = /scored (\d+) revisions: (\d+) predictions published \((\d+) rows/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const [, scored, published, rows] = m!.map(Number);
    expect(scored).toBeGreaterThan(400);
    expect(published).toBe(scored);
    expect(rows).toBe(published);
    const db = await DuckDBInstance.create(join(dir, "results.duckdb"));
    const conn = await db.connect();
    const res = await conn.runAndReadAll(
      "SELECT COUNT(*)::INTEGER AS n, COUNT(DISTINCT wiki_id)::INTEGER AS wikis, MIN(probability_true) AS lo, MAX(probability_true) AS hi FROM predictions",
    );
    const [row] = res.getRowObjectsJson() as Array<Record<string, number>>;
    expect(row!.n).toBe(published);
    expect(row!.wikis).toBeGreaterThan(5);
    expect(row!.lo).toBeLessThan(row!.hi);
    conn.closeSync();
    db.closeSync();
    expect(existsSync(join(dir, "status.json"))).toBe(true);
    const status = JSON.parse(readFileSync(join(dir, "status.json"), "utf8"));
    expect(status.workers).toBeGreaterThanOrEqual(1);

    // The results are queryable by SQL and exportable with their features.
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["bin/revrisk.ts", ...args], { encoding: "utf8", timeout: 60_000 });
    const q = cli(
      "sql",
      "SELECT COUNT(*)::INTEGER AS n FROM predictions",
      "--data-dir",
      dir,
      "--format",
      "json",
    );
    expect(q.status, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout.trim().split("\n")[0]!)).toEqual({ n: published });
    const out = join(dir, "parquet");
    const x = cli("sql", "--export", out, "--with-features", "--data-dir", dir);
    expect(x.status, x.stderr).toBe(0);
    const check = await (await DuckDBInstance.create(":memory:")).connect();
    const pq = await check.runAndReadAll(
      `SELECT COUNT(*)::INTEGER AS n, COUNT(DISTINCT wiki_id)::INTEGER AS w FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true)`,
    );
    const [p] = pq.getRowObjectsJson() as Array<Record<string, number>>;
    expect(p!.n).toBe(published);
    const withFeatures = await check.runAndReadAll(
      `SELECT COUNT(*)::INTEGER AS n FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true) WHERE features IS NOT NULL AND json_extract(features, '$.bert_title_score') IS NOT NULL`,
    );
    expect((withFeatures.getRowObjectsJson() as Array<Record<string, number>>)[0]!.n).toBe(published);
    const st = cli("status", "--data-dir", dir, "--json");
    expect(st.status, st.stderr).toBe(0);
    const shown = JSON.parse(st.stdout);
    expect(shown).toMatchObject({ queue: { depth: { visible: 0, inFlight: 0 } }, workers: { stale: false } });
    expect(shown.workers.count).toBeGreaterThanOrEqual(1);
  }, 260_000);

  it("says within seconds that the live sources are unreachable and suggests --offline", () => {
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        "bin/revrisk.ts",
        "serve",
        "--provider",
        "cpu",
        "--data-dir",
        join(dir, "live"),
        "--port",
        "0",
        "--ingest-port",
        "0",
        "--sink-port",
        "0",
      ],
      {
        encoding: "utf8",
        timeout: 60_000,
        // An address nothing listens on stands in for an unreachable stream.wikimedia.org.
        env: {
          ...process.env,
          REVRISK_EVENTSTREAMS: "http://127.0.0.1:9/v2/stream/mediawiki.page_change.v1",
        },
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--offline/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 70_000);
});
