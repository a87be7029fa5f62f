/**
 * Users of the MediaWiki client: the groups of registered editors by id
 * (`action=query&list=users&ususerids=…&usprop=groups`, batched), for the `user_is_*` features and
 * for backfills. Anonymous editors (id 0) are never asked for.
 */
import type { ResolvedWiki } from "../wikis/wikis.ts";
import { MediaWikiTransportError } from "./errors.ts";
import { chunk, type CallOptions, type MediaWikiTransport } from "./transport.ts";

export interface UserInfo {
  missing: boolean;
  hidden: boolean;
  groups: string[];
}

/** Users by id; a batch that fails puts its error in `failures` for each of its ids. */
export async function fetchUsers(
  t: MediaWikiTransport,
  wiki: ResolvedWiki,
  userIds: readonly number[],
  failures: Map<number, MediaWikiTransportError>,
  signal?: AbortSignal,
): Promise<Map<number, UserInfo>> {
  const users = new Map<number, UserInfo>();
  await Promise.all(
    chunk(userIds, t.options.batchSize).map(async (batch) => {
      try {
        const body = await t.query(
          wiki,
          { action: "query", list: "users", ususerids: batch.join("|"), usprop: "groups" },
          { signal, op: "users" },
        );
        for (const u of body.query?.users ?? []) {
          if (typeof u.userid !== "number") continue;
          users.set(u.userid, {
            missing: Boolean(u.missing || u.invalid),
            hidden: Boolean(u.hidden),
            groups: Array.isArray(u.groups) ? u.groups : [],
          });
        }
        for (const id of batch)
          if (!users.has(id)) users.set(id, { missing: true, hidden: false, groups: [] });
      } catch (e) {
        if (e instanceof MediaWikiTransportError && e.kind === "aborted") throw e;
        const err = e instanceof MediaWikiTransportError ? e : t.unexpected(wiki.host, e);
        for (const id of batch) failures.set(id, err);
      }
    }),
  );
  if (signal?.aborted) throw t.abortError(wiki.host, signal.reason);
  return users;
}

/** Groups of registered users by id (`list=users&ususerids=…&usprop=groups`), batched. */
export async function getUserGroups(
  t: MediaWikiTransport,
  wiki: ResolvedWiki,
  userIds: readonly number[],
  options: CallOptions = {},
): Promise<Map<number, UserInfo>> {
  const failures = new Map<number, MediaWikiTransportError>();
  const users = await fetchUsers(
    t,
    wiki,
    [...new Set(userIds)].filter((u) => u > 0),
    failures,
    options.signal,
  );
  const first = failures.values().next();
  if (!first.done) throw first.value;
  return users;
}
