/**
 * Revisions of the MediaWiki client: for many rev_ids of one wiki at once, what the featurizer needs
 * (`RevisionData`: texts of the revision and its parent, sizes, tags, page, editor and groups) or a
 * precise per-revision error. Queries: `prop=revisions&revids=a|b|…&rvprop=…|content&rvslots=main`
 * (batched, `continue` followed), the same for the parents not already fetched, then `list=users`.
 */
import type { RevisionData } from "./revision-data.ts";
import type { ResolvedWiki } from "../wikis/wikis.ts";
import { slotText, textHidden, type ApiPage, type ApiRevision } from "./api-json.ts";
import {
  MediaWikiTransportError,
  type RevisionError,
  type RevisionErrorCode,
  type RevisionResult,
} from "./errors.ts";
import { chunk, type CallOptions, type MediaWikiOperation, type MediaWikiTransport } from "./transport.ts";
import { fetchUsers, type UserInfo } from "./users.ts";

/** `rvprop` of the revision queries. */
const REVISION_PROPS = "ids|timestamp|size|tags|user|userid|content|flags|comment";

interface RawRevision {
  rev: ApiRevision;
  page: ApiPage;
}

/**
 * `RevisionData` (or an error) for every requested rev_id of one wiki. Never throws for data or
 * transport problems (they become per-revision errors); throws only if `signal` aborts.
 * The map has one entry per distinct requested id.
 */
export async function getRevisions(
  t: MediaWikiTransport,
  wiki: ResolvedWiki,
  revIds: readonly number[],
  options: CallOptions = {},
): Promise<Map<number, RevisionResult>> {
  const { signal } = options;
  const results = new Map<number, RevisionResult>();
  const ids: number[] = [];
  for (const id of new Set(revIds)) {
    if (Number.isSafeInteger(id) && id > 0) ids.push(id);
    else results.set(id, fail(t, wiki, id, "revision_missing", `invalid revision id ${String(id)}`));
  }
  const raw = new Map<number, RawRevision>();
  const missing = new Set<number>();
  const failed = new Map<number, MediaWikiTransportError>();

  await fetchRevisionsInto(t, wiki, ids, "revisions", raw, missing, failed, signal);

  const parentIds = new Set<number>();
  for (const id of ids) {
    const parentId = raw.get(id)?.rev.parentid ?? 0;
    if (parentId > 0 && !raw.has(parentId) && !missing.has(parentId)) parentIds.add(parentId);
  }
  await fetchRevisionsInto(t, wiki, [...parentIds], "parents", raw, missing, failed, signal);

  let users = new Map<number, UserInfo>();
  const userFailures = new Map<number, MediaWikiTransportError>();
  if (t.options.fetchUsers) {
    const userIds = new Set<number>();
    for (const id of ids) {
      const rev = raw.get(id)?.rev;
      if (rev && !rev.userhidden && (rev.userid ?? 0) > 0) userIds.add(rev.userid!);
    }
    users = await fetchUsers(t, wiki, [...userIds], userFailures, signal);
  }

  for (const id of ids) results.set(id, assemble(t, wiki, id, raw, missing, failed, users, userFailures));
  return results;
}

/** Batched `prop=revisions&revids=…` with continuation, into `raw` / `missing` / `failed`. */
async function fetchRevisionsInto(
  t: MediaWikiTransport,
  wiki: ResolvedWiki,
  ids: readonly number[],
  op: MediaWikiOperation,
  raw: Map<number, RawRevision>,
  missing: Set<number>,
  failed: Map<number, MediaWikiTransportError>,
  signal?: AbortSignal,
): Promise<void> {
  if (ids.length === 0) return;
  await Promise.all(
    chunk(ids, t.options.batchSize).map(async (batch) => {
      let cont: Record<string, string> | undefined;
      try {
        for (let round = 0; ; round++) {
          const body = await t.query(
            wiki,
            {
              action: "query",
              prop: "revisions",
              revids: batch.join("|"),
              rvprop: REVISION_PROPS,
              rvslots: "main",
              ...cont,
            },
            { signal, op },
          );
          for (const [key, bad] of Object.entries(body.query?.badrevids ?? {}))
            missing.add(bad?.revid ?? Number(key));
          for (const page of body.query?.pages ?? []) {
            for (const rev of page.revisions ?? []) raw.set(rev.revid, { rev, page });
          }
          if (!body.continue) break;
          if (round + 1 >= t.options.maxContinuations) {
            throw new MediaWikiTransportError("bad_response", "too many continuation rounds", {
              host: wiki.host,
              retryable: false,
            });
          }
          cont = body.continue;
        }
        for (const id of batch) if (!raw.has(id)) missing.add(id);
      } catch (e) {
        if (e instanceof MediaWikiTransportError && e.kind === "aborted") throw e;
        const err = e instanceof MediaWikiTransportError ? e : t.unexpected(wiki.host, e);
        for (const id of batch) if (!raw.has(id) && !missing.has(id)) failed.set(id, err);
      }
    }),
  );
  if (signal?.aborted) throw t.abortError(wiki.host, signal.reason);
}

