/**
 * Builds a `mediawiki/page/change/1.2.0` event for a revision known from elsewhere than the event
 * stream (backfills from files, API enumeration or dumps; the offline demo replay): the one
 * RevisionFacts type and the one builder. The scorer builds prediction events from page_change
 * events, so every queued revision carries one.
 */
import type { RevisionSummary } from "../mediawiki/revision-summaries.ts";
import { pageUri, type ResolvedWiki } from "../wikis/wikis.ts";
import { PAGE_CHANGE_STREAM } from "./page-change.ts";
/**
 * What is known about one revision outside the event stream: MediaWiki's revision metadata
 * (`RevisionSummary` of list=allrevisions / prop=revisions, or the same fields from a dump or a
 * fixture store), the wiki it belongs to, and the editor's current groups.
 */
export type RevisionFacts = Pick<
  RevisionSummary,
  "revId" | "parentId" | "pageId" | "pageTitle" | "namespace" | "timestamp"
> &
  Partial<Pick<RevisionSummary, "bytes" | "minor" | "comment" | "userId" | "userText">> & {
    /** From the wiki table: the event's `wiki_id` and `meta.domain` are its dbName and host. */
    wiki: ResolvedWiki;
    /** Current groups of the editor ("*", "user", …); undefined when unknown. */
    groups?: string[];
  };

/** A deterministic event id for a synthesized event (so a replayed revision keeps its id). */
function syntheticId(wikiId: string, revId: number): string {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, "0").slice(-width);
  let h = 2166136261;
  for (const c of `${wikiId}:${revId}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return `${hex(h, 8)}-${hex(revId >>> 16, 4)}-4${hex(revId, 3)}-8${hex(h >>> 4, 3)}-${hex(revId, 12)}`;
}

/**
 * The page_change event the scorer needs for a revision never seen as an event
 * (`page_change_kind: "edit"`, `changelog_kind: "update"`; "create"/"insert" for a page creation),
 * with `performer` from the revision's user (0 / undefined `userId`: an anonymous editor).
 */
export function synthesizePageChange(f: RevisionFacts): Record<string, unknown> {
  const title = f.pageTitle.replace(/ /g, "_");
  const anonymous = !f.userId;
  const isBot = f.groups?.includes("bot") ?? false;
  // An unknown (hidden) user has no user_text: the schema's user_text may not be empty.
  const name = f.userText ? { user_text: f.userText } : {};
  const editor: Record<string, unknown> = { ...name, is_bot: isBot };
  if (!anonymous) editor.user_id = f.userId;
  const performer: Record<string, unknown> = {
    ...name,
    groups: f.groups ?? (anonymous ? ["*"] : ["*", "user"]),
    is_bot: isBot,
    is_system: false,
    is_temp: false,
  };
  if (!anonymous) performer.user_id = f.userId;
  const revision: Record<string, unknown> = {
    rev_id: f.revId,
    rev_dt: f.timestamp,
    is_minor_edit: f.minor ?? false,
    is_comment_visible: true,
    is_content_visible: true,
    is_editor_visible: true,
    editor,
  };
  if (f.parentId > 0) revision.rev_parent_id = f.parentId;
  if (f.bytes !== undefined) revision.rev_size = f.bytes;
  if (f.comment !== undefined) revision.comment = f.comment;
  const { host, dbName } = f.wiki;
  return {
    $schema: "/mediawiki/page/change/1.2.0",
    meta: {
      stream: PAGE_CHANGE_STREAM,
      id: syntheticId(dbName, f.revId),
      dt: f.timestamp,
      domain: host,
      uri: pageUri(host, title),
    },
    dt: f.timestamp,
    changelog_kind: f.parentId > 0 ? "update" : "insert",
    page_change_kind: f.parentId > 0 ? "edit" : "create",
    wiki_id: dbName,
    ...(f.comment !== undefined ? { comment: f.comment } : {}),
    page: { page_id: f.pageId, page_title: title, namespace_id: f.namespace, is_redirect: false },
    performer,
    revision,
  };
}
