/**
 * `revrisk backfill`: burst reprocessing of past revisions.
 *
 * Sources:
 *  - file: `wiki,rev_id` rows (CSV, TSV or JSON Lines; header optional). Revision metadata is fetched
 *    in batches (`prop=revisions` without content, `list=users` for groups) to synthesize the
 *    page_change events the scorer needs; the revisions are then enqueued.
 *  - api: `list=allrevisions` of one wiki over a time range (namespace 0 by default), with
 *    continuation; enqueued the same way.
 *  - dump: a MediaWiki XML history dump (.xml, .xml.gz, .xml.bz2). Consecutive revisions of a page
 *    give revision and parent text, so the dump path does NOT go through the queue (the scorer would
 *    refetch text from MediaWiki, and a message carrying both texts often exceeds SQS's 256 KiB):
 *    it featurizes and scores in-process with a `ScoringService.scoreRevisionData` and POSTs the
 *    prediction events to EventGate (the sink). See docs/backfill.md.
 *
 * Every source is cut into work units (≤ batchSize revisions) processed with bounded concurrency;
 * the checkpoint advances only over units that completed together with all units before them
 * (shared/backfill/ordered-commit.ts runOrdered), so an interruption (abort, SIGINT, error) followed by a
 * restart neither skips nor repeats work. Memory is bounded: inputs are streamed, the seen-set is
 * bounded, and at most `concurrency` units are in flight.
 */
