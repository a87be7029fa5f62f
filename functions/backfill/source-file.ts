/**
 * The list-file source of `revrisk backfill`: `wiki,rev_id` rows (CSV, TSV or JSON Lines; parsing
 * in shared/backfill/list-line.ts) read with byte offsets, so a checkpoint seeks to its line. The
 * file only gives ids: each unit fetches its revisions' metadata (`prop=revisions` without content)
 * and editors' groups from MediaWiki, synthesizes their page_change events, filters them like
 * ingest, and enqueues them.
 */
import { statSync } from "node:fs";
import { synthesizePageChange, type RevisionFacts } from "../../shared/events/synthesize-page-change.ts";
import { resolveWikiId } from "../../shared/wikis/wikis.ts";
import { parseListLine } from "../../shared/backfill/list-line.ts";
import { revKey } from "../../shared/backfill/recent-keys.ts";
import type { ResolvedWiki } from "../../shared/wikis/wikis.ts";
import { bump, emptyCounters, type FilePosition } from "./checkpoint.ts";
import { enqueueFacts } from "./enqueue.ts";
import { readLines } from "./input.ts";
import {
  BackfillInputError,
  isDeleted,
  passesFilter,
  summaryFacts,
  type Source,
  type SourceContext,
  type Unit,
} from "./source.ts";

interface ListRow {
  wiki: ResolvedWiki;
  revId: number;
  line: number;
}

export function fileSource(ctx: SourceContext, path: string, start: FilePosition | null): Source<ListRow> {
  return { units: fileUnits(ctx, path, start), process: (u, signal) => processListUnit(ctx, u, signal) };
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
      const f = summaryFacts(wiki, m);
      if (!passesFilter(ctx, u, synthesizePageChange(f))) continue;
      if (isDeleted(m)) bump(u.counters.skipped, "deleted");
      else keep.push(f);
    }
    await ctx.groups.fill(wiki, keep, signal);
    facts.push(...keep);
  }
  await enqueueFacts(ctx, u, facts);
}
