/**
 * The API-range source of `revrisk backfill`: every revision of one wiki in `[from, to)` through
 * `list=allrevisions` (500 a page, oldest first, continuation followed; the checkpoint keeps the
 * page's `continue` token and the rows of it done). The rows already carry the metadata: they are
 * filtered like ingest when read (so a dry run counts what would be enqueued), then each unit
 * fetches its editors' groups and is enqueued.
 */
import { synthesizePageChange, type RevisionFacts } from "../../shared/events/synthesize-page-change.ts";
import { resolveWikiId } from "../../shared/wikis/wikis.ts";
import { revKey } from "../../shared/backfill/recent-keys.ts";
import type { ResolvedWiki } from "../../shared/wikis/wikis.ts";
import { bump, emptyCounters, type ApiPosition } from "./checkpoint.ts";
import { enqueueFacts } from "./enqueue.ts";
import type { BackfillSource } from "./run.ts";
import {
  BackfillInputError,
  isDeleted,
  parseTime,
  passesFilter,
  summaryFacts,
  type Source,
  type SourceContext,
  type Unit,
} from "./source.ts";

type ApiSource = Extract<BackfillSource, { kind: "api" }>;

export function apiSource(
  ctx: SourceContext,
  source: ApiSource,
  start: ApiPosition | null,
): Source<RevisionFacts> {
  return {
    units: apiUnits(ctx, source, start),
    process: async (u, signal) => {
      if (!u.items.length) return;
      await ctx.groups.fill(u.items[0]!.wiki, u.items, signal);
      await enqueueFacts(ctx, u, u.items);
    },
  };
}

async function* apiUnits(
  ctx: SourceContext,
  source: ApiSource,
  start: ApiPosition | null,
): AsyncGenerator<Unit<RevisionFacts>> {
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
      const u: Unit<RevisionFacts> = {
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
        if (!passesFilter(ctx, u, synthesizePageChange(facts))) continue;
        if (isDeleted(rev)) {
          bump(u.counters.skipped, "deleted");
          continue;
        }
        u.items.push(facts);
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
