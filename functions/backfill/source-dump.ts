/**
 * The XML-dump source of `revrisk backfill` (.xml, .xml.gz, .xml.bz2; shared/backfill/dump-reader.ts).
 * Consecutive revisions of a page give revision and parent text, so dump revisions do NOT go
 * through the queue (the scorer would refetch the texts, and a message carrying both often exceeds
 * SQS's 256 KiB): each unit fetches change tags and editors' groups from MediaWiki (dumps carry
 * neither), is scored in-process (`ScoringService.scoreRevisionData`), and its prediction events are
 * sent by dump-emit.ts. Revisions are filtered like ingest (the page's redirect flag from the dump),
 * then by what only a dump can tell (time range, deleted text, parent not in the dump).
 */
import { synthesizePageChange, type RevisionFacts } from "../../shared/events/synthesize-page-change.ts";
import { resolveWikiId } from "../../shared/wikis/wikis.ts";
import { readDump, type DumpItem } from "../../shared/backfill/dump-reader.ts";
import { revKey } from "../../shared/backfill/recent-keys.ts";
import type { RevisionData } from "../../shared/mediawiki/revision-data.ts";
import type { ResolvedWiki } from "../../shared/wikis/wikis.ts";
import { bump, emptyCounters, type DumpPosition } from "./checkpoint.ts";
import { DumpEmitter, type ScoredRevision } from "./dump-emit.ts";
import { openDecompressed } from "./input.ts";
import type { BackfillSource } from "./run.ts";
import {
  BackfillInputError,
  parseTime,
  passesFilter,
  type Source,
  type SourceContext,
  type Unit,
} from "./source.ts";

type DumpSource = Extract<BackfillSource, { kind: "dump" }>;
type DumpRow = DumpItem & { wiki: ResolvedWiki };

export function dumpSource(
  ctx: SourceContext,
  source: DumpSource,
  start: DumpPosition | null,
): Source<DumpRow> {
  const emitter = new DumpEmitter(ctx.o);
  return {
    units: dumpUnits(ctx, source, start),
    process: (u, signal) => processDumpUnit(ctx, emitter, u, signal),
    close: () => emitter.close(),
  };
}

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
  source: DumpSource,
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
      const row: DumpRow = { ...item, wiki };
      if (passesFilter(ctx, cur, dumpPageChange(row, undefined))) {
        const ts = Date.parse(r.timestamp);
        let reason: string | undefined;
        if (ts < from || ts >= to) reason = "out_of_range";
        else if (r.textDeleted || r.text === undefined || r.contributor.deleted) reason = "deleted";
        else if (!item.previous || item.previous.id !== r.parentId || item.previous.text === undefined)
          reason = "parent_not_in_dump";
        const key = revKey(wiki.dbName, r.id);
        if (!reason && ctx.recent.has(key)) reason = "duplicate";
        if (!reason && ctx.ahead.has(key)) ctx.recent.add(key);
        else if (reason) bump(cur.counters.skipped, reason);
        else {
          ctx.recent.add(key);
          cur.items.push(row);
          cur.keys.push(key);
        }
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

function dumpFacts(row: DumpRow, groups: string[] | undefined): RevisionFacts {
  const r = row.revision;
  return {
    wiki: row.wiki,
    revId: r.id,
    parentId: r.parentId,
    pageId: row.page.id,
    pageTitle: row.page.title,
    namespace: row.page.ns,
    timestamp: r.timestamp,
    bytes: r.bytes,
    minor: r.minor,
    comment: r.commentDeleted ? undefined : r.comment,
    userId: r.contributor.id ?? 0,
    userText: r.contributor.username ?? r.contributor.ip,
    groups,
  };
}

/** The revision's page_change event; `is_redirect` is what the dump says of the page. */
function dumpPageChange(row: DumpRow, groups: string[] | undefined): Record<string, unknown> {
  const event = synthesizePageChange(dumpFacts(row, groups));
  return { ...event, page: { ...(event.page as object), is_redirect: row.page.redirect } };
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

async function processDumpUnit(
  ctx: SourceContext,
  emitter: DumpEmitter,
  u: Unit<DumpRow>,
  signal: AbortSignal,
): Promise<void> {
  if (!u.items.length) return;
  const o = ctx.o;
  const wiki = u.items[0]!.wiki;
  const userIds = u.items.map((r) => r.revision.contributor.id ?? 0);
  const groups =
    (o.userGroups ?? true) ? await ctx.groups.of(wiki, userIds, signal) : new Map<number, string[]>();
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
  const scored: ScoredRevision[] = [];
  outcomes.forEach((out, i) => {
    if (!out.ok) bump(u.counters.failed, out.error.code);
    else scored.push({ pageChange: dumpPageChange(u.items[i]!, data[i]!.userGroups), score: out.result });
  });
  await emitter.emit(u.counters, scored);
}
