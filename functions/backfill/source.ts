/**
 * What the three sources of `revrisk backfill` (source-file.ts, source-api.ts, source-dump.ts)
 * share: the unit of work, the run's context, input errors, the ingest filter (the very `classify`
 * that ingest applies, so a backfill skips exactly what ingest would), and the editors' groups.
 */
import {
  classify,
  compileFilter,
  parsePageChange,
  RRML_DEFAULT_LANGS,
  type CompiledFilter,
} from "../../shared/events/page-change.ts";
import type { MediaWikiClient } from "../../shared/mediawiki/client.ts";
import type { RevisionSummary } from "../../shared/mediawiki/revision-summaries.ts";
import type { ResolvedWiki } from "../../shared/wikis/wikis.ts";
import type { RecentKeys } from "../../shared/backfill/recent-keys.ts";
import type { RevisionFacts } from "../../shared/events/synthesize-page-change.ts";
import { bump, type Counters, type Position } from "./checkpoint.ts";
import type { BackfillOptions } from "./run.ts";

/** Bad input (file, range, dump, flags): reported as is, no "rerun to resume" hint. */
export class BackfillInputError extends Error {
  override readonly name = "BackfillInputError";
}

/** A unit of work: ≤ batch size revisions and the checkpoint position once it (and all before) are done. */
export interface Unit<T> {
  items: T[];
  position: Position;
  keys: string[];
  counters: Counters;
  /** 0..1 of the input covered once this unit is done. */
  fraction?: number;
}

export interface SourceContext {
  o: BackfillOptions;
  /** Keys already done beyond the checkpoint's position (skipped without counting). */
  ahead: ReadonlySet<string>;
  log: (l: string) => void;
  namespaces: number[];
  /** The ingest filter, compiled once for the run. */
  filter: CompiledFilter;
  recent: RecentKeys;
  groups: UserGroups;
  invalid: { count: number };
}

/** How a source reads its units and processes one (a dry run only counts them). */
export interface Source<T> {
  units: AsyncIterable<Unit<T>>;
  process(unit: Unit<T>, signal: AbortSignal): Promise<void>;
  /** Releases what processing opened (the dump's publisher and feature file), once the run ends. */
  close?(): Promise<void>;
}

export function parseTime(s: string, what: string): number {
  const ms = Date.parse(s);
  if (Number.isNaN(ms))
    throw new BackfillInputError(`${what} ${JSON.stringify(s)} is not a date (ISO 8601, e.g. 2026-10-01)`);
  return ms;
}

/**
 * Applies ingest's filter (its `classify`, with the run's supported wikis, namespaces and
 * page-creation setting) to a revision's page_change event: true when ingest would take it; else
 * the unit counts it, as skipped by ingest's reason or (not a valid event) as failed.
 */
export function passesFilter(ctx: SourceContext, u: Unit<unknown>, event: Record<string, unknown>): boolean {
  const parsed = parsePageChange(event);
  if (!parsed.ok) {
    bump(u.counters.failed, "invalid_event");
    ctx.log(
      `backfill: ${String(event.wiki_id)} rev ${String((event.revision as { rev_id?: unknown })?.rev_id)}: synthesized event invalid: ${parsed.errors.join("; ")}`,
    );
    return false;
  }
  const c = classify(parsed.event, ctx.filter);
  if (!c.accept) bump(u.counters.skipped, c.reason);
  return c.accept;
}

/** The ingest filter of a run: `wikis` (default: the model's supported wikis, else ingest's default list). */
export function compileBackfillFilter(o: BackfillOptions, namespaces: number[]): CompiledFilter {
  return compileFilter({
    wikis: o.wikis ?? o.service?.manifest.supported_wikis ?? RRML_DEFAULT_LANGS,
    allowTestwiki: o.allowTestwiki ?? false,
    namespaces,
    dropPageCreations: !o.keepPageCreations,
  });
}

/** Editor hidden or revision suppressed (seen without content): nothing to score. */
export function isDeleted(r: RevisionSummary): boolean {
  return r.userHidden || r.suppressed;
}

/** The facts of a revision known from `list=allrevisions` / `prop=revisions` (file and API sources). */
export function summaryFacts(wiki: ResolvedWiki, r: RevisionSummary): RevisionFacts {
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
  };
}

/**
 * Current groups of editors by id (`list=users`), cached for the run (bounded: cleared when full).
 * Unknown, hidden or missing users get the implicit groups of a registered user.
 */
export class UserGroups {
  private readonly cache = new Map<string, string[]>();
  private readonly client: MediaWikiClient | undefined;
  private readonly max: number;
  constructor(client: MediaWikiClient | undefined, max = 100_000) {
    this.client = client;
    this.max = max;
  }

  async of(
    wiki: ResolvedWiki,
    userIds: Iterable<number>,
    signal: AbortSignal,
  ): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    const missing: number[] = [];
    for (const id of new Set(userIds)) {
      if (id <= 0) continue;
      const g = this.cache.get(`${wiki.dbName}:${id}`);
      if (g) out.set(id, g);
      else missing.push(id);
    }
    if (missing.length && this.client) {
      const users = await this.client.getUserGroups(wiki, missing, { signal });
      for (const id of missing) {
        const u = users.get(id);
        const groups = u && !u.missing && !u.hidden ? u.groups : ["*", "user"];
        out.set(id, groups);
        if (this.cache.size >= this.max) this.cache.clear();
        this.cache.set(`${wiki.dbName}:${id}`, groups);
      }
    }
    return out;
  }

  /** Sets `groups` on each fact with a registered editor. */
  async fill(wiki: ResolvedWiki, facts: RevisionFacts[], signal: AbortSignal): Promise<void> {
    const groups = await this.of(
      wiki,
      facts.map((f) => f.userId ?? 0),
      signal,
    );
    for (const f of facts) if (f.userId) f.groups = groups.get(f.userId);
  }
}
