/**
 * `revrisk sql`: queries the results database (DuckDB, table `predictions`; see
 * standins/results-db/results-db.ts) and exports it to Parquet.
 *
 *   revrisk sql "SELECT wiki_id, count(*) FROM predictions GROUP BY 1"
 *   revrisk sql --format csv "SELECT * FROM predictions" > all.csv      # streamed, chunk by chunk
 *   revrisk sql --export exports/ [--with-features] [--where "wiki_id = 'enwiki'"]
 *
 * The database is opened read-only. DuckDB lets one process write a database file: while the
 * EventGate sink (`revrisk serve` / `revrisk eventgate-sink`) has it open, pass `--snapshot` to
 * query a copy of the file instead (or query a Parquet export).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { addOptions } from "../node/options.ts";
import { exportParquet } from "../../standins/results-db/parquet-export.ts";

export type SqlFormat = "table" | "json" | "csv";

export interface SqlOptions {
  db?: string;
  dataDir: string;
  format: SqlFormat;
  /** Table format: rows shown at most (the rest is counted, not kept). Others: no limit unless given. */
  maxRows?: number;
  export?: string;
  withFeatures?: boolean;
  where?: string;
  overwrite?: boolean;
  snapshot?: boolean;
}

export class SqlError extends Error {
  override readonly name = "SqlError";
}

/** DuckDB's message without the binding's "Failed to extract statements: " style prefixes. */
function duckMessage(e: unknown): string {
  return String((e as Error)?.message ?? e).replace(/^Failed to (extract|prepare|execute) statements?: /, "");
}

export function resultsDbPath(o: { db?: string; dataDir: string }): string {
  return o.db ?? join(o.dataDir, "results.duckdb");
}

/** Opens the results database read-only (optionally a snapshot copy). */
export async function openResults(
  path: string,
  options: { snapshot?: boolean } = {},
): Promise<{ conn: DuckDBConnection; close(): void }> {
  if (path !== ":memory:" && !existsSync(path)) {
    throw new SqlError(
      `no results database at ${path} (the EventGate sink creates it: revrisk serve / revrisk eventgate-sink; or pass --db)`,
    );
  }
  let file = path;
  let tmp: string | undefined;
  if (options.snapshot && path !== ":memory:") {
    tmp = mkdtempSync(join(tmpdir(), "revrisk-sql-"));
    file = join(tmp, "results.duckdb");
    copyFileSync(path, file);
    if (existsSync(`${path}.wal`)) copyFileSync(`${path}.wal`, `${file}.wal`);
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(
      file,
      tmp || file === ":memory:" ? {} : { access_mode: "READ_ONLY" },
    );
  } catch (e) {
    const msg = (e as Error).message;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (/lock/i.test(msg))
      throw new SqlError(
        `${path} is open in another process (the EventGate sink of revrisk serve / eventgate-sink writes it). ` +
          `Pass --snapshot to query a copy, stop that process, or query a Parquet export. (${msg.split("\n")[0]})`,
        { cause: e },
      );
    throw new SqlError(`cannot open ${path}: ${msg}`, { cause: e });
  }
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  return {
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Renders rows as an aligned text table (cells cut at 60 characters). */
export function renderTable(columns: string[], rows: unknown[][]): string {
  const cut = (s: string) => (s.length > 60 ? `${s.slice(0, 59)}…` : s).replace(/\n/g, "⏎");
  const cells = rows.map((r) => r.map((v) => cut(cellText(v))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const isNum = columns.map(
    (_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === "number"),
  );
  const line = (r: string[]) =>
    r
      .map((s, i) => (isNum[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)))
      .join(" │ ")
      .trimEnd();
  const sep = widths.map((w) => "─".repeat(w)).join("─┼─");
  return [line(columns), sep, ...cells.map(line)].join("\n");
}

/**
 * Runs one query and writes the result. Rows are read chunk by chunk (DuckDB streaming result):
 * json (one object per line) and csv hold one chunk at a time; the table keeps at most `maxRows`
 * rows (default 1000) and counts the rest.
 */
export async function runQuery(
  conn: DuckDBConnection,
  sql: string,
  o: { format: SqlFormat; maxRows?: number },
  write: (s: string) => void | Promise<void>,
): Promise<{ rows: number; shown: number }> {
  let result;
  try {
    result = await conn.stream(sql);
  } catch (e) {
    throw new SqlError(duckMessage(e), { cause: e });
  }
  const columns = result.columnNames();
  const limit = o.format === "table" ? (o.maxRows ?? 1000) : (o.maxRows ?? Infinity);
  let rows = 0;
  let shown = 0;
  const kept: unknown[][] = [];
  if (o.format === "csv") await write(columns.map(csvCell).join(",") + "\n");
  try {
    for await (const chunk of result.yieldRowsJson()) {
      const out: string[] = [];
      for (const r of chunk) {
        rows++;
        if (shown >= limit) continue;
        shown++;
        if (o.format === "table") kept.push(r);
        else if (o.format === "csv") out.push(r.map(csvCell).join(","));
        else out.push(JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, r[i]]))));
      }
      if (out.length) await write(out.join("\n") + "\n");
    }
  } catch (e) {
    throw new SqlError(duckMessage(e), { cause: e });
  }
  if (o.format === "table") {
    await write(renderTable(columns, kept) + "\n");
    await write(
      rows > shown
        ? `(${rows} rows, ${shown} shown: add a LIMIT, raise --max-rows, or use --format csv|json to stream them all)\n`
        : `(${rows} row${rows === 1 ? "" : "s"})\n`,
    );
  }
  return { rows, shown };
}