function fail(
  t: MediaWikiTransport,
  wiki: Pick<ResolvedWiki, "host">,
  revId: number,
  code: RevisionErrorCode,
  message: string,
  transport?: MediaWikiTransportError,
): RevisionResult {
  const error: RevisionError = { code, revId, message, retryable: code === "mediawiki_unavailable" };
  if (transport) {
    error.transport = {
      kind: transport.kind,
      status: transport.status,
      apiCode: transport.apiCode,
      attempts: transport.attempts,
    };
  }
  t.hooks.onRevisionError?.({ host: wiki.host, error });
  return { ok: false, revId, error };
}

function transportFail(
  t: MediaWikiTransport,
  wiki: ResolvedWiki,
  revId: number,
  err: MediaWikiTransportError,
  what: string,
): RevisionResult {
  return fail(
    t,
    wiki,
    revId,
    err.retryable ? "mediawiki_unavailable" : "mediawiki_error",
    `${what}: ${err.message}`,
    err,
  );
}

function assemble(
  t: MediaWikiTransport,
  wiki: ResolvedWiki,
  revId: number,
  raw: Map<number, RawRevision>,
  missing: Set<number>,
  failed: Map<number, MediaWikiTransportError>,
  users: Map<number, UserInfo>,
  userFailures: Map<number, MediaWikiTransportError>,
): RevisionResult {
  const failure = failed.get(revId);
  if (failure) return transportFail(t, wiki, revId, failure, `fetching revision ${revId}`);
  const entry = raw.get(revId);
  if (!entry || missing.has(revId))
    return fail(t, wiki, revId, "revision_missing", `revision ${revId} does not exist`);
  const { rev, page } = entry;
  if (page.missing || page.invalid || !page.pageid) {
    return fail(t, wiki, revId, "page_missing", `the page of revision ${revId} does not exist`);
  }
  if (textHidden(rev) || rev.userhidden) {
    const what = [textHidden(rev) && "text", rev.userhidden && "user"].filter(Boolean).join(" and ");
    const how = rev.suppressed ? "suppressed" : "deleted";
    return fail(t, wiki, revId, "revision_info_deleted", `revision ${revId}: ${what} ${how}`);
  }
  const text = slotText(rev);
  if (text === undefined)
    return fail(t, wiki, revId, "revision_missing", `revision ${revId}: content missing`);

  const parentId = rev.parentid ?? 0;
  if (parentId <= 0) {
    return fail(t, wiki, revId, "parent_revision_missing", `revision ${revId} has no parent (page creation)`);
  }
  const parentFailure = failed.get(parentId);
  if (parentFailure)
    return transportFail(t, wiki, revId, parentFailure, `fetching parent revision ${parentId}`);
  const parent = raw.get(parentId)?.rev;
  if (!parent || missing.has(parentId)) {
    return fail(t, wiki, revId, "parent_revision_missing", `parent revision ${parentId} does not exist`);
  }
  if (textHidden(parent)) {
    const how = parent.suppressed ? "suppressed" : "deleted";
    return fail(t, wiki, revId, "parent_revision_info_deleted", `parent revision ${parentId}: text ${how}`);
  }
  const parentText = slotText(parent);
  if (parentText === undefined) {
    return fail(t, wiki, revId, "parent_revision_missing", `parent revision ${parentId}: content missing`);
  }

  const userId = rev.userid ?? 0;
  let userGroups: string[] = userId > 0 ? [] : ["*"];
  if (userId > 0 && t.options.fetchUsers) {
    const userFailure = userFailures.get(userId);
    if (userFailure) return transportFail(t, wiki, revId, userFailure, `fetching user ${userId}`);
    const user = users.get(userId);
    if (!user || user.missing) return fail(t, wiki, revId, "user_missing", `user ${userId} does not exist`);
    if (user.hidden) return fail(t, wiki, revId, "revision_info_deleted", `user ${userId} is hidden`);
    userGroups = user.groups;
  }

  const data: RevisionData = {
    lang: wiki.lang,
    wikiDb: wiki.wikiDb,
    revId,
    parentId,
    text,
    parentText,
    bytes: rev.size ?? 0,
    parentBytes: parent.size ?? 0,
    tags: rev.tags ?? [],
    timestamp: rev.timestamp ?? "",
    parentTimestamp: parent.timestamp,
    pageId: page.pageid,
    pageTitle: page.title ?? "",
    namespace: page.ns,
    userId,
    userText: rev.user,
    userGroups,
  };
  return { ok: true, revId, data };
}
