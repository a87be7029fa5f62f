/**
 * The one wiki table (shared/wikis/wikis.ts) answers every wiki question the same way, for all 342
 * canonical codes: code ↔ database name ↔ host, and every place that asks — the ingest filter
 * (shared/events/page-change.ts), the queue message handler (shared/pipeline/message-handler.ts), the
 * backfill's wiki argument and the ORES routes. The eight wikis whose code and database name differ
 * (gsw/alswiki, yue/zh_yuewiki, be-tarask/be_x_oldwiki, vro/fiu_vrowiki, …) were answered two ways
 * before.
 */
import { describe, expect, it } from "vitest";
import { classify, compileFilter, type PageChangeEvent } from "../shared/events/page-change.ts";
import {
  CANONICAL_WIKIS,
  codeForDbName,
  codeForWikiId,
  dbNameForCode,
  hostForCode,
  resolveWiki,
  resolveWikiId,
  wikiForHost,
} from "../shared/wikis/wikis.ts";

/** A minimal scorable page_change event of a wiki. */
function event(wikiId: string, domain: string): PageChangeEvent {
  return {
    $schema: "/mediawiki/page/change/1.2.0",
    meta: { stream: "mediawiki.page_change.v1", domain, dt: "2026-01-01T00:00:00Z" },
    dt: "2026-01-01T00:00:00Z",
    wiki_id: wikiId,
    page_change_kind: "edit",
    page: { page_id: 1, page_title: "T", namespace_id: 0, is_redirect: false },
    revision: { rev_id: 10, rev_parent_id: 9, rev_dt: "2026-01-01T00:00:00Z" },
    performer: { user_id: 1, user_text: "U" },
  } as unknown as PageChangeEvent;
}

describe("the wiki table, for every canonical code", () => {
  it.each(CANONICAL_WIKIS.map((w) => [w.code, w.dbName, w.domain]))(
    "%s ↔ %s ↔ %s",
    (code, dbName, domain) => {
      expect(dbNameForCode(code)).toBe(dbName);
      expect(codeForDbName(dbName)).toBe(code);
      expect(hostForCode(code)).toBe(domain);
      expect(wikiForHost(domain)?.lang).toBe(code);
      const r = resolveWiki(code);
      expect([r.lang, r.dbName, r.host, r.wikiDb]).toEqual([code, dbName, domain, `${code}wiki`]);
      // The backfill's --wiki / list column: a database name or a code.
      expect(resolveWikiId(dbName).lang).toBe(code);
      expect(resolveWikiId(code).lang).toBe(code);
      // ORES: real database names, and LiftWing's lang+"wiki" that its answers carry.
      expect(codeForWikiId(dbName)).toBe(code);
      expect(codeForWikiId(`${code}wiki`)).toBe(code);
      // The ingest filter configured by code and by database name accepts the wiki's events as that code.
      for (const wikis of [[code], [dbName]]) {
        const c = classify(event(dbName, domain), compileFilter({ wikis }));
        expect(c).toMatchObject({ accept: true, wiki: dbName, lang: code });
      }
    },
  );
});

describe("the wikis whose code and database name differ", () => {
  const cases = [
    ["gsw", "alswiki", "als.wikipedia.org"],
    ["yue", "zh_yuewiki", "zh-yue.wikipedia.org"],
    ["be-tarask", "be_x_oldwiki", "be-tarask.wikipedia.org"],
    ["vro", "fiu_vrowiki", "fiu-vro.wikipedia.org"],
    ["rup", "roa_rupwiki", "roa-rup.wikipedia.org"],
    ["sgs", "bat_smgwiki", "bat-smg.wikipedia.org"],
    ["nan", "zh_min_nanwiki", "zh-min-nan.wikipedia.org"],
    ["lzh", "zh_classicalwiki", "zh-classical.wikipedia.org"],
  ];
  it.each(cases)("%s is %s on %s, never a name made up by a naming rule", (code, dbName, host) => {
    expect(codeForDbName(dbName)).toBe(code);
    expect(dbNameForCode(code)).toBe(dbName);
    expect(hostForCode(code)).toBe(host);
    // The filter on the code matches the real database name, not `${code}wiki`.
    expect(compileFilter({ wikis: [code] }).wikiIds).toEqual(new Set([dbName]));
  });

  it("names built by the old naming rules are not wikis", () => {
    for (const made of ["gswwiki", "yuewiki", "be_taraskwiki", "vrowiki"])
      expect(codeForDbName(made)).toBeUndefined();
    for (const made of ["als", "zh-yue", "be-x-old", "fiu-vro"]) expect(dbNameForCode(made)).toBeUndefined();
    expect(() => resolveWikiId("gswwiki")).toThrow(/not the database name/);
    expect(() => compileFilter({ wikis: ["zh-yue"] })).toThrow(/not a canonical Wikipedia/);
  });

  it("testwiki is test on test.wikipedia.org", () => {
    expect(codeForDbName("testwiki")).toBe("test");
    expect(dbNameForCode("test")).toBe("testwiki");
    expect(resolveWikiId("testwiki").host).toBe("test.wikipedia.org");
  });
});
