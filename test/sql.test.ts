/**
 * `revrisk sql` (table / json / csv output, bad SQL, missing database) and the Parquet export
 * (Hive layout by wiki_id and UTC day, features joined from the side files).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResultsDb } from "../standins/results-db/results-db.ts";
import { buildPredictionEvent } from "../shared/events/prediction-event.ts";
import { synthesizePageChange } from "../shared/events/synthesize-page-change.ts";
import { resolveWikiId } from "../shared/wikis/wikis.ts";
import { openResults, renderTable, sqlCommand, type SqlOptions } from "../functions/sql/cli.ts";

let dir: string;
let dbPath: string;
const ids: string[] = [];

/** 3 enwiki edits on 2 UTC days (one at 23:30 -02:00, i.e. the next UTC day) and 2 dewiki edits. */
const EDITS = [
  { wiki: "enwiki", rev: 101, ts: "2026-10-01T10:00:00Z", p: 0.9 },
  { wiki: "enwiki", rev: 102, ts: "2026-10-01T23:30:00-02:00", p: 0.1 },
  { wiki: "enwiki", rev: 103, ts: "2026-10-02T05:00:00Z", p: 0.6 },
  { wiki: "dewiki", rev: 201, ts: "2026-10-03T00:00:00Z", p: 0.2 },
  { wiki: "dewiki", rev: 202, ts: "2026-10-03T12:00:00Z", p: 0.7 },
];

async function run(query: string | undefined, o: Partial<SqlOptions> = {}) {
  let out = "";
  let err = "";
  const code = await sqlCommand(
    query,
    { dataDir: dir, db: dbPath, format: "table", ...o },
    { out: (s) => void (out += s), err: (s) => void (err += s) },
  );
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "revrisk-sql-"));
  dbPath = join(dir, "results.duckdb");
  const db = await ResultsDb.open(dbPath);
  const events = EDITS.map((e) => {
    const pc = synthesizePageChange({
      wiki: resolveWikiId(e.wiki),
      revId: e.rev,
      parentId: e.rev - 1,
      pageId: e.rev * 10,
      pageTitle: `Page ${e.rev}, "quoted"`,
      namespace: 0,
      timestamp: e.ts,
      userText: "Someone",
      userId: 5,
      groups: ["*", "user"],
    });
    const built = buildPredictionEvent(pc, {
      model_name: "revertrisk-multilingual",
      model_version: "3",
      prediction: e.p > 0.5,
      probability: e.p,
    });
    if (!built.ok) throw new Error(built.message);
    ids.push(built.event.meta.id);
    return built.event;
  });
  await db.insert(events);
  await db.close();
  // Features recorded on the side for two of the predictions.
  mkdirSync(join(dir, "features"));
  writeFileSync(
    join(dir, "features", "backfill-x.jsonl"),
    [0, 3]
      .map((i) =>
        JSON.stringify({
          meta_id: ids[i],
          wiki_id: EDITS[i]!.wiki,
          rev_id: EDITS[i]!.rev,
          model_version: "3",
          features: { wiki_db: EDITS[i]!.wiki, n: i },
        }),
      )
      .join("\n") + "\n",
  );
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("revrisk sql", () => {
  it("prints a table", async () => {
    const r = await run("SELECT wiki_id, count(*)::INTEGER AS n FROM predictions GROUP BY 1 ORDER BY 1");
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      ["wiki_id │ n", "────────┼──", "dewiki  │ 2", "enwiki  │ 3", "(2 rows)", ""].join("\n"),
    );
  });

  it("streams json lines and csv (quoting), and caps the table with a hint", async () => {
    const j = await run("SELECT rev_id, probability_true FROM predictions ORDER BY rev_id", {
      format: "json",
    });
    const rows = j.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { rev_id: string; probability_true: number });
    expect(rows.map((r) => Number(r.rev_id))).toEqual([101, 102, 103, 201, 202]);
    expect(rows[0]!.probability_true).toBe(0.9);
    const c = await run("SELECT rev_id, page_title FROM predictions ORDER BY rev_id LIMIT 2", {
      format: "csv",
    });
    expect(c.out).toBe('rev_id,page_title\n101,"Page_101,_""quoted"""\n102,"Page_102,_""quoted"""\n');
    const t = await run("SELECT rev_id FROM predictions", { maxRows: 2 });
    expect(t.out).toMatch(/\(5 rows, 2 shown: add a LIMIT/);
  });

  it("reports bad SQL and a missing database clearly", async () => {
    const r = await run("SELEC 1");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^revrisk sql: Parser Error: syntax error at or near "SELEC"/);
    const m = await run("SELECT 1", { db: join(dir, "nope.duckdb") });
    expect(m.code).toBe(1);
    expect(m.err).toMatch(/no results database at .*nope\.duckdb/);
    const e = await run(undefined);
    expect(e.err).toMatch(/give a query/);
    const w = await run("DELETE FROM predictions");
    expect(w.code).toBe(1);
    expect(w.err).toMatch(/read-only/i);
  });

  it("renders numbers right-aligned and NULLs", () => {
    expect(
      renderTable(
        ["a", "b"],
        [
          [1, null],
          [10, "x"],
        ],
      ),
    ).toBe(" a │ b\n───┼─────\n 1 │ NULL\n10 │ x");
  });

  it("queries a snapshot copy", async () => {
    const r = await run("SELECT count(*)::INTEGER AS n FROM predictions", { snapshot: true, format: "json" });
    expect(r.out).toBe('{"n":5}\n');
  });
});

describe("Parquet export", () => {
  it("writes wiki_id=…/date=…/ partitions by UTC day, with features", async () => {
    const out = join(dir, "export");
    const r = await run(undefined, { export: out, withFeatures: true });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/exported 5 predictions .*3 Parquet files/);
    for (const p of [
      "wiki_id=enwiki/date=2026-10-01/data_0.parquet",
      "wiki_id=enwiki/date=2026-10-02/data_0.parquet",
      "wiki_id=dewiki/date=2026-10-03/data_0.parquet",
    ])
      expect(existsSync(join(out, p))).toBe(true);
    const h = await openResults(":memory:");
    try {
      const res = await h.conn.runAndReadAll(
        `SELECT wiki_id, CAST("date" AS VARCHAR) AS d, rev_id::INTEGER AS rev, features->>'n' AS n
           FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true) ORDER BY rev`,
      );
      expect(res.getRowObjectsJson()).toEqual([
        { wiki_id: "enwiki", d: "2026-10-01", rev: 101, n: "0" },
        { wiki_id: "enwiki", d: "2026-10-02", rev: 102, n: null },
        { wiki_id: "enwiki", d: "2026-10-02", rev: 103, n: null },
        { wiki_id: "dewiki", d: "2026-10-03", rev: 201, n: "3" },
        { wiki_id: "dewiki", d: "2026-10-03", rev: 202, n: null },
      ]);
    } finally {
      h.close();
    }
    const again = await run(undefined, { export: out });
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/not empty; pass --overwrite/);
    const filtered = await run(undefined, { export: out, overwrite: true, where: "wiki_id = 'dewiki'" });
    expect(filtered.err).toMatch(/exported 2 predictions .*1 Parquet files/);
    expect(existsSync(join(out, "wiki_id=enwiki"))).toBe(false);
  });
});
