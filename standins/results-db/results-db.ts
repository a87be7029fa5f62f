/**
 * Results database (Node only): accepted prediction events, one flattened row each, in DuckDB
 * (@duckdb/node-api). Idempotent on `meta.id`: a re-sent event increments `duplicates` on the
 * existing row instead of adding one. Each stored row gets `seq`, a gap-free position in insertion
 * order kept across restarts: the prediction feed's event id (functions/api/feed.ts, docs/dashboard.md).
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import type { PredictionQuery, StoredPrediction } from "../../shared/pipeline/prediction-source.ts";

export const PREDICTIONS_DDL = `
CREATE TABLE IF NOT EXISTS predictions (
  meta_id VARCHAR PRIMARY KEY,
  stream VARCHAR NOT NULL,
  schema VARCHAR,
  wiki_id VARCHAR,
  domain VARCHAR,
  rev_id BIGINT,
  rev_parent_id BIGINT,
  page_id BIGINT,
  page_title VARCHAR,
  namespace INTEGER,
  page_change_kind VARCHAR,
  dt TIMESTAMPTZ,
  rev_dt TIMESTAMPTZ,
  meta_dt TIMESTAMPTZ,
  performer_user_text VARCHAR,
  performer_user_id BIGINT,
  performer_edit_count BIGINT,
  performer_is_bot BOOLEAN,
  performer_is_temp BOOLEAN,
  performer_groups JSON,
  model_name VARCHAR,
  model_version VARCHAR,
  prediction BOOLEAN,
  probability_true DOUBLE,
  received_at TIMESTAMPTZ NOT NULL,
  duplicates INTEGER NOT NULL DEFAULT 0,
  event JSON NOT NULL
)`;

/** Added after the first release: files written before it get the column (numbered in rowid order) on open. */
const SEQ_DDL = "ALTER TABLE predictions ADD COLUMN IF NOT EXISTS seq BIGINT";

const COLUMNS = [
  "meta_id",
  "stream",
  "schema",
  "wiki_id",
  "domain",
  "rev_id",
  "rev_parent_id",
  "page_id",
  "page_title",
  "namespace",
  "page_change_kind",
  "dt",
  "rev_dt",
  "meta_dt",
  "performer_user_text",
  "performer_user_id",
  "performer_edit_count",
  "performer_is_bot",
  "performer_is_temp",
  "performer_groups",
  "model_name",
  "model_version",
  "prediction",
  "probability_true",
  "received_at",
  "event",
] as const;

const TS = new Set(["dt", "rev_dt", "meta_dt", "received_at"]);
const JSONCOL = new Set(["performer_groups", "event"]);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === "boolean" ? v : null);

/** The flattened row of one prediction event (column → value). */
export function flattenPrediction(
  event: Obj,
  receivedAt: Date,
): Record<(typeof COLUMNS)[number], DuckDBValue> {
  const meta = obj(event.meta);
  const page = obj(event.page);
  const rev = obj(event.revision);
  const perf = obj(event.performer);
  const pc = obj(event.predicted_classification);
  const preds = Array.isArray(pc.predictions) ? pc.predictions : [];
  const probs = obj(pc.probabilities);
  return {
    meta_id: str(meta.id),
    stream: str(meta.stream),
    schema: str(event.$schema),
    wiki_id: str(event.wiki_id),
    domain: str(meta.domain),
    rev_id: num(rev.rev_id),
    rev_parent_id: num(rev.rev_parent_id),
    page_id: num(page.page_id),
    page_title: str(page.page_title),
    namespace: num(page.namespace_id),
    page_change_kind: str(event.page_change_kind),
    dt: str(event.dt),
    rev_dt: str(rev.rev_dt),
    meta_dt: str(meta.dt),
    performer_user_text: str(perf.user_text),
    performer_user_id: num(perf.user_id),
    performer_edit_count: num(perf.edit_count),
    performer_is_bot: bool(perf.is_bot),
    performer_is_temp: bool(perf.is_temp),
    performer_groups: Array.isArray(perf.groups) ? JSON.stringify(perf.groups) : null,
    model_name: str(pc.model_name),
    model_version: str(pc.model_version),
    prediction: preds.length ? preds[0] === "true" : null,
    probability_true: num(probs.true),
    received_at: receivedAt.toISOString(),
    event: JSON.stringify(event),
  };
}

function whereOf(q: PredictionQuery): [string, DuckDBValue[]] {
  const parts: string[] = [];
  const params: DuckDBValue[] = [];
  if (q.wikis?.length) {
    parts.push(`wiki_id IN (${q.wikis.map(() => "?").join(",")})`);
    params.push(...q.wikis);
  }
  if (q.minProbability !== undefined) {
    parts.push("probability_true >= ?");
    params.push(q.minProbability);
  }
  if (q.since) {
    parts.push("meta_dt >= TRY_CAST(? AS TIMESTAMPTZ)");
    params.push(q.since.toISOString());
  }
  return [parts.map((p) => `AND ${p} `).join(""), params];
}

export interface InsertResult {
  inserted: number;
  duplicates: number;
}

export class ResultsDb {
  readonly path: string;
  private instance: DuckDBInstance;
  private conn: DuckDBConnection;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Highest `seq` stored. */
  private head: number;
  private listeners = new Set<(head: number) => void>();

