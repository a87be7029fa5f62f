/**
 * `revrisk backfill`: burst reprocessing of past revisions, from one of three sources, each in its
 * own file: a list of `wiki,rev_id` rows (source-file.ts), every revision of a wiki over a time range
 * through `list=allrevisions` (source-api.ts) — both synthesize page_change events and enqueue them
 * (enqueue.ts) — or an XML history dump, scored in-process and sent to EventGate (source-dump.ts,
 * dump-emit.ts). Every source applies ingest's own filter (source.ts). See docs/backfill.md.
 *
 * This file runs a source: it is cut into work units (≤ batchSize revisions) processed with bounded
 * concurrency; the checkpoint advances only over units that completed together with all units
 * before them (shared/backfill/ordered-commit.ts runOrdered), so an interruption (abort, SIGINT,
 * error) followed by a restart neither skips nor repeats work. Memory is bounded: inputs are
 * streamed, the seen-set is bounded, and at most `concurrency` units are in flight.
 */
import { resolve as resolvePath } from "node:path";
import type { MediaWikiClient } from "../../shared/mediawiki/client.ts";
import type { Queue } from "../../shared/queue/queue.ts";
import type { ScoringService } from "../../shared/scoring/service.ts";
import type { BuildOptions } from "../../shared/events/prediction-event.ts";
import { RecentKeys } from "../../shared/backfill/recent-keys.ts";
import { runOrdered } from "../../shared/backfill/ordered-commit.ts";
import { etaSeconds, type ProgressSnapshot } from "../../shared/backfill/progress.ts";
import {
  addCounters,
  bump,
  emptyCounters,
  readCheckpoint,
  sameSource,
  writeCheckpoint,
  type ApiPosition,
  type Checkpoint,
  type Counters,
  type DumpPosition,
  type FilePosition,
  type Position,
  type SourceIdentity,
} from "./checkpoint.ts";
import type { PredictionSink } from "./dump-emit.ts";
import { apiSource } from "./source-api.ts";
import { dumpSource } from "./source-dump.ts";
import { fileSource } from "./source-file.ts";
import { compileBackfillFilter, UserGroups, type Source, type SourceContext, type Unit } from "./source.ts";

export type BackfillSource =
  | { kind: "file"; path: string }
  | { kind: "api"; wiki: string; from: string; to: string }
  | { kind: "dump"; path: string; wiki?: string; from?: string; to?: string };

export interface BackfillOptions {
  source: BackfillSource;
  /** file / api: where messages go. */
  queue?: Queue;
  /** Metadata and user groups (file, api, dump user groups). */
  client?: MediaWikiClient;
  /** dump: scores revisions in-process. */
  service?: ScoringService;
  /** dump: receives the prediction events. */
  sink?: PredictionSink;
  /** dump: prediction event options (stream, schema version). */
  predictionOptions?: BuildOptions;
  /** dump: append `{meta_id, wiki_id, rev_id, model_version, features}` JSON lines here (see docs). */
  featuresFile?: string;
  /** dump: fetch the editors' groups from MediaWiki (`list=users`). Default true when a client is given. */
  userGroups?: boolean;
  /** dump: fetch the revisions' change tags from MediaWiki (prop=revisions, no content). Default true when a client is given. */
  tags?: boolean;
  /** No checkpoint when absent. */
  checkpointPath?: string;
  /** Ignore (and overwrite) an existing checkpoint. */
  restart?: boolean;
  /** Count what would be done; no queue, no scoring, no checkpoint. */
  dryRun?: boolean;
  /** Revisions per work unit. Default 100 (file/api), 32 (dump). */
  batchSize?: number;
  /** Units in flight. Default 4. */
  concurrency?: number;
  /**
   * Supported wikis of the ingest filter applied to every revision (codes or dbnames, as ingest's
   * `--wikis`). Default: the scoring service's manifest `supported_wikis` (dump), else ingest's
   * built-in list; the CLI passes the model's, as ingest does.
   */
  wikis?: readonly string[];
  /** Also take testwiki (outside the model's languages), as ingest's `allowTestwiki`. Default false. */
  allowTestwiki?: boolean;
  /** Namespaces to keep. Default [0]. */
  namespaces?: number[];
  /** Also enqueue page creations (the model does not handle them). Default false. */
  keepPageCreations?: boolean;
  /** file: skip unreadable lines (counted, first ones logged) instead of stopping. */
  skipInvalid?: boolean;
  /** In-memory seen-set size. Default 100 000. */
  recentCapacity?: number;
  signal?: AbortSignal;
  /** Called after each committed unit. */
  onProgress?: (p: ProgressSnapshot) => void;
  log?: (line: string) => void;
  now?: () => Date;
}

export interface BackfillReport {
  source: SourceIdentity;
  dryRun: boolean;
  /** The input was read to its end (false after an interruption). */
  completed: boolean;
  /** A checkpoint was found and resumed from. */
  resumed: boolean;
  /** Totals including earlier runs of the same checkpoint. */
  counters: Counters;
  /** This run only. */
  run: Counters;
  /** file: unreadable lines (with --skip-invalid). */
  invalidLines: number;
  durationS: number;
  checkpointPath?: string;
}

function identityOf(s: BackfillSource, namespaces: number[]): SourceIdentity {
  if (s.kind === "file") return { kind: "file", path: resolvePath(s.path) };
  if (s.kind === "api") return { kind: "api", wiki: s.wiki, from: s.from, to: s.to, namespaces };
  return { kind: "dump", path: resolvePath(s.path), wiki: s.wiki, from: s.from, to: s.to };
}

