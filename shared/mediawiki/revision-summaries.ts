/**
 * Revision metadata without content (`RevisionSummary`): the enumeration of a wiki's revisions over
 * a time range (`action=query&list=allrevisions&arvstart=…&arvend=…&arvdir=…`, with continuation)
 * and the same fields for given rev_ids (`prop=revisions&revids=…` without `content`). Backfills
 * build their page_change events from these.
 */
import type { ResolvedWiki } from "../wikis/wikis.ts";
import type { ApiPage, ApiRevision } from "./api-json.ts";
import { chunk, type CallOptions, type MediaWikiTransport } from "./transport.ts";

/** `arvprop` / `rvprop` of the metadata queries (no content). */
const SUMMARY_PROPS = "ids|timestamp|size|tags|user|userid|flags|comment";

/** What `list=allrevisions` (or `prop=revisions` without content) says about one revision. */
export interface RevisionSummary {
  revId: number;
  parentId: number;
  pageId: number;
  pageTitle: string;
  namespace: number;
  timestamp: string;
  bytes: number;
  userId: number;
  userText?: string;
  anonymous: boolean;
  minor: boolean;
  tags: string[];
  comment?: string;
  /**
   * Hidden by revision deletion, per the flags MediaWiki returns without content: user and comment
   * (a hidden text shows only where content is asked for: `getRevisions` reports it).
   */
  userHidden: boolean;
  commentHidden: boolean;
  suppressed: boolean;
}

export interface AllRevisionsOptions extends CallOptions {
  /** ISO-8601 or MediaWiki timestamp; with dir "newer" the earlier bound, with "older" the later one. */
  start?: string;
  end?: string;
  /** "newer" (oldest first) or "older" (MediaWiki's default, newest first). Default "newer". */
  dir?: "newer" | "older";
  namespaces?: number[];
  /** `arvlimit`, 1–500. Default 500. */
  limit?: number;
  /** Continuation returned by a previous page (resume a backfill). */
  continue?: Record<string, string>;
}

export interface AllRevisionsPage {
  revisions: RevisionSummary[];
  /** Pass back as `continue` to get the next page; undefined when done. */
  continue?: Record<string, string>;
}

/** `2024-01-02T03:04:05Z` → `20240102030405`; MediaWiki timestamps pass through. */
function toMediaWikiTimestamp(ts: string): string {
  if (/^\d{14}$/.test(ts)) return ts;
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) throw new TypeError(`invalid timestamp: ${ts}`);
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:TZ]/g, "");
}

function toSummary(rev: ApiRevision, page: ApiPage): RevisionSummary {
  return {
    revId: rev.revid,
    parentId: rev.parentid ?? 0,
    pageId: page.pageid ?? 0,
    pageTitle: page.title ?? "",
    namespace: page.ns ?? 0,
    timestamp: rev.timestamp ?? "",
    bytes: rev.size ?? 0,
    userId: rev.userid ?? 0,
    userText: rev.user,
    anonymous: Boolean(rev.anon),
    minor: Boolean(rev.minor),
    tags: rev.tags ?? [],
    comment: rev.comment,
    userHidden: Boolean(rev.userhidden),
    commentHidden: Boolean(rev.commenthidden),
    suppressed: Boolean(rev.suppressed),
  };
}

/** One page of `list=allrevisions` (for a resumable backfill: persist `continue`). */
export async function getAllRevisionsPage(
  t: MediaWikiTransport,
  wiki: ResolvedWiki,
  options: AllRevisionsOptions = {},
): Promise<AllRevisionsPage> {
  const dir = options.dir ?? "newer";
  const params: Record<string, string> = {
    action: "query",
    list: "allrevisions",
    arvprop: SUMMARY_PROPS,
    arvlimit: String(Math.min(500, Math.max(1, options.limit ?? 500))),
    arvdir: dir,
  };
  if (options.start) params.arvstart = toMediaWikiTimestamp(options.start);
  if (options.end) params.arvend = toMediaWikiTimestamp(options.end);
  if (options.namespaces?.length) params.arvnamespace = options.namespaces.join("|");
  Object.assign(params, options.continue ?? {});
  const body = await t.query(wiki, params, { signal: options.signal, op: "allrevisions" });
  const revisions: RevisionSummary[] = [];
  for (const page of body.query?.allrevisions ?? []) {
    for (const rev of page.revisions ?? []) revisions.push(toSummary(rev, page));
  }
  // MediaWiki groups the rows by page; restore the enumeration order.
  const sign = dir === "newer" ? 1 : -1;
  revisions.sort(
    (a, b) => sign * (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.revId - b.revId),
  );
  return { revisions, continue: body.continue };
}

/** Every revision of a wiki in a time range (`list=allrevisions`), following continuation. */
export async function* listAllRevisions(
  t: MediaWikiTransport,
  wiki: ResolvedWiki,
  options: AllRevisionsOptions = {},
): AsyncGenerator<RevisionSummary> {
  let cont = options.continue;
  while (true) {
    const page = await getAllRevisionsPage(t, wiki, { ...options, continue: cont });
    yield* page.revisions;
    if (!page.continue) return;
    cont = page.continue;
  }
}

/**
 * Summaries of the given revisions of one wiki (`prop=revisions&revids=…`, no content, batched).
 * Ids MediaWiki does not know (or whose page is gone) are absent from the map.
 */
export async function getRevisionSummaries(
  t: MediaWikiTransport,
  wiki: ResolvedWiki,
  revIds: readonly number[],
  options: CallOptions = {},
): Promise<Map<number, RevisionSummary>> {
  const out = new Map<number, RevisionSummary>();
  await Promise.all(
    chunk([...new Set(revIds)], t.options.batchSize).map(async (ids) => {
      const body = await t.query(
        wiki,
        { action: "query", prop: "revisions", revids: ids.join("|"), rvprop: SUMMARY_PROPS },
        { signal: options.signal, op: "revisions" },
      );
      for (const page of body.query?.pages ?? []) {
        if (page.missing || page.invalid) continue;
        for (const rev of page.revisions ?? []) out.set(rev.revid, toSummary(rev, page));
      }
    }),
  );
  return out;
}
