/**
 * The MediaWiki fixture server's JSON shapes and error codes (formatversion=2).
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MwFixtureStore, PARITY_FILES, seededStore } from "../standins/mediawiki-fixture/store.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";

let server: MwFixtureServer;
let store: MwFixtureStore;
const ids: Record<string, number> = {};

async function api(params: Record<string, string>, host = "fy.wikipedia.org") {
  const qs = new URLSearchParams({ format: "json", formatversion: "2", ...params });
  const res = await fetch(`${server.url}/${host}/w/api.php?${qs}`);
  return {
    status: res.status,
    headers: res.headers,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed API JSON in assertions
    body: (await res.json()) as Record<string, any>,
  };
}

beforeAll(async () => {
  store = new MwFixtureStore();
  const user = store.addUser("fy", { name: "Brûker", groups: ["*", "user", "autoconfirmed"] });
  const e = store.addEdit("fy", {
    title: "Side",
    prev: "a",
    curr: "ä b",
    userId: user.userId,
    tags: ["visualeditor"],
  });
  ids.rev = e.revision.revId;
  ids.parent = e.parent.revId;
  ids.user = user.userId;
  const h = store.addEdit("fy", { title: "Ferburgen", prev: "x", curr: "y" });
  ids.hidden = h.revision.revId;
  store.hideRevision("fy", ids.hidden, { text: true, user: true, suppress: true });
  const c = store.addEdit("fy", { title: "Kommentaar", prev: "x", curr: "y" });
  ids.comment = c.revision.revId;
  store.hideRevision("fy", ids.comment, { comment: true });
  server = await startMwFixtureServer({ store });
});
afterAll(async () => {
  await server.close();
});

describe("prop=revisions", () => {
  it("answers revids with formatversion=2 shapes and badrevids", async () => {
    const { body } = await api({
      action: "query",
      prop: "revisions",
      revids: `${ids.rev}|${ids.parent}|424242`,
      rvprop: "ids|timestamp|size|tags|user|userid|content|flags|comment",
      rvslots: "main",
    });
    expect(body.batchcomplete).toBe(true);
    expect(body.query.badrevids).toEqual({ 424242: { revid: 424242, missing: true } });
    expect(body.query.pages).toHaveLength(1);
    const page = body.query.pages[0];
    expect(page).toMatchObject({ pageid: store.page("fy", "Side")!.pageId, ns: 0, title: "Side" });
    const rev = page.revisions.find((r: { revid: number }) => r.revid === ids.rev);
    expect(rev).toEqual({
      revid: ids.rev,
      parentid: ids.parent,
      minor: false,
      user: "Brûker",
      userid: ids.user,
      timestamp: store.revision("fy", ids.rev)!.timestamp,
      size: 4,
      slots: { main: { contentmodel: "wikitext", contentformat: "text/x-wiki", content: "ä b" } },
      comment: "",
      tags: ["visualeditor"],
    });
    const creation = page.revisions.find((r: { revid: number }) => r.revid === ids.parent);
    expect(creation).toMatchObject({ parentid: 0, anon: true, userid: 0 });
  });

  it("reports revision deletion like MediaWiki", async () => {
    const { body } = await api({
      action: "query",
      prop: "revisions",
      revids: `${ids.hidden}|${ids.comment}`,
      rvprop: "ids|user|userid|content|comment",
      rvslots: "main",
    });
    const revs = body.query.pages.flatMap((p: { revisions: unknown[] }) => p.revisions);
    const hidden = revs.find((r: { revid: number }) => r.revid === ids.hidden);
    expect(hidden).toEqual({
      revid: ids.hidden,
      parentid: ids.hidden - 1,
      userhidden: true,
      slots: { main: { texthidden: true } },
      comment: "",
      suppressed: true,
    });
    const comment = revs.find((r: { revid: number }) => r.revid === ids.comment);
    expect(comment.commenthidden).toBe(true);
    expect(comment.suppressed).toBeUndefined();
    expect(comment.slots.main.content).toBe("y");
  });

  it("returns API errors for bad parameters", async () => {
    const tooMany = await api({
      action: "query",
      prop: "revisions",
      revids: Array.from({ length: 51 }, (_, i) => i + 1).join("|"),
    });
    expect(tooMany.status).toBe(200);
    expect(tooMany.headers.get("mediawiki-api-error")).toBe("toomanyvalues");
    expect(tooMany.body.error).toMatchObject({
      code: "toomanyvalues",
      info: 'Too many values supplied for parameter "revids". The limit is 50.',
    });
    expect((await api({ action: "query", prop: "revisions", revids: "12|x" })).body.error.code).toBe(
      "badinteger",
    );
    expect((await api({ action: "edit" })).body.error.code).toBe("badvalue");
    expect((await api({ action: "query", formatversion: "1" })).body.error.code).toBe("badvalue");
    expect(
      (await api({ action: "query", prop: "revisions", revids: "1", titles: "Side" })).body.error.code,
    ).toBe("invalidparammix");
    expect(
      (await api({ action: "query", prop: "revisions", revids: "1", rvlimit: "5" })).body.error.code,
    ).toBe("invalidparammix");
  });

  it("serves the latest revision by title and enumerates one page", async () => {
    const latest = await api({ action: "query", prop: "revisions", titles: "Side|Nothing", rvprop: "ids" });
    expect(latest.body.query.pages).toEqual([
      {
        pageid: store.page("fy", "Side")!.pageId,
        ns: 0,
        title: "Side",
        revisions: [{ revid: ids.rev, parentid: ids.parent }],
      },
      { ns: 0, title: "Nothing", missing: true },
    ]);
    const first = await api({
      action: "query",
      prop: "revisions",
      pageids: String(store.page("fy", "Side")!.pageId),
      rvdir: "newer",
      rvlimit: "1",
      rvprop: "timestamp",
    });
    expect(first.body.query.pages[0].revisions).toEqual([
      { timestamp: store.revision("fy", ids.parent)!.timestamp },
    ]);
    expect(first.body.continue.rvcontinue).toMatch(/^\d{14}\|\d+$/);
  });
});

describe("list=users and routing", () => {
  it("answers users by id and name", async () => {
    const { body } = await api({
      action: "query",
      list: "users",
      ususerids: `${ids.user}|999`,
      ususers: "Brûker|192.0.2.1|Nobody",
      usprop: "groups|editcount",
    });
    expect(body.query.users).toEqual([
      { userid: ids.user, name: "Brûker", editcount: 1, groups: ["*", "user", "autoconfirmed"] },
      { name: "192.0.2.1", invalid: true },
      { name: "Nobody", missing: true },
      { userid: ids.user, name: "Brûker", editcount: 1, groups: ["*", "user", "autoconfirmed"] },
      { userid: 999, missing: true },
    ]);
  });

  it("routes by Host header, 404s unknown wikis", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${server.url}/w/api.php?action=query&list=users&ususerids=${ids.user}&format=json&formatversion=2`,
        { headers: { Host: "fy.wikipedia.org" } },
        (res) => {
          let data = "";
          res.on("data", (c) => (data += c));
          res.on("end", () => resolve(data));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(JSON.parse(body).query.users[0].name).toBe("Brûker");
    expect((await fetch(`${server.url}/en.wikipedia.org/w/api.php?action=query`)).status).toBe(404);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});

describe("seeding", () => {
  it("seeds every parity edit deterministically", () => {
    const a = seededStore();
    const b = seededStore();
    expect(a.seeded()).toEqual(b.seeded());
    const seeded = a.seeded();
    expect(seeded.length).toBe(504);
    expect(new Set(seeded.map((s) => `${s.lang}:${s.revId}`)).size).toBe(seeded.length);
    const s = seeded[0];
    const rev = a.revision(s.lang, s.revId)!;
    expect(rev.parentId).toBe(s.parentId);
    expect(rev.size).toBe(Buffer.byteLength(rev.text));
    expect(a.revision(s.lang, s.parentId)!.parentId).toBe(0);
    expect(seeded.some((e) => e.userId === 0)).toBe(true);
    expect(seeded.some((e) => a.user(e.lang, e.userId)?.groups.includes("sysop"))).toBe(true);
    const restored = MwFixtureStore.fromJSON(JSON.parse(JSON.stringify(a)));
    expect(restored.seeded()).toEqual(seeded);
    expect(restored.revision(s.lang, s.revId)).toEqual(rev);
  });
});

describe("load-test helpers", () => {
  it("seeds the fixture edits several rounds as distinct pages and revisions", () => {
    const one = seededStore(PARITY_FILES.slice(0, 1));
    const three = seededStore(PARITY_FILES.slice(0, 1), 3);
    expect(three.seeded().length).toBe(3 * one.seeded().length);
    const keys = three.seeded().map((s) => `${s.lang}:${s.revId}`);
    expect(new Set(keys).size).toBe(keys.length);
    const titles = three.seeded().map((s) => `${s.lang}:${s.title}`);
    expect(new Set(titles).size).toBe(titles.length);
    // Round 2 repeats round 1's texts under new ids.
    const [a, b] = [three.seeded()[0]!, three.seeded()[one.seeded().length]!];
    expect(three.revision(b.lang, b.revId)!.text).toBe(three.revision(a.lang, a.revId)!.text);
  });

  it("answers a share of API requests with 429 + Retry-After, 503 and hangs", async () => {
    const s = await startMwFixtureServer({
      store,
      faultShares: { tooManyRequests: 0.1, unavailable: 0.1, hang: 0.1, retryAfterS: 7, hangMs: 50 },
    });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 100; i++) {
        const qs = new URLSearchParams({ format: "json", formatversion: "2", action: "query" });
        const res = await fetch(`${s.url}/fy.wikipedia.org/w/api.php?${qs}&prop=revisions&revids=${ids.rev}`);
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get("retry-after");
        await res.arrayBuffer();
      }
      const n = (st: number) => statuses.filter((x) => x === st).length;
      expect(n(429)).toBeGreaterThanOrEqual(8);
      expect(n(429)).toBeLessThanOrEqual(12);
      expect(n(503)).toBeGreaterThanOrEqual(8);
      expect(n(503)).toBeLessThanOrEqual(12);
      expect(retryAfter).toBe("7");
      expect(s.faultCounts.too_many_requests).toBe(n(429));
      expect(s.faultCounts.unavailable).toBe(n(503));
      expect(s.faultCounts.hang).toBeGreaterThanOrEqual(8);
      // A hung request is answered normally afterwards (200): the client is the one that gives up.
      expect(n(200)).toBe(100 - n(429) - n(503));
    } finally {
      await s.close();
    }
  });
});