/** Runs a backfill (see the module comment). Resolves with a report; rejects on input or sink errors. */
export async function runBackfill(o: BackfillOptions): Promise<BackfillReport> {
  const started = Date.now();
  const log = o.log ?? ((l: string) => console.error(l));
  const namespaces = o.namespaces ?? [0];
  const source = identityOf(o.source, namespaces);
  const dryRun = o.dryRun ?? false;
  const kind = o.source.kind;
  if (!dryRun && kind === "dump" && (!o.service || !o.sink))
    throw new Error("dump backfill needs a scoring service and a sink");
  if (!dryRun && kind !== "dump" && !o.queue) throw new Error("backfill needs a queue");
  if (!o.client && (kind === "api" || (kind === "file" && !dryRun)))
    throw new Error("backfill needs a MediaWiki client");

  let cp: Checkpoint | undefined;
  const checkpointPath = dryRun ? undefined : o.checkpointPath;
  if (checkpointPath && !o.restart) {
    cp = readCheckpoint(checkpointPath);
    if (cp && !sameSource(cp.source, source)) {
      throw new Error(
        `checkpoint ${checkpointPath} belongs to another backfill (${JSON.stringify(cp.source)}); pass --restart or another --checkpoint`,
      );
    }
  }
  const resumed = Boolean(cp && (cp.position || cp.ahead?.length));
  const nowIso = () => (o.now?.() ?? new Date()).toISOString();
  const state: Checkpoint = cp ?? {
    version: 1,
    source,
    position: null,
    counters: emptyCounters(),
    recent: [],
    completed: false,
    startedAt: nowIso(),
    updatedAt: nowIso(),
  };
  const run = emptyCounters();
  const report = (completed: boolean): BackfillReport => ({
    source,
    dryRun,
    completed,
    resumed,
    counters: state.counters,
    run,
    invalidLines: invalid.count,
    durationS: (Date.now() - started) / 1000,
    checkpointPath,
  });
  const invalid = { count: 0 };
  if (cp?.completed) {
    log(
      `backfill: checkpoint ${checkpointPath} says this backfill already completed; pass --restart to run it again`,
    );
    return report(true);
  }
  if (resumed) log(`backfill: resuming from ${checkpointPath} (${state.counters.done} done before)`);

  // Producer-side dedupe: keys read in this run plus the committed keys of earlier runs.
  const recent = new RecentKeys(o.recentCapacity ?? 100_000, state.recent);
  // Keys of committed units only (persisted).
  const committed = new RecentKeys(5000, state.recent);

  let lastWrite = 0;
  const save = (force: boolean) => {
    if (!checkpointPath) return;
    if (!force && Date.now() - lastWrite < 500) return;
    state.updatedAt = nowIso();
    state.recent = committed.newest(5000);
    writeCheckpoint(checkpointPath, state);
    lastWrite = Date.now();
  };

  const startFraction = { value: undefined as number | undefined };
  const progress = (fraction: number | undefined) => {
    if (!o.onProgress) return;
    const elapsed = (Date.now() - started) / 1000;
    startFraction.value ??= fraction;
    let skipped = 0;
    for (const v of Object.values(state.counters.skipped)) skipped += v;
    o.onProgress({
      done: state.counters.done,
      skipped,
      fraction,
      rate: elapsed > 0 ? run.done / elapsed : 0,
      etaS: fraction !== undefined ? etaSeconds(startFraction.value ?? 0, fraction, elapsed) : undefined,
    });
  };

  const ahead = new Set(state.ahead ?? []);
  const ctx: SourceContext = {
    o,
    log,
    namespaces,
    filter: compileBackfillFilter(o, namespaces),
    recent,
    groups: new UserGroups(o.client),
    ahead,
    invalid,
  };
  const s = o.source;
  const src: Source<unknown> =
    s.kind === "file"
      ? (fileSource(ctx, s.path, state.position as FilePosition | null) as Source<unknown>)
      : s.kind === "api"
        ? (apiSource(ctx, s, state.position as ApiPosition | null) as Source<unknown>)
        : (dumpSource(ctx, s, state.position as DumpPosition | null) as Source<unknown>);

  let result;
  try {
    result = await runOrdered<Unit<unknown>, Position>({
      units: src.units,
      position: (u) => u.position,
      concurrency: dryRun ? 1 : (o.concurrency ?? 4),
      signal: o.signal,
      process: async (u, signal) => {
        if (!dryRun) await src.process(u, signal);
        else u.counters.done += u.items.length;
      },
      commit: (position, u) => {
        state.position = position;
        addCounters(state.counters, u.counters);
        addCounters(run, u.counters);
        for (const k of u.keys) committed.add(k);
        save(false);
        progress(u.fraction);
      },
      onStop: (units) => {
        for (const u of units) {
          state.counters.done += u.counters.done;
          run.done += u.counters.done;
          for (const [k, v] of Object.entries(u.counters.failed)) bump(state.counters.failed, k, v);
          state.ahead = [...(state.ahead ?? []), ...u.keys];
        }
      },
    });
  } finally {
    save(true);
    await src.close?.();
  }
  if (result.completed) {
    state.completed = true;
    delete state.ahead;
    save(true);
  }
  return report(result.completed);
}

/** `runBackfill` for a dump source: scores in-process and POSTs to the sink. */
export function runDumpBackfill(
  o: Omit<BackfillOptions, "source" | "queue"> & {
    source: Extract<BackfillSource, { kind: "dump" }>;
    service: ScoringService;
    sink: PredictionSink;
  },
): Promise<BackfillReport> {
  return runBackfill(o);
}
