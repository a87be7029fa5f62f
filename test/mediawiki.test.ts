/**
 * MediaWiki client against the fixture server (real HTTP on 127.0.0.1, ephemeral ports).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MediaWikiClient } from "../shared/mediawiki/client.ts";
import type { RevisionResult } from "../shared/mediawiki/errors.ts";
import { parseRetryAfter, type MediaWikiClientOptions } from "../shared/mediawiki/transport.ts";
import { WikiValidationError, resolveWiki } from "../shared/wikis/wikis.ts";
import { MwFixtureStore, utf8Length } from "../standins/mediawiki-fixture/store.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";

let server: MwFixtureServer;
const en = resolveWiki("en");

function client(options: MediaWikiClientOptions = {}): MediaWikiClient {
  return new MediaWikiClient({
    apiBase: server.apiBase,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 50,
    timeoutMs: 5_000,
    userAgent: "revrisk-test/1.0 (test@example.org)",
    ...options,
  });
}

function revidsCount(params: Record<string, string>): number {
  return params.revids ? params.revids.split("|").length : 0;
}

function errorCode(r: RevisionResult | undefined): string {
  if (!r) return "absent";
  return r.ok ? "ok" : r.error.code;
}

beforeAll(async () => {
  server = await startMwFixtureServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.clearFaults();
  server.resetRequests();
});

describe("fetching revisions", () => {
  it("returns RevisionData for seeded edits, matching the store", async () => {
    const seeded = server.store.seeded().filter((s) => s.lang === "en");
    const results = await client().getRevisions(
      en,
      seeded.map((s) => s.revId),
    );
    expect(results.size).toBe(seeded.length);
    let anonymous = 0;
    let registered = 0;
    for (const s of seeded) {
      const r = results.get(s.revId)!;
      expect(r.ok, JSON.stringify(r.ok ? "" : r.error)).toBe(true);
      if (!r.ok) continue;
      const rev = server.store.revision("en", s.revId)!;
      const parent = server.store.revision("en", s.parentId)!;
      expect(r.data).toMatchObject({
        lang: "en",
        wikiDb: "enwiki",
        revId: s.revId,
        parentId: s.parentId,
        text: rev.text,
        parentText: parent.text,
        bytes: utf8Length(rev.text),
        parentBytes: utf8Length(parent.text),
        tags: rev.tags,
        timestamp: rev.timestamp,
        parentTimestamp: parent.timestamp,
        pageId: s.pageId,
        pageTitle: s.title,
        namespace: 0,
        userId: rev.userId,
        userText: rev.userText,
      });
      if (rev.userId === 0) {
        anonymous++;
        expect(r.data.userGroups).toEqual(["*"]);
      } else {
        registered++;
        expect(r.data.userGroups).toEqual(server.store.user("en", rev.userId)!.groups);
      }
    }
    expect(anonymous).toBeGreaterThan(0);
    expect(registered).toBeGreaterThan(0);
    // Anonymous editors are not looked up.
    const userCalls = server.requests.filter((r) => r.params.list === "users");
    for (const call of userCalls)
      expect(call.params.ususerids.split("|").every((id) => Number(id) > 0)).toBe(true);
    expect(server.requests.every((r) => r.userAgent === "revrisk-test/1.0 (test@example.org)")).toBe(true);
  });

  it("splits batches of more than 50 ids", async () => {
    const ids = server.store
      .seeded()
      .filter((s) => s.lang === "en")
      .slice(0, 120)
      .map((s) => s.revId);
    const results = await client().getRevisions(en, ids);
    expect([...results.values()].every((r) => r.ok)).toBe(true);
    const revCalls = server.requests.filter((r) => r.params.prop === "revisions");
    expect(revCalls.every((r) => revidsCount(r.params) <= 50)).toBe(true);
    // 120 revisions → 3 calls; 120 parents → 3 calls.
    expect(revCalls.length).toBe(6);
    expect(revCalls.every((r) => r.params.formatversion === "2" && r.params.rvslots === "main")).toBe(true);
    expect(revCalls[0].params.rvprop).toBe("ids|timestamp|size|tags|user|userid|content|flags|comment");
  });

  it("fetches only the parents that were not in the first batch", async () => {
    const seeded = server.store
      .seeded()
      .filter((s) => s.lang === "de")
      .slice(0, 10);
    // Revisions and their parents together: a single call.
    await client().getRevisions(
      resolveWiki("de"),
      seeded.flatMap((s) => [s.revId, s.parentId]),
    );
    expect(server.requests.filter((r) => r.params.prop === "revisions").length).toBe(1);
    server.resetRequests();
    // Half of the parents requested: the others come in one second, batched call.
    const ids = seeded.map((s) => s.revId).concat(seeded.slice(0, 5).map((s) => s.parentId));
    const results = await client().getRevisions(resolveWiki("de"), ids);
    const calls = server.requests.filter((r) => r.params.prop === "revisions");
    expect(calls.length).toBe(2);
    expect(
      calls[1].params.revids
        .split("|")
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(seeded.slice(5).map((s) => s.parentId));
    for (const s of seeded) expect(errorCode(results.get(s.revId))).toBe("ok");
  });

  it("splits user lookups of more than 50 users", async () => {
    const store = new MwFixtureStore();
    for (let i = 0; i < 60; i++) {
      const u = store.addUser("fy", { name: `User ${i}`, groups: ["*", "user"] });
      store.addEdit("fy", { title: `Page ${i}`, prev: "a", curr: "ab", userId: u.userId });
    }
    const own = await startMwFixtureServer({ store });
    try {
      const ids = [...store.wiki("fy").revisions.values()].filter((r) => r.parentId > 0).map((r) => r.revId);
      const c = new MediaWikiClient({ apiBase: own.apiBase });
      const results = await c.getRevisions(resolveWiki("fy"), ids);
      expect([...results.values()].every((r) => r.ok && r.data.userGroups.join() === "*,user")).toBe(true);
      const userCalls = own.requests.filter((r) => r.params.list === "users");
      expect(userCalls.length).toBe(2);
      expect(userCalls.every((r) => r.params.ususerids.split("|").length <= 50)).toBe(true);
    } finally {
      await own.close();
    }
  });
});

describe("per-revision errors", () => {
  let store: MwFixtureStore;
  let own: MwFixtureServer;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    store = new MwFixtureStore();
    const admin = store.addUser("nl", { name: "Beheerder", groups: ["sysop", "*", "user", "autoconfirmed"] });
    const gone = store.addUser("nl", { name: "Vertrokken", groups: ["*", "user"] });
    const hidden = store.addUser("nl", { name: "Verborgen", groups: ["*", "user"] });
    ids["user:admin"] = admin.userId;
    ids["user:gone"] = gone.userId;
    const edit = (name: string, opts: { userId?: number } = {}) => {
      const e = store.addEdit("nl", { title: name, prev: `${name} v1`, curr: `${name} v2 é`, ...opts });
      ids[name] = e.revision.revId;
      ids[`${name}:parent`] = e.parent.revId;
      return e;
    };
    edit("ok", { userId: admin.userId });
    edit("archived");
    store.deleteRevision("nl", ids.archived);
    edit("texthidden");
    store.hideRevision("nl", ids.texthidden, { text: true });
    edit("userhidden");
    store.hideRevision("nl", ids.userhidden, { user: true });
    edit("suppressed");
    store.hideRevision("nl", ids.suppressed, { text: true, user: true, suppress: true });
    edit("commenthidden");
    store.hideRevision("nl", ids.commenthidden, { comment: true });
    edit("parenthidden");
    store.hideRevision("nl", ids["parenthidden:parent"], { text: true, suppress: true });
    edit("parentarchived");
    store.deleteRevision("nl", ids["parentarchived:parent"]);
    edit("pagemissing");
    store.markPageMissing("nl", store.revision("nl", ids.pagemissing)!.pageId);
    edit("usermissing", { userId: gone.userId });
    store.removeUser("nl", gone.userId);
    edit("hiddenuser", { userId: hidden.userId });
    store.hideUser("nl", hidden.userId);
    own = await startMwFixtureServer({ store });
  });
  afterAll(async () => {
    await own.close();
  });

  it("maps every MediaWiki state to LiftWing's error codes", async () => {
    const c = new MediaWikiClient({ apiBase: own.apiBase });
    const want: Record<string, string> = {
      ok: "ok",
      archived: "revision_missing",
      texthidden: "revision_info_deleted",
      userhidden: "revision_info_deleted",
      suppressed: "revision_info_deleted",
      commenthidden: "ok",
      parenthidden: "parent_revision_info_deleted",
      parentarchived: "parent_revision_missing",
      "ok:parent": "parent_revision_missing", // a page creation
      pagemissing: "page_missing",
      usermissing: "user_missing",
      hiddenuser: "revision_info_deleted",
    };
    const requested = [...Object.keys(want).map((k) => ids[k]), 987654321, -5];
    const results = await c.getRevisions(resolveWiki("nl"), requested);
    const got = Object.fromEntries(Object.keys(want).map((k) => [k, errorCode(results.get(ids[k]))]));
    expect(got).toEqual(want);
    expect(errorCode(results.get(987654321))).toBe("revision_missing");
    expect(errorCode(results.get(-5))).toBe("revision_missing");
    const ok = results.get(ids.ok)!;
    expect(ok.ok && ok.data.userGroups).toEqual(["sysop", "*", "user", "autoconfirmed"]);
    expect(ok.ok && ok.data.bytes).toBe(utf8Length("ok v2 é"));
    const err = results.get(ids.suppressed)!;
    expect(!err.ok && err.error).toMatchObject({ retryable: false, revId: ids.suppressed });
    expect(!err.ok && err.error.message).toContain("suppressed");
    // The hidden user was never looked up, the removed one was.
    const userCall = own.requests.find((r) => r.params.list === "users")!;
    expect(userCall.params.ususerids.split("|").map(Number).sort()).toEqual(
      [ids["user:admin"], ids["user:gone"]].sort(),
    );
  });

  it("gives revision metadata without content by id, with the deletion flags", async () => {
    const c = new MediaWikiClient({ apiBase: own.apiBase });
    const names = ["ok", "archived", "texthidden", "userhidden", "suppressed", "commenthidden"];
    const got = await c.getRevisionSummaries(resolveWiki("nl"), [...names.map((n) => ids[n]), 987654321]);
    expect([...got.keys()].sort()).toEqual(
      names
        .filter((n) => n !== "archived")
        .map((n) => ids[n])
        .sort(),
    );
    const flags = (n: string) => {
      const r = got.get(ids[n])!;
      return [r.userHidden, r.commentHidden, r.suppressed];
    };
    expect(flags("ok")).toEqual([false, false, false]);
    // A hidden text shows only where content is asked for (getRevisions reports it).
    expect(flags("texthidden")).toEqual([false, false, false]);
    expect(flags("userhidden")).toEqual([true, false, false]);
    expect(flags("suppressed")).toEqual([true, false, true]);
    expect(flags("commenthidden")).toEqual([false, true, false]);
    const stored = own.store.revision("nl", ids.ok)!;
    expect(got.get(ids.ok)).toMatchObject({
      revId: ids.ok,
      parentId: ids["ok:parent"],
      pageId: stored.pageId,
      bytes: utf8Length("ok v2 é"),
      userId: ids["user:admin"],
      anonymous: false,
    });
    const call = own.requests.findLast((r) => r.params.prop === "revisions")!;
    expect(call.params.rvprop).not.toContain("content");
  });

  it("calls the error hook once per failed revision", async () => {
    const seen: string[] = [];
    const c = new MediaWikiClient({
      apiBase: own.apiBase,
      hooks: { onRevisionError: ({ error }) => seen.push(error.code) },
    });
    await c.getRevisions(resolveWiki("nl"), [ids.texthidden, ids.ok, ids.archived]);
    expect(seen.sort()).toEqual(["revision_info_deleted", "revision_missing"]);
  });
});

describe("validation before any call", () => {
  it("makes no HTTP call for a non-canonical lang", async () => {
    const c = client();
    for (const lang of ["www", "enwiki", "", "evil.example.com", undefined]) {
      await expect(c.getRevisionsByLang(lang, [1, 2, 3])).rejects.toBeInstanceOf(WikiValidationError);
    }
    await expect(
      c.getRevisionsByLang("fy", [1], { supportedWikis: ["en"], strict: true }),
    ).rejects.toMatchObject({
      code: "unsupported",
      status: 400,
    });
    expect(server.requests.length).toBe(0);
    const ok = await c.getRevisionsByLang("en", [server.store.seeded()[0].revId]);
    expect([...ok.values()][0].ok).toBe(true);
    expect(server.requests.length).toBeGreaterThan(0);
  });
});

describe("test wiki", () => {
  it("fetches lang=test from test.wikipedia.org with wiki_db testwiki", async () => {
    const store = new MwFixtureStore();
    const e = store.addEdit("test", { title: "Sandbox", prev: "a", curr: "b" });
    const own = await startMwFixtureServer({ store });
    try {
      const results = await new MediaWikiClient({ apiBase: own.apiBase }).getRevisionsByLang("test", [
        e.revision.revId,
      ]);
      const r = results.get(e.revision.revId)!;
      expect(r.ok && r.data).toMatchObject({ lang: "test", wikiDb: "testwiki", text: "b", parentText: "a" });
      expect(own.requests.every((req) => req.host === "test.wikipedia.org")).toBe(true);
    } finally {
      await own.close();
    }
  });
});

describe("retries, timeouts, transport errors", () => {
  const first = () => server.store.seeded()[0];

  it("honours Retry-After on 503", async () => {
    server.injectFault({ status: 503, retryAfter: 1 });
    const delays: number[] = [];
    const started = Date.now();
    const r = await client({
      retryMaxDelayMs: 5_000,
      hooks: { onRetry: (e) => delays.push(e.delayMs) },
    }).getRevision(en, first().revId);
    expect(r.ok).toBe(true);
    expect(delays).toEqual([1000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("retries 429 and maxlag, capping the wait at retryMaxDelayMs", async () => {
    server.injectFault({ status: 429, retryAfter: 120, times: 1 });
    server.injectFault({
      apiError: { code: "maxlag", info: "Waiting for a database server: 7 seconds lagged." },
      retryAfter: 5,
    });
    const delays: number[] = [];
    const fetches: string[] = [];
    const r = await client({
      retryMaxDelayMs: 20,
      hooks: {
        onRetry: (e) => delays.push(e.delayMs),
        onFetch: (e) => fetches.push(`${e.op}:${e.outcome}:${e.status}`),
      },
    }).getRevision(en, first().revId);
    expect(r.ok).toBe(true);
    expect(delays).toEqual([20, 20]);
    expect(fetches.slice(0, 3)).toEqual(["revisions:retry:429", "revisions:retry:200", "revisions:ok:200"]);
  });

  it("gives up after the configured retries with a retryable error", async () => {
    server.injectFault({ status: 503, retryAfter: 0, times: 100 });
    const r = await client({ retries: 2 }).getRevision(en, first().revId);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({
      code: "mediawiki_unavailable",
      retryable: true,
      transport: { kind: "http", status: 503, attempts: 3 },
    });
    expect(server.requests.length).toBe(3);
  });

  it("does not retry non-retryable failures", async () => {
    server.injectFault({ status: 403, times: 100 });
    const r = await client().getRevision(en, first().revId);
    expect(!r.ok && r.error).toMatchObject({
      code: "mediawiki_error",
      retryable: false,
      transport: { status: 403 },
    });
    expect(server.requests.length).toBe(1);
    server.clearFaults();
    server.resetRequests();
    server.injectFault({ apiError: { code: "badvalue", info: "nope" }, times: 100 });
    const r2 = await client().getRevision(en, first().revId);
    expect(!r2.ok && r2.error).toMatchObject({
      code: "mediawiki_error",
      transport: { kind: "api", apiCode: "badvalue" },
    });
    server.clearFaults();
    server.injectFault({ body: "<html>not json</html>", times: 100 });
    const r3 = await client().getRevision(en, first().revId);
    expect(!r3.ok && r3.error.transport?.kind).toBe("bad_response");
  });

  it("times out slow calls, retries them, and reports timeouts", async () => {
    server.injectFault({ delayMs: 1500, times: 1 });
    const kinds: string[] = [];
    const r = await client({
      timeoutMs: 250,
      hooks: { onFetch: (e) => kinds.push(e.errorKind ?? "ok") },
    }).getRevision(en, first().revId);
    expect(r.ok).toBe(true);
    expect(kinds[0]).toBe("timeout");
    server.clearFaults();
    server.injectFault({ delayMs: 1500, times: 100 });
    const r2 = await client({ timeoutMs: 250, retries: 1 }).getRevision(en, first().revId);
    expect(!r2.ok && r2.error).toMatchObject({
      code: "mediawiki_unavailable",
      transport: { kind: "timeout", attempts: 2 },
    });
  });

  it("aborts on the caller's signal", async () => {
    server.injectFault({ delayMs: 300, times: 100 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(
      client().getRevisions(en, [first().revId], { signal: controller.signal }),
    ).rejects.toMatchObject({
      kind: "aborted",
    });
  });

  it("limits concurrency per host", async () => {
    let inFlight = 0;
    let max = 0;
    const counting: typeof fetch = async (input, init) => {
      inFlight++;
      max = Math.max(max, inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const ids = server.store
      .seeded()
      .filter((s) => s.lang === "en")
      .slice(0, 300)
      .map((s) => s.revId);
    const results = await client({ concurrencyPerHost: 2, batchSize: 20, fetch: counting }).getRevisions(
      en,
      ids,
    );
    expect([...results.values()].every((r) => r.ok)).toBe(true);
    expect(max).toBe(2);
  });

  it("parses Retry-After", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(
      parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")),
    ).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("continuation", () => {
  it("follows rvcontinue when content exceeds the result size budget", async () => {
    const own = await startMwFixtureServer({ store: server.store, maxResultSize: 20_000 });
    try {
      const seeded = server.store
        .seeded()
        .filter((s) => s.lang === "en")
        .slice(0, 40);
      const results = await new MediaWikiClient({ apiBase: own.apiBase }).getRevisions(
        en,
        seeded.map((s) => s.revId),
      );
      for (const s of seeded) {
        const r = results.get(s.revId)!;
        expect(r.ok).toBe(true);
        expect(r.ok && r.data.text).toBe(server.store.revision("en", s.revId)!.text);
      }
      const revCalls = own.requests.filter((r) => r.params.prop === "revisions");
      const continued = revCalls.filter((r) => r.params.rvcontinue);
      expect(continued.length).toBeGreaterThan(2);
      expect(continued.every((r) => r.params.continue === "||")).toBe(true);
    } finally {
      await own.close();
    }
  });
});

describe("allrevisions enumeration", () => {
  const de = resolveWiki("de");

  it("enumerates a wiki oldest first, following arvcontinue", async () => {
    const all = [...server.store.wiki("de").revisions.values()];
    const got = [];
    for await (const r of client().listAllRevisions(de, { limit: 7 })) got.push(r);
    expect(got.map((r) => r.revId)).toEqual(all.map((r) => r.revId).sort((a, b) => a - b));
    const calls = server.requests.filter((r) => r.params.list === "allrevisions");
    expect(calls.length).toBe(Math.ceil(all.length / 7));
    expect(calls.slice(1).every((c) => /^\d{14}\|\d+$/.test(c.params.arvcontinue))).toBe(true);
    const sample = got[1];
    const stored = server.store.revision("de", sample.revId)!;
    expect(sample).toMatchObject({
      parentId: stored.parentId,
      pageId: stored.pageId,
      timestamp: stored.timestamp,
      bytes: stored.size,
      userId: stored.userId,
      tags: stored.tags,
      anonymous: stored.userId === 0,
    });
  });

  it("honours the time range, direction, and resumes from a continuation", async () => {
    const all = [...server.store.wiki("de").revisions.values()].sort((a, b) => a.revId - b.revId);
    const start = all[5].timestamp;
    const end = all[20].timestamp;
    const got = [];
    for await (const r of client().listAllRevisions(de, { start: end, end: start, dir: "older", limit: 4 })) {
      got.push(r.revId);
    }
    expect(got).toEqual(
      all
        .slice(5, 21)
        .map((r) => r.revId)
        .reverse(),
    );
    const page = await client().getAllRevisionsPage(de, { start, end, limit: 10 });
    expect(page.revisions.length).toBe(10);
    expect(page.continue?.arvcontinue).toBeDefined();
    const rest = await client().getAllRevisionsPage(de, { start, end, limit: 10, continue: page.continue });
    expect([...page.revisions, ...rest.revisions].map((r) => r.revId)).toEqual(
      all.slice(5, 21).map((r) => r.revId),
    );
    expect(rest.continue).toBeUndefined();
  });
});

describe("configuration", () => {
  // The REVRISK_MW_* variables are options of the table now (test/options.test.ts).
  it("defaults to https://{host} of the canonical wiki", () => {
    expect(new MediaWikiClient().apiUrl(resolveWiki("gsw"))).toBe("https://als.wikipedia.org/w/api.php");
  });
});
