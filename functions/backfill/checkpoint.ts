/**
 * Checkpoint file of `revrisk backfill` (JSON, written atomically: temp file + rename). It names
 * the source (so a checkpoint is never applied to another input), the position after the last
 * unit that completed with everything before it, the counters of the committed work, and the
 * newest committed (wiki, rev_id) keys (a small seen-set that drops duplicates across the resume
 * boundary).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type SourceIdentity =
  | { kind: "file"; path: string }
  | { kind: "api"; wiki: string; from: string; to: string; namespaces: number[] }
  | { kind: "dump"; path: string; wiki?: string; from?: string; to?: string };

/** List file: byte offset and number of the next line to read; the header's columns when there was one. */
export interface FilePosition {
  offset: number;
  line: number;
  columns?: string[];
}
/** API: the continue token of the page being worked on (undefined: first page) and the rows of it done. */
export interface ApiPosition {
  continue?: Record<string, string>;
  index: number;
  /** Timestamp of the last committed revision (progress). */
  timestamp?: string;
}
/** Dump: the page being worked on (ordinal and decompressed byte offset) and the revisions of it done. */
export interface DumpPosition {
  pageIndex: number;
  pageOffset: number;
  revIndex: number;
  /** Database name of the dump's wiki (a seek skips <siteinfo>). */
  wiki?: string;
}
export type Position = FilePosition | ApiPosition | DumpPosition;

export interface Counters {
  /** Enqueued (file/api) or scored and sent (dump). */
  done: number;
  skipped: Record<string, number>;
  /** Revisions that failed for good (dump: scoring errors, sink rejections). */
  failed: Record<string, number>;
}

export interface Checkpoint {
  version: 1;
  source: SourceIdentity;
  position: Position | null;
  counters: Counters;
  recent: string[];
  /**
   * Keys of revisions done in units that completed after an unfinished one when the run stopped
   * (beyond `position`): a resume skips them silently. Cleared when the backfill completes.
   */
  ahead?: string[];
  completed: boolean;
  startedAt: string;
  updatedAt: string;
}

export function emptyCounters(): Counters {
  return { done: 0, skipped: {}, failed: {} };
}

export function addCounters(into: Counters, c: Counters): void {
  into.done += c.done;
  for (const [k, v] of Object.entries(c.skipped)) into.skipped[k] = (into.skipped[k] ?? 0) + v;
  for (const [k, v] of Object.entries(c.failed)) into.failed[k] = (into.failed[k] ?? 0) + v;
}

export function bump(rec: Record<string, number>, key: string, n = 1): void {
  rec[key] = (rec[key] ?? 0) + n;
}

export function sameSource(a: SourceIdentity, b: SourceIdentity): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Reads a checkpoint; undefined when the file does not exist. Throws on a corrupt file. */
export function readCheckpoint(path: string): Checkpoint | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let cp: Checkpoint;
  try {
    cp = JSON.parse(text) as Checkpoint;
  } catch (e) {
    throw new Error(
      `checkpoint ${path} is not valid JSON (${(e as Error).message}); remove it or pass --restart`,
      {
        cause: e,
      },
    );
  }
  if (cp?.version !== 1 || !cp.source) throw new Error(`checkpoint ${path}: unknown format; pass --restart`);
  return cp;
}

export function writeCheckpoint(path: string, cp: Checkpoint): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(cp));
  renameSync(tmp, path);
}
