/**
 * MediaWiki Action API client: fetches, for many revisions at once, what the RRML features need and
 * returns a `RevisionData` (or a precise per-revision error) per rev_id; also the revision metadata
 * and user groups backfills need. See docs/mediawiki.md.
 *
 * One file per concern, this class the one entry point:
 *  - transport.ts: options, hooks, the retried, per-host rate-limited `query` (base class);
 *  - revisions.ts: `RevisionData` for rev_ids (`prop=revisions` with content, parents, users);
 *  - users.ts: editors' groups (`list=users`);
 *  - revision-summaries.ts: metadata without content (`list=allrevisions`, `prop=revisions`);
 *  - errors.ts: the per-revision error codes and the transport error; api-json.ts: the JSON read.
 *
 * Runtime-agnostic (fetch, AbortSignal, setTimeout only): it also runs in Workers.
 */
import { resolveWiki, type ResolvedWiki, type ResolveWikiOptions } from "../wikis/wikis.ts";
import type { RevisionResult } from "./errors.ts";
import {
  getAllRevisionsPage,
  getRevisionSummaries,
  listAllRevisions,
  type AllRevisionsOptions,
  type AllRevisionsPage,
  type RevisionSummary,
} from "./revision-summaries.ts";
import { getRevisions } from "./revisions.ts";
import { MediaWikiTransport, type CallOptions } from "./transport.ts";
import { getUserGroups, type UserInfo } from "./users.ts";

export class MediaWikiClient extends MediaWikiTransport {
  /**
   * Validates `lang` (resolveWiki: canonical set, `wiki` suffix, `test`) and then fetches. A bad `lang`
   * throws `WikiValidationError` (400-class) before any HTTP call.
   */
  async getRevisionsByLang(
    lang: unknown,
    revIds: readonly number[],
    options: CallOptions & ResolveWikiOptions = {},
  ): Promise<Map<number, RevisionResult>> {
    return this.getRevisions(resolveWiki(lang, options), revIds, options);
  }

  /** One revision; see `getRevisions`. */
  async getRevision(wiki: ResolvedWiki, revId: number, options: CallOptions = {}): Promise<RevisionResult> {
    return (await this.getRevisions(wiki, [revId], options)).get(revId)!;
  }

  /**
   * `RevisionData` (or an error) for every requested rev_id of one wiki. Never throws for data or
   * transport problems (they become per-revision errors); throws only if `signal` aborts.
   * The map has one entry per distinct requested id.
   */
  getRevisions(
    wiki: ResolvedWiki,
    revIds: readonly number[],
    options: CallOptions = {},
  ): Promise<Map<number, RevisionResult>> {
    return getRevisions(this, wiki, revIds, options);
  }

  /** Groups of registered users by id (`list=users`), batched; throws the first failed call's error. */
  getUserGroups(
    wiki: ResolvedWiki,
    userIds: readonly number[],
    options: CallOptions = {},
  ): Promise<Map<number, UserInfo>> {
    return getUserGroups(this, wiki, userIds, options);
  }

  /** Metadata (no content) of given revisions; unknown ids are absent. Throws on a failed call. */
  getRevisionSummaries(
    wiki: ResolvedWiki,
    revIds: readonly number[],
    options: CallOptions = {},
  ): Promise<Map<number, RevisionSummary>> {
    return getRevisionSummaries(this, wiki, revIds, options);
  }

  /** One page of `list=allrevisions` (for a resumable backfill: persist `continue`). */
  getAllRevisionsPage(wiki: ResolvedWiki, options: AllRevisionsOptions = {}): Promise<AllRevisionsPage> {
    return getAllRevisionsPage(this, wiki, options);
  }

  /** Every revision of a wiki in a time range (`list=allrevisions`), following continuation. */
  listAllRevisions(wiki: ResolvedWiki, options: AllRevisionsOptions = {}): AsyncGenerator<RevisionSummary> {
    return listAllRevisions(this, wiki, options);
  }
}
