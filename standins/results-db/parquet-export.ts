/**
 * Parquet export of the results database (Node only, DuckDB): the `predictions` table written as a
 * Hive-partitioned dataset, `<dir>/wiki_id=<wiki>/date=<YYYY-MM-DD>/data_<n>.parquet`, where `date`
 * is the UTC day of the edit (`rev_dt`, else the event `dt`, else the reception time). Readers get
 * `wiki_id` and `date` back from the paths (`read_parquet('<dir>/**\/*.parquet', hive_partitioning = true)`,
 * Spark, pandas/pyarrow).
 *
 * Features (`--with-features`): the classifier features are not part of the prediction events, so
 * they are recorded on the side and joined on `meta_id` (the prediction event's deterministic id):
 *  - JSON Lines files `<data-dir>/features/*.jsonl`, one `{meta_id, wiki_id, rev_id, model_version,
 *    features: {name: value, …}}` per scored revision (what `revrisk backfill` writes for dumps, and
 *    what the scorer can append to), and/or
 *  - a `features` table in the results database (FEATURES_DDL), if a writer fills it.
 * The export adds a `features` JSON column (NULL where nothing was recorded).
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/** For a writer that records features next to the predictions, in the results database. */
export const FEATURES_DDL = `
CREATE TABLE IF NOT EXISTS features (
  meta_id VARCHAR PRIMARY KEY,
  wiki_id VARCHAR,
  rev_id BIGINT,
  model_version VARCHAR,
  features JSON NOT NULL
)`;

/** A connection-like object: ResultsDb, or a DuckDB connection wrapper. */
export interface SqlRunner {
  query(sql: string): Promise<Record<string, unknown>[]>;
}

export interface ParquetExportOptions {
  /** Output directory (created). */
  dir: string;
  /** Add the `features` column. */
  withFeatures?: boolean;
  /** Where feature JSON Lines files are (`<data-dir>/features`). */
  featuresDir?: string;
  /** Extra filter on the predictions, e.g. `wiki_id = 'enwiki'` (SQL, trusted: it is the operator's). */
  where?: string;
  /** Replace an existing export in `dir` (only `wiki_id=…` entries are removed). Default: refuse a non-empty `dir`. */
  overwrite?: boolean;
  /** Parquet compression. Default zstd. */
  compression?: "zstd" | "snappy" | "gzip" | "uncompressed";
}

export interface ParquetExportResult {
  rows: number;
  /** Files written, relative to `dir`, sorted. */
  files: string[];
  /** Feature sources used (with --with-features). */
  featureSources: string[];
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

export const DATE_EXPR = `CAST(timezone('UTC', COALESCE(p.rev_dt, p.dt, p.received_at)) AS DATE)`;

function listFiles(dir: string, base = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, base), { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** Writes the export; returns the row count and the files. */
export async function exportParquet(db: SqlRunner, o: ParquetExportOptions): Promise<ParquetExportResult> {
  const existing = existsSync(o.dir) ? readdirSync(o.dir) : [];
  if (existing.length > 0) {
    if (!o.overwrite) throw new Error(`${o.dir} is not empty; pass --overwrite to replace the export there`);
    // Replace only what looks like an earlier export (wiki_id=… partitions), never other files.
    const foreign = existing.filter((n) => !n.startsWith("wiki_id="));
    if (foreign.length)
      throw new Error(
        `${o.dir} holds files that are not an export (${foreign.slice(0, 3).join(", ")}); not replacing it`,
      );
    for (const n of existing) rmSync(join(o.dir, n), { recursive: true, force: true });
  }
  const featureSources: string[] = [];
  let join_ = "";
  let featuresCol = "";
  if (o.withFeatures) {
    const parts: string[] = [];
    const tables = await db.query(
      "SELECT COUNT(*)::INTEGER AS n FROM information_schema.tables WHERE table_name = 'features'",
    );
    if (Number(tables[0]?.n ?? 0) > 0) {
      parts.push("SELECT meta_id, CAST(features AS JSON) AS features FROM features");
      featureSources.push("table features");
    }
    if (
      o.featuresDir &&
      existsSync(o.featuresDir) &&
      readdirSync(o.featuresDir).some((f) => f.endsWith(".jsonl"))
    ) {
      const glob = join(o.featuresDir, "*.jsonl");
      parts.push(
        `SELECT meta_id, CAST(features AS JSON) AS features FROM read_json(${q(glob)}, format = 'newline_delimited', columns = {meta_id: 'VARCHAR', features: 'JSON'})`,
      );
      featureSources.push(glob);
    }
    if (parts.length) {
      join_ = ` LEFT JOIN (SELECT meta_id, any_value(features) AS features FROM (${parts.join(" UNION ALL ")}) GROUP BY meta_id) f ON f.meta_id = p.meta_id`;
      featuresCol = ", f.features AS features";
    } else featuresCol = ", CAST(NULL AS JSON) AS features";
  }
  const where = o.where ? ` WHERE ${o.where}` : "";
  const select = `SELECT p.*${featuresCol}, ${DATE_EXPR} AS "date" FROM predictions p${join_}${where}`;
  const [count] = await db.query(`SELECT COUNT(*)::BIGINT AS n FROM (${select})`);
  const rows = Number(count?.n ?? 0);
  if (rows > 0) {
    await db.query(
      `COPY (${select}) TO ${q(o.dir)} (FORMAT parquet, PARTITION_BY (wiki_id, "date"), COMPRESSION ${o.compression ?? "zstd"})`,
    );
  }
  const files = existsSync(o.dir) ? listFiles(o.dir).filter((f) => f.endsWith(".parquet")) : [];
  return { rows, files, featureSources };
}