  private constructor(path: string, instance: DuckDBInstance, conn: DuckDBConnection, head: number) {
    this.path = path;
    this.instance = instance;
    this.conn = conn;
    this.head = head;
  }

  /** Opens (creating) the database file, or ":memory:". */
  static async open(path = ":memory:"): Promise<ResultsDb> {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    await conn.run(PREDICTIONS_DDL);
    await conn.run(SEQ_DDL);
    await conn.run(
      "UPDATE predictions SET seq = n.s FROM (SELECT meta_id, (SELECT COALESCE(MAX(seq), 0) FROM predictions) + ROW_NUMBER() OVER (ORDER BY rowid) AS s FROM predictions WHERE seq IS NULL) n WHERE predictions.meta_id = n.meta_id",
    );
    const r = await conn.runAndReadAll("SELECT COALESCE(MAX(seq), 0)::BIGINT AS h FROM predictions");
    return new ResultsDb(path, instance, conn, Number(r.getRowObjectsJS()[0]!.h));
  }

  /** The highest feed position stored (0: none). */
  get lastSeq(): number {
    return this.head;
  }

  /** Calls `listener(lastSeq)` after each insert that stored new rows; returns the unsubscribe. */
  onInsert(listener: (head: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Up to `limit` stored events after position `seq` that match `q`, in feed order. */
  async after(seq: number, q: PredictionQuery, limit: number): Promise<StoredPrediction[]> {
    const [where, params] = whereOf(q);
    return this.events(`SELECT seq, event FROM predictions WHERE seq > ? ${where} ORDER BY seq LIMIT ?`, [
      seq,
      ...params,
      limit,
    ]);
  }

  /** The `limit` riskiest stored events that match `q` (highest probability_true first, then newest). */
  recent(q: PredictionQuery, limit: number): Promise<StoredPrediction[]> {
    const [where, params] = whereOf(q);
    return this.events(
      `SELECT seq, event FROM predictions WHERE TRUE ${where} ORDER BY probability_true DESC NULLS LAST, seq DESC LIMIT ?`,
      [...params, limit],
    );
  }

  private async events(sql: string, params: DuckDBValue[]): Promise<StoredPrediction[]> {
    const rows = await this.query(sql, params);
    return rows.map((r) => ({ seq: Number(r.seq), event: JSON.parse(String(r.event)) as Obj }));
  }

  /** Serialises work on the single connection. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Stores accepted events; events whose meta.id is already stored count as duplicates. */
  insert(events: readonly Obj[], receivedAt = new Date()): Promise<InsertResult> {
    return this.serial(async () => {
      if (this.closed) throw new Error("results db is closed");
      const rows = events.map((e) => flattenPrediction(e, receivedAt));
      for (const r of rows)
        if (!r.meta_id) throw new Error("prediction event without meta.id cannot be stored");
      const ids = [...new Set(rows.map((r) => r.meta_id as string))];
      const existing = new Set<string>();
      if (ids.length) {
        const res = await this.conn.runAndReadAll(
          `SELECT meta_id FROM predictions WHERE meta_id IN (${ids.map(() => "?").join(",")})`,
          ids,
        );
        for (const row of res.getRowObjectsJS()) existing.add(String(row.meta_id));
      }
      const dupCount = new Map<string, number>();
      const fresh: typeof rows = [];
      for (const r of rows) {
        const id = r.meta_id as string;
        if (existing.has(id)) dupCount.set(id, (dupCount.get(id) ?? 0) + 1);
        else {
          existing.add(id);
          fresh.push(r);
        }
      }
      const placeholders = COLUMNS.map((c) =>
        TS.has(c) ? "TRY_CAST(? AS TIMESTAMPTZ)" : JSONCOL.has(c) ? "CAST(? AS JSON)" : "?",
      ).join(", ");
      let seq = this.head;
      await this.conn.run("BEGIN TRANSACTION");
      try {
        for (const r of fresh) {
          await this.conn.run(
            `INSERT INTO predictions (${COLUMNS.join(", ")}, seq) VALUES (${placeholders}, ?)`,
            [...COLUMNS.map((c) => r[c]), ++seq],
          );
        }
        for (const [id, n] of dupCount) {
          await this.conn.run("UPDATE predictions SET duplicates = duplicates + ? WHERE meta_id = ?", [
            n,
            id,
          ]);
        }
        await this.conn.run("COMMIT");
      } catch (e) {
        await this.conn.run("ROLLBACK");
        throw e;
      }
      if (seq > this.head) {
        this.head = seq;
        for (const l of this.listeners) l(seq);
      }
      let duplicates = 0;
      for (const n of dupCount.values()) duplicates += n;
      return { inserted: fresh.length, duplicates };
    });
  }

  /** Runs a query; rows as JSON-friendly values (BIGINT and timestamps as strings). */
  query(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return this.serial(async () => {
      const res = await this.conn.runAndReadAll(sql, params);
      return res.getRowObjectsJson() as Record<string, unknown>[];
    });
  }

  async stats(): Promise<{ rows: number; duplicates: number }> {
    const [r] = await this.query(
      "SELECT COUNT(*)::INTEGER AS n, COALESCE(SUM(duplicates), 0)::INTEGER AS d FROM predictions",
    );
    return { rows: Number(r!.n), duplicates: Number(r!.d) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.serial(async () => {
      this.closed = true;
      this.conn.closeSync();
      this.instance.closeSync();
    });
  }
}
