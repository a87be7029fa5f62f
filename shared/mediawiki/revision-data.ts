/**
 * What the featurizer needs to know about one revision. Produced by the MediaWiki client
 * (shared/mediawiki/client.ts), by the `revision_data` input of the on-demand API, and by the backfill's
 * XML-dump reader; consumed by the featurizer (shared/featurize/featurizer.ts).
 */
export interface RevisionData {
  /** Wikipedia language code as used in the host name and `wiki_db` (e.g. "en", "gsw"; shared/wikis/wikis.ts). */
  lang: string;
  /** `lang + "wiki"` (LiftWing quirk: even for rewritten codes), the CatBoost `wiki_db` feature. */
  wikiDb: string;
  revId: number;
  /** 0 for a page creation. */
  parentId: number;
  /** Revision wikitext (main slot). */
  text: string;
  /** Parent revision wikitext (main slot); "" for a page creation. */
  parentText: string;
  /** MediaWiki `size` of the revision and the parent, in bytes. */
  bytes: number;
  parentBytes: number;
  /** Change tags of the revision, e.g. ["mobile edit", "visualeditor"]. */
  tags: string[];
  /** ISO-8601 timestamps. */
  timestamp: string;
  parentTimestamp?: string;
  pageId: number;
  /** Page title as MediaWiki returns it (spaces) or as events carry it (underscores). */
  pageTitle: string;
  namespace?: number;
  /** 0 for anonymous (IP) editors. */
  userId: number;
  userText?: string;
  /** Explicit and implicit groups of the editor, e.g. ["*", "user", "autoconfirmed", "sysop"]. */
  userGroups: string[];
}
