/**
 * page_change events for the revisions a MediaWiki fixture store holds: the offline demo's replay
 * source (`revrisk serve --offline`), and realistic pipeline input for tests and benchmarks.
 */
import { synthesizePageChange } from "../../shared/events/synthesize-page-change.ts";
import { resolveWiki } from "../../shared/wikis/wikis.ts";
import type { MwFixtureStore } from "./store.ts";

/** One page_change event per revision of the store's seeded edits (creations included), in seeding order. */
export function pageChangeEventsFromStore(store: MwFixtureStore): Record<string, unknown>[] {
  return store.seeded().map((e) => {
    const rev = store.revision(e.lang, e.revId)!;
    const page = store.page(e.lang, e.pageId)!;
    const user = rev.userId ? store.user(e.lang, rev.userId) : undefined;
    return synthesizePageChange({
      wiki: resolveWiki(e.lang),
      pageId: page.pageId,
      pageTitle: page.title,
      namespace: page.ns,
      revId: rev.revId,
      parentId: rev.parentId,
      timestamp: rev.timestamp,
      bytes: rev.size,
      comment: rev.comment,
      minor: rev.minor,
      userText: rev.userText,
      userId: rev.userId,
      groups: user?.groups,
    });
  });
}
