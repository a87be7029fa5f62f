/**
 * Runtime-agnostic parts of `revrisk backfill` (functions/backfill/) about revisions: the page_change events synthesized from what a backfill knows about a revision.
 * The other jobs have their own files here: recent-keys.ts (seen-set), ordered-commit.ts
 * (checkpoint-exact pipeline), progress.ts, list-line.ts (list file rows), dump-reader.ts.
 */
import { synthesizePageChange as synthesize } from "../events/synthesize-page-change.ts";
import type { ResolvedWiki } from "../wikis/wikis.ts";

// ---------------------------------------------------------------------------------------------
// Synthesized page_change events
// ---------------------------------------------------------------------------------------------

/** What a backfill knows about one revision (from list=allrevisions, prop=revisions or a dump). */
export interface RevisionFacts {
  wiki: ResolvedWiki;
  revId: number;
  parentId: number;
  pageId: number;
  /** Spaces or underscores; events carry underscores. */
  pageTitle: string;
  namespace: number;
  /** ISO-8601. */
  timestamp: string;
  bytes?: number;
  minor?: boolean;
  comment?: string;
  /** 0 / undefined for anonymous editors. */
  userId?: number;
  userText?: string;
  userHidden?: boolean;
  /** Current groups of the editor ("*", "user", …); undefined when unknown. */
  groups?: string[];
  tags?: string[];
}

/**
 * The page_change event the scorer needs for a revision that was never seen as an event
 * (`page_change_kind: "edit"`, `changelog_kind: "update"`; "create"/"insert" for a kept page
 * creation), with `performer` from the revision's user: shared/synth-page-change.ts, the same
 * builder the offline replay uses.
 */
export function synthesizePageChange(f: RevisionFacts): Record<string, unknown> {
  const groups = f.groups;
  return synthesize({
    domain: f.wiki.host,
    wikiId: f.wiki.dbName,
    pageId: f.pageId,
    title: f.pageTitle,
    namespace: f.namespace,
    revId: f.revId,
    parentId: f.parentId,
    timestamp: f.timestamp,
    size: f.bytes,
    comment: f.comment,
    minor: f.minor,
    userText: f.userText ?? "",
    userId: f.userId || undefined,
    groups,
    isBot: groups?.includes("bot") ?? false,
  });
}
