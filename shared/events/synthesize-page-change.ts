/**
 * Builds a `mediawiki/page/change/1.2.0` event for a revision known from elsewhere than the event
 * stream (backfills from files, API enumeration or dumps; the offline demo replay). The scorer builds
 * prediction events from page_change events, so every queued revision carries one.
 */
export interface RevisionFacts {
  /** Host, e.g. "en.wikipedia.org". */
  domain: string;
  /** Database name, e.g. "enwiki". */
  wikiId: string;
  pageId: number;
  /** With spaces or underscores. */
  title: string;
  namespace?: number;
  revId: number;
  parentId: number;
  /** ISO-8601 revision timestamp. */
  timestamp: string;
  size?: number;
  comment?: string;
  minor?: boolean;
  /** Editor; an anonymous (IP) editor has userId 0 or undefined; "" when hidden or unknown. */
  userText: string;
  userId?: number;
  groups?: string[];
  isBot?: boolean;
}

/** A deterministic event id for a synthesized event (so a replayed revision keeps its id). */
function syntheticId(wikiId: string, revId: number): string {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, "0").slice(-width);
  let h = 2166136261;
  for (const c of `${wikiId}:${revId}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return `${hex(h, 8)}-${hex(revId >>> 16, 4)}-4${hex(revId, 3)}-8${hex(h >>> 4, 3)}-${hex(revId, 12)}`;
}

export function synthesizePageChange(f: RevisionFacts): Record<string, unknown> {
  const title = f.title.replace(/ /g, "_");
  const anonymous = !f.userId;
  // An unknown (hidden) user has no user_text: the schema's user_text may not be empty.
  const name = f.userText ? { user_text: f.userText } : {};
  const editor: Record<string, unknown> = { ...name, is_bot: f.isBot ?? false };
  if (!anonymous) editor.user_id = f.userId;
  const performer: Record<string, unknown> = {
    ...name,
    groups: f.groups ?? (anonymous ? ["*"] : ["*", "user"]),
    is_bot: f.isBot ?? false,
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
  if (f.size !== undefined) revision.rev_size = f.size;
  if (f.comment !== undefined) revision.comment = f.comment;
  return {
    $schema: "/mediawiki/page/change/1.2.0",
    meta: {
      stream: "mediawiki.page_change.v1",
      id: syntheticId(f.wikiId, f.revId),
      dt: f.timestamp,
      domain: f.domain,
      uri: `https://${f.domain}/wiki/${encodeURIComponent(title)}`,
    },
    dt: f.timestamp,
    changelog_kind: f.parentId > 0 ? "update" : "insert",
    page_change_kind: f.parentId > 0 ? "edit" : "create",
    wiki_id: f.wikiId,
    ...(f.comment !== undefined ? { comment: f.comment } : {}),
    page: { page_id: f.pageId, page_title: title, namespace_id: f.namespace ?? 0, is_redirect: false },
    performer,
    revision,
  };
}