import { resolve as resolvePath } from "node:path";
import type { MediaWikiClient } from "../../shared/mediawiki/client.ts";
import type { RevisionSummary } from "../../shared/mediawiki/revision-summaries.ts";
import type { Queue, QueueMessage } from "../../shared/queue/queue.ts";
import { toMessage } from "../../shared/queue/queue.ts";
import type { ScoringService } from "../../shared/scoring/service.ts";
import type { RevisionData } from "../../shared/mediawiki/revision-data.ts";
import { parsePageChange } from "../../shared/events/page-change.ts";
import { buildPredictionEvent, type BuildOptions } from "../../shared/events/prediction-event.ts";
import { readDump, type DumpItem } from "../../shared/backfill/dump-reader.ts";
import type { ResolvedWiki } from "../../shared/wikis/wikis.ts";
import {
  resolveWikiId,
  synthesizePageChange,
  type RevisionFacts,
} from "../../shared/backfill/backfill-core.ts";
import { RecentKeys, revKey } from "../../shared/backfill/recent-keys.ts";
import { runOrdered } from "../../shared/backfill/ordered-commit.ts";
import { etaSeconds, type ProgressSnapshot } from "../../shared/backfill/progress.ts";
import { parseListLine } from "../../shared/backfill/list-line.ts";
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
import { openDecompressed, readLines } from "./input.ts";
import { appendFileSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

export type BackfillSource =
  | { kind: "file"; path: string }
  | { kind: "api"; wiki: string; from: string; to: string }
  | { kind: "dump"; path: string; wiki?: string; from?: string; to?: string };

/** Where the dump path sends prediction events (an EventGateClient fits). */
export interface PredictionSink {
  post(events: readonly object[]): Promise<{
    accepted: number;
    failed: ReadonlyArray<{ index: number; status: string; reason: string }>;
  }>;
}

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

export class BackfillInputError extends Error {
  override readonly name = "BackfillInputError";
}

interface Unit<T> {
  items: T[];
  position: Position;
  keys: string[];
  counters: Counters;
  /** 0..1 of the input covered once this unit is done. */
  fraction?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const ctx: SourceContext = { o, log, namespaces, recent, ahead, invalid, dryRun };
  let units: AsyncIterable<Unit<unknown>>;
  let processUnit: (u: Unit<unknown>, signal: AbortSignal) => Promise<void>;
  if (o.source.kind === "file") {
    units = fileUnits(ctx, o.source.path, state.position as FilePosition | null);
    processUnit = (u, signal) => processListUnit(ctx, u as Unit<ListRow>, signal);
  } else if (o.source.kind === "api") {
    units = apiUnits(ctx, o.source, state.position as ApiPosition | null);
    processUnit = (u, signal) => processApiUnit(ctx, u as Unit<ApiRow>, signal);
  } else {
    units = dumpUnits(ctx, o.source, state.position as DumpPosition | null);
    processUnit = (u, signal) => processDumpUnit(ctx, u as Unit<DumpItem & { wiki: ResolvedWiki }>, signal);
  }

  let result;
  try {
    result = await runOrdered<Unit<unknown>, Position>({
      units,
      position: (u) => u.position,
      concurrency: dryRun ? 1 : (o.concurrency ?? 4),
      signal: o.signal,
      process: async (u, signal) => {
        if (!dryRun) await processUnit(u, signal);
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

interface SourceContext {
  o: BackfillOptions;
  /** Keys already done beyond the checkpoint's position (skipped without counting). */
  ahead: ReadonlySet<string>;
  log: (l: string) => void;
  namespaces: number[];
  recent: RecentKeys;
  invalid: { count: number };
  dryRun: boolean;
}

// ---------------------------------------------------------------------------------------------
// Shared: user groups, enqueueing
// ---------------------------------------------------------------------------------------------

const groupCache = new Map<string, string[]>();
const GROUP_CACHE_MAX = 100_000;

async function groupsFor(
  client: MediaWikiClient,
  wiki: ResolvedWiki,
  userIds: Iterable<number>,
  signal: AbortSignal,
): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  const missing: number[] = [];
  for (const id of new Set(userIds)) {
    if (id <= 0) continue;
    const g = groupCache.get(`${wiki.dbName}:${id}`);
    if (g) out.set(id, g);
    else missing.push(id);
  }
  if (missing.length) {
    const users = await client.getUserGroups(wiki, missing, { signal });
    for (const id of missing) {
      const u = users.get(id);
      const groups = u && !u.missing && !u.hidden ? u.groups : ["*", "user"];
      out.set(id, groups);
      if (groupCache.size >= GROUP_CACHE_MAX) groupCache.clear();
      groupCache.set(`${wiki.dbName}:${id}`, groups);
    }
  }
  return out;
}

async function enqueue(queue: Queue, messages: QueueMessage[]): Promise<void> {
  let pending = messages;
  for (let attempt = 0; pending.length; attempt++) {
    const r = await queue.sendBatch(pending);
    if (!r.failed.length) return;
    if (attempt >= 3) {
      throw new Error(
        `queue: ${r.failed.length} message(s) could not be enqueued after ${attempt + 1} attempts: ${r.failed[0]!.error}`,
      );
    }
    pending = r.failed.map((f) => pending[f.index]!);
    await sleep(200 * 2 ** attempt);
  }
}

/** Synthesizes, validates and enqueues the events of a unit. */
async function enqueueFacts(ctx: SourceContext, u: Unit<unknown>, facts: RevisionFacts[]): Promise<void> {
  const messages: QueueMessage[] = [];
  for (const f of facts) {
    const event = synthesizePageChange(f);
    const check = parsePageChange(event);
    if (!check.ok) {
      bump(u.counters.failed, "invalid_event");
      ctx.log(
        `backfill: ${f.wiki.dbName} rev ${f.revId}: synthesized event invalid: ${check.errors.join("; ")}`,
      );
      continue;
    }
    messages.push(toMessage(f.wiki.dbName, f.revId, event));
  }
  if (messages.length) await enqueue(ctx.o.queue!, messages);
  u.counters.done += messages.length;
}

/** Filters shared by the file and API sources; returns a skip reason or undefined. */
function skipReason(ctx: SourceContext, f: RevisionFacts, deleted: boolean): string | undefined {
  if (deleted) return "deleted";
  if (!ctx.namespaces.includes(f.namespace)) return "namespace";
  if (!f.parentId && !ctx.o.keepPageCreations) return "page_creation";
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// File source
// ---------------------------------------------------------------------------------------------

interface ListRow {
  wiki: ResolvedWiki;
  revId: number;
  line: number;
}

async function* fileUnits(
  ctx: SourceContext,
  path: string,
  start: FilePosition | null,
): AsyncGenerator<Unit<ListRow>> {
  const batch = ctx.o.batchSize ?? 100;
  let columns = start?.columns;
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new BackfillInputError(`${path}: cannot read the list file (${(e as Error).message})`, {
      cause: e,
    });
  }
  if (start && start.offset > size)
    throw new BackfillInputError(`${path}: the file is shorter than the checkpoint's offset ${start.offset}`);
  let cur: Unit<ListRow> = newUnit(start);
  function newUnit(p: FilePosition | null): Unit<ListRow> {
    return { items: [], position: p ?? { offset: 0, line: 0 }, keys: [], counters: emptyCounters() };
  }
  let shown = 0;
  let sinceYield = 0;
  for await (const line of readLines(path, { start: start?.offset, line: start?.line })) {
    let parsed;
    try {
      parsed = parseListLine(line.text, columns);
      if (parsed && "wiki" in parsed) {
        let wiki: ResolvedWiki;
        try {
          wiki = resolveWikiId(parsed.wiki);
        } catch (e) {
          throw new Error(`wiki ${JSON.stringify(parsed.wiki)}: ${(e as Error).message}`, { cause: e });
        }
        const key = revKey(wiki.dbName, parsed.revId);
        if (ctx.ahead.has(key)) ctx.recent.add(key);
        else if (ctx.recent.has(key)) bump(cur.counters.skipped, "duplicate");
        else {
          ctx.recent.add(key);
          cur.items.push({ wiki, revId: parsed.revId, line: line.number });
          cur.keys.push(key);
        }
      } else if (parsed && "header" in parsed) {
        columns = parsed.header;
      }
    } catch (e) {
      const msg = `${path}:${line.number}: ${(e as Error).message}`;
      if (!ctx.o.skipInvalid) throw new BackfillInputError(`${msg} (fix the line, or pass --skip-invalid)`);
      ctx.invalid.count++;
      bump(cur.counters.skipped, "invalid_line");
      if (shown++ < 20) ctx.log(`backfill: skipped ${msg}`);
    }
    cur.position = { offset: line.end, line: line.number, ...(columns ? { columns } : {}) };
    cur.fraction = size ? line.end / size : undefined;
    // Long stretches of skipped lines still advance the checkpoint (an empty unit every 1000 lines).
    if (cur.items.length >= batch || ++sinceYield >= 1000) {
      sinceYield = 0;
      yield cur;
      cur = newUnit(cur.position as FilePosition);
    }
  }
  yield cur;
}

async function processListUnit(ctx: SourceContext, u: Unit<ListRow>, signal: AbortSignal): Promise<void> {
  const client = ctx.o.client!;
  const byWiki = new Map<string, ListRow[]>();
  for (const r of u.items) {
    const list = byWiki.get(r.wiki.dbName) ?? [];
    list.push(r);
    byWiki.set(r.wiki.dbName, list);
  }
  const facts: RevisionFacts[] = [];
  for (const rows of byWiki.values()) {
    const wiki = rows[0]!.wiki;
    const meta = await client.getRevisionSummaries(
      wiki,
      rows.map((r) => r.revId),
      { signal },
    );
    const keep: RevisionFacts[] = [];
    for (const r of rows) {
      const m = meta.get(r.revId);
      if (!m) {
        bump(u.counters.skipped, "revision_missing");
        continue;
      }
      const facts = summaryFacts(wiki, m);
      const reason = skipReason(ctx, facts, isDeleted(m));
      if (reason) bump(u.counters.skipped, reason);
      else keep.push(facts);
    }
    const groups = await groupsFor(
      client,
      wiki,
      keep.map((f) => f.userId ?? 0),
      signal,
    );
    for (const f of keep) if (f.userId) f.groups = groups.get(f.userId);
    facts.push(...keep);
  }
  // Input order within the unit.
  await enqueueFacts(ctx, u, facts);
}

// ---------------------------------------------------------------------------------------------
// API source
// ---------------------------------------------------------------------------------------------

interface ApiRow {
  wiki: ResolvedWiki;
  rev: RevisionSummary;
}

function parseTime(s: string, what: string): number {
  const ms = Date.parse(s);
  if (Number.isNaN(ms))
    throw new BackfillInputError(`${what} ${JSON.stringify(s)} is not a date (ISO 8601, e.g. 2026-10-01)`);
  return ms;
}

async function* apiUnits(
  ctx: SourceContext,
  source: Extract<BackfillSource, { kind: "api" }>,
  start: ApiPosition | null,
): AsyncGenerator<Unit<ApiRow>> {
  const client = ctx.o.client!;
  let wiki: ResolvedWiki;
  try {
    wiki = resolveWikiId(source.wiki);
  } catch (e) {
    throw new BackfillInputError(`--wiki ${source.wiki}: ${(e as Error).message}`);
  }
  const from = parseTime(source.from, "--from");
  const to = parseTime(source.to, "--to");
  if (to <= from) throw new BackfillInputError("--to must be after --from");
  const batch = ctx.o.batchSize ?? 100;
  let cont = start?.continue;
  let skipFirst = start?.index ?? 0;
  const endIso = new Date(to - 1000).toISOString();
  while (true) {
    const page = await client.getAllRevisionsPage(wiki, {
      start: new Date(from).toISOString(),
      end: endIso,
      dir: "newer",
      namespaces: ctx.namespaces,
      limit: 500,
      continue: cont,
      signal: ctx.o.signal,
    });
    const revs = page.revisions;
    for (let i = skipFirst; i < revs.length || (i === 0 && revs.length === 0); i += batch) {
      const slice = revs.slice(i, i + batch);
      const j = i + slice.length;
      const last = j >= revs.length;
      const u: Unit<ApiRow> = {
        items: [],
        keys: [],
        counters: emptyCounters(),
        position: last
          ? { continue: page.continue, index: 0, timestamp: slice.at(-1)?.timestamp }
          : { continue: cont, index: j, timestamp: slice.at(-1)?.timestamp },
      };
      for (const rev of slice) {
        const key = revKey(wiki.dbName, rev.revId);
        if (ctx.ahead.has(key)) {
          ctx.recent.add(key);
          continue;
        }
        if (ctx.recent.has(key)) {
          bump(u.counters.skipped, "duplicate");
          continue;
        }
        ctx.recent.add(key);
        const facts = summaryFacts(wiki, rev);
        const reason = skipReason(ctx, facts, isDeleted(rev));
        if (reason) {
          bump(u.counters.skipped, reason);
          continue;
        }
        u.items.push({ wiki, rev });
        u.keys.push(key);
      }
      const ts = slice.at(-1)?.timestamp;
      u.fraction = ts ? Math.min(1, Math.max(0, (Date.parse(ts) - from) / (to - from))) : undefined;
      if (last && !page.continue) u.fraction = 1;
      yield u;
      if (revs.length === 0) break;
    }
    skipFirst = 0;
    if (!page.continue) return;
    cont = page.continue;
  }
}

/** Text, user or the whole revision hidden by revision deletion: nothing to score. */
function isDeleted(r: RevisionSummary): boolean {
  return r.userHidden || r.textHidden || r.suppressed;
}

function summaryFacts(wiki: ResolvedWiki, r: RevisionSummary): RevisionFacts {
  return {
    wiki,
    revId: r.revId,
    parentId: r.parentId,
    pageId: r.pageId,
    pageTitle: r.pageTitle,
    namespace: r.namespace,
    timestamp: r.timestamp,
    bytes: r.bytes,
    minor: r.minor,
    comment: r.commentHidden ? undefined : r.comment,
    userId: r.anonymous ? 0 : r.userId,
    userText: r.userText,
    userHidden: r.userHidden,
    tags: r.tags,
  };
}

async function processApiUnit(ctx: SourceContext, u: Unit<ApiRow>, signal: AbortSignal): Promise<void> {
  if (!u.items.length) return;
  const wiki = u.items[0]!.wiki;
  const facts = u.items.map((r) => summaryFacts(r.wiki, r.rev));
  const groups = await groupsFor(
    ctx.o.client!,
    wiki,
    facts.map((f) => f.userId ?? 0),
    signal,
  );
  for (const f of facts) if (f.userId) f.groups = groups.get(f.userId);
  await enqueueFacts(ctx, u, facts);
}

// ---------------------------------------------------------------------------------------------
// Dump source
// ---------------------------------------------------------------------------------------------

type DumpRow = DumpItem & { wiki: ResolvedWiki };

/** The wiki of a dump: --wiki, else `<siteinfo><dbname>`, else the file name (`enwiki-2026…`). */
function dumpWiki(explicit: string | undefined, item: DumpItem, path: string): ResolvedWiki {
  const name = explicit ?? item.dbName ?? /(?:^|\/)([a-z_]+wiki)-/.exec(path)?.[1];
  if (!name) throw new BackfillInputError(`${path}: cannot tell which wiki this dump is from; pass --wiki`);
  try {
    return resolveWikiId(name);
  } catch (e) {
    throw new BackfillInputError(`${path}: wiki ${name}: ${(e as Error).message}`);
  }
}

async function* dumpUnits(
  ctx: SourceContext,
  source: Extract<BackfillSource, { kind: "dump" }>,
  start: DumpPosition | null,
): AsyncGenerator<Unit<DumpRow>> {
  const batch = ctx.o.batchSize ?? 32;
  const from = source.from ? parseTime(source.from, "--from") : -Infinity;
  const to = source.to ? parseTime(source.to, "--to") : Infinity;
  let opened;
  try {
    opened = openDecompressed(source.path, { start: start?.pageOffset });
  } catch (e) {
    throw new BackfillInputError(`${source.path}: cannot read the dump (${(e as Error).message})`, {
      cause: e,
    });
  }
  const seek = opened && start && /\.xml$/i.test(source.path);
  const items = readDump(opened.stream, {
    startOffset: seek ? start.pageOffset : 0,
    startPageIndex: seek ? start.pageIndex : 0,
    skipPages: start?.pageIndex ?? 0,
    skipRevisions: start?.revIndex ?? 0,
  });
  const fraction = () => (opened.size ? Math.min(1, opened.rawBytesRead() / opened.size) : undefined);
  let wiki: ResolvedWiki | undefined;
  const newUnit = (p: DumpPosition | null): Unit<DumpRow> => ({
    items: [],
    keys: [],
    counters: emptyCounters(),
    position: p ?? { pageIndex: 0, pageOffset: 0, revIndex: 0 },
  });
  let cur = newUnit(start);
  let sinceYield = 0;
  try {
    for await (const item of items) {
      wiki ??= dumpWiki(source.wiki ?? start?.wiki, item, source.path);
      const r = item.revision;
      cur.position = {
        pageIndex: item.pageIndex,
        pageOffset: item.pageOffset,
        revIndex: item.revIndex + 1,
        wiki: wiki.dbName,
      };
      sinceYield++;
      const ts = Date.parse(r.timestamp);
      let reason: string | undefined;
      if (!ctx.namespaces.includes(item.page.ns)) reason = "namespace";
      else if (ts < from || ts >= to) reason = "out_of_range";
      else if (item.page.redirect) reason = "redirect";
      else if (!r.parentId) reason = "page_creation";
      else if (r.textDeleted || r.text === undefined || r.contributor.deleted) reason = "deleted";
      else if (!item.previous || item.previous.id !== r.parentId || item.previous.text === undefined)
        reason = "parent_not_in_dump";
      const key = revKey(wiki.dbName, r.id);
      if (!reason && ctx.recent.has(key)) reason = "duplicate";
      if (!reason && ctx.ahead.has(key)) ctx.recent.add(key);
      else if (reason) bump(cur.counters.skipped, reason);
      else {
        ctx.recent.add(key);
        cur.items.push({ ...item, wiki });
        cur.keys.push(key);
      }
      if (cur.items.length >= batch || sinceYield >= 1000) {
        cur.fraction = fraction();
        yield cur;
        cur = newUnit(cur.position as DumpPosition);
        sinceYield = 0;
      }
    }
    cur.fraction = 1;
    yield cur;
  } finally {
    opened.close();
  }
}

function dumpRevisionData(
  row: DumpRow,
  groups: string[] | undefined,
  tags: string[] | undefined,
): RevisionData {
  const r = row.revision;
  const prev = row.previous!;
  const userId = r.contributor.id ?? 0;
  return {
    lang: row.wiki.lang,
    wikiDb: row.wiki.wikiDb,
    revId: r.id,
    parentId: r.parentId,
    text: r.text ?? "",
    parentText: prev.text ?? "",
    bytes: r.bytes,
    parentBytes: prev.bytes,
    // Dumps carry no change tags: from MediaWiki when fetched, else none.
    tags: tags ?? [],
    timestamp: r.timestamp,
    parentTimestamp: prev.timestamp,
    pageId: row.page.id,
    pageTitle: row.page.title,
    namespace: row.page.ns,
    userId,
    userText: r.contributor.username ?? r.contributor.ip,
    userGroups: groups ?? (userId ? ["*", "user"] : ["*"]),
  };
}

async function processDumpUnit(ctx: SourceContext, u: Unit<DumpRow>, signal: AbortSignal): Promise<void> {
  if (!u.items.length) return;
  const o = ctx.o;
  const wiki = u.items[0]!.wiki;
  const userIds = u.items.map((r) => r.revision.contributor.id ?? 0);
  const groups =
    o.client && (o.userGroups ?? true)
      ? await groupsFor(o.client, wiki, userIds, signal)
      : new Map<number, string[]>();
  const tags = new Map<number, string[]>();
  if (o.client && (o.tags ?? true)) {
    const meta = await o.client.getRevisionSummaries(
      wiki,
      u.items.map((r) => r.revision.id),
      { signal },
    );
    for (const [id, m] of meta) tags.set(id, m.tags);
  }
  const data = u.items.map((r) =>
    dumpRevisionData(r, groups.get(r.revision.contributor.id ?? 0), tags.get(r.revision.id)),
  );
  const outcomes = await o.service!.scoreRevisionData(data, { signal });
  const manifest = o.service!.manifest;
  const now = o.now?.() ?? new Date();
  const events: Record<string, unknown>[] = [];
  const featureLines: string[] = [];
  outcomes.forEach((out, i) => {
    if (!out.ok) {
      bump(u.counters.failed, out.error.code);
      return;
    }
    const row = u.items[i]!;
    const rd = data[i]!;
    const pageChange = synthesizePageChange({
      wiki,
      revId: rd.revId,
      parentId: rd.parentId,
      pageId: rd.pageId,
      pageTitle: rd.pageTitle,
      namespace: rd.namespace ?? 0,
      timestamp: rd.timestamp,
      bytes: rd.bytes,
      minor: row.revision.minor,
      comment: row.revision.commentDeleted ? undefined : row.revision.comment,
      userId: rd.userId,
      userText: rd.userText,
      groups: rd.userGroups,
    });
    const built = buildPredictionEvent(
      pageChange,
      {
        model_name: manifest.model_name,
        model_version: manifest.model_version,
        prediction: out.result.prediction,
        probability: out.result.probabilities.true,
      },
      { now: () => now, ...o.predictionOptions },
    );
    if (!built.ok) {
      bump(u.counters.failed, built.reason);
      return;
    }
    events.push(built.event);
    if (o.featuresFile)
      featureLines.push(
        JSON.stringify({
          meta_id: built.event.meta.id,
          wiki_id: wiki.dbName,
          rev_id: rd.revId,
          model_version: manifest.model_version,
          features: out.result.features,
        }),
      );
  });
  if (events.length) {
    const res = await o.sink!.post(events);
    for (const f of res.failed) bump(u.counters.failed, `sink_${f.status}`);
    u.counters.done += res.accepted;
  }
  if (featureLines.length) {
    mkdirSync(dirname(o.featuresFile!), { recursive: true });
    appendFileSync(o.featuresFile!, featureLines.join("\n") + "\n");
  }
}