/** The command; returns the exit code. */
export async function sqlCommand(
  query: string | undefined,
  o: SqlOptions,
  io: {
    out: (s: string) => void | Promise<void>;
    err: (s: string) => void;
    readStdin?: () => Promise<string>;
  },
): Promise<number> {
  let handle: Awaited<ReturnType<typeof openResults>> | undefined;
  try {
    const path = resultsDbPath(o);
    if (o.export) {
      handle = await openResults(path, { snapshot: o.snapshot });
      const conn = handle.conn;
      const r = await exportParquet(
        {
          query: async (sql) =>
            (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
        },
        {
          dir: o.export,
          withFeatures: o.withFeatures,
          featuresDir: join(o.dataDir, "features"),
          where: o.where,
          overwrite: o.overwrite,
        },
      );
      io.err(
        `exported ${r.rows} predictions to ${o.export} (${r.files.length} Parquet files, partitioned by wiki_id and date)` +
          (o.withFeatures
            ? `; features from ${r.featureSources.join(", ") || "nowhere (none recorded)"}`
            : "") +
          "\n",
      );
      return 0;
    }
    let sql = query;
    if ((!sql || sql === "-") && io.readStdin) sql = await io.readStdin();
    if (!sql?.trim()) throw new SqlError('give a query, e.g. revrisk sql "SELECT count(*) FROM predictions"');
    handle = await openResults(path, { snapshot: o.snapshot });
    await runQuery(handle.conn, sql, o, io.out);
    return 0;
  } catch (e) {
    io.err(`revrisk sql: ${(e as Error).message}\n`);
    return 1;
  } finally {
    handle?.close();
  }
}

async function readAllStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function register(program: Command): void {
  addOptions(
    program
      .command("sql")
      .argument("[query]", 'SQL over the results database (table predictions); "-" reads it from stdin')
      .description("query the results database (DuckDB) or export it to Parquet partitioned by wiki and day"),
    "db",
    "dataDir",
    "format",
    "maxRows",
    "export",
    "withFeatures",
    "where",
    "overwrite",
    "snapshot",
    "group:logging",
  ).action(async (query: string | undefined, o: SqlOptions) => {
    process.exitCode = await sqlCommand(query, o, {
      // Waits for 'drain' so that a slow reader (a pipe) holds the query, not memory.
      out: (s) =>
        new Promise<void>((res) => (process.stdout.write(s) ? res() : process.stdout.once("drain", res))),
      err: (s) => process.stderr.write(s),
      readStdin: readAllStdin,
    });
  });
}
