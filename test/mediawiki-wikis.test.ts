import { describe, expect, it } from "vitest";
import {
  CANONICAL_CODES,
  CANONICAL_WIKIS,
  WikiValidationError,
  hostForCode,
  resolveWiki,
  tryResolveWiki,
  wikiForHost,
} from "../shared/wikis/wikis.ts";

function errorOf(fn: () => unknown): WikiValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WikiValidationError) return e;
    throw e;
  }
  throw new Error("expected a WikiValidationError");
}

describe("canonical wikis", () => {
  it("has LiftWing's 342 codes", () => {
    expect(CANONICAL_CODES.size).toBe(342);
    for (const code of ["en", "simple", "be-tarask", "gsw", "yue", "nan", "lzh", "sgs", "vro", "rup"]) {
      expect(CANONICAL_CODES.has(code)).toBe(true);
    }
    for (const code of ["www", "test", "enwiki", "be-x-old", "commons", "wikidata", "EN", ""]) {
      expect(CANONICAL_CODES.has(code)).toBe(false);
    }
  });

  it("takes every host from the table (vro and rup, which LiftWing's rewrites miss, included)", () => {
    for (const w of CANONICAL_WIKIS) expect(hostForCode(w.code)).toBe(w.domain);
    expect(hostForCode("vro")).toBe("fiu-vro.wikipedia.org");
    expect(hostForCode("rup")).toBe("roa-rup.wikipedia.org");
    expect(hostForCode("test")).toBe("test.wikipedia.org");
    expect(() => hostForCode("evil.example.com/")).toThrow(/not a canonical/);
  });
});

describe("resolveWiki", () => {
  it("resolves rewritten codes, keeping LiftWing's wiki_db quirk", () => {
    expect(resolveWiki("gsw")).toEqual({
      lang: "gsw",
      validatedAs: "gsw",
      host: "als.wikipedia.org",
      wikiDb: "gswwiki",
      dbName: "alswiki",
      supported: true,
    });
    expect(resolveWiki("vro").host).toBe("fiu-vro.wikipedia.org");
    expect(resolveWiki("rup").host).toBe("roa-rup.wikipedia.org");
    expect(resolveWiki("yue").host).toBe("zh-yue.wikipedia.org");
    expect(resolveWiki("be-tarask").wikiDb).toBe("be-taraskwiki");
  });

  it("handles test as LiftWing does", () => {
    const w = resolveWiki("test", { supportedWikis: ["en", "de"] });
    expect(w).toMatchObject({
      lang: "test",
      validatedAs: "en",
      host: "test.wikipedia.org",
      wikiDb: "testwiki",
    });
    expect(w.supported).toBe(false);
    expect(resolveWiki("test", { supportedWikis: ["test"] }).supported).toBe(true);
  });

  it("rejects bad langs with LiftWing's 400 bodies", () => {
    expect(errorOf(() => resolveWiki(undefined)).toBody()).toEqual({
      error: "The parameter lang is required.",
    });
    expect(errorOf(() => resolveWiki("")).code).toBe("lang_required");
    expect(errorOf(() => resolveWiki(0)).code).toBe("lang_required");
    expect(errorOf(() => resolveWiki(42)).toBody()).toEqual({
      detail: "lang '42' does not exist in the canonical Wikipedia language list.",
    });
    const suffix = errorOf(() => resolveWiki("enwiki"));
    expect(suffix.code).toBe("wiki_suffix");
    expect(suffix.status).toBe(400);
    expect(suffix.toBody()).toEqual({
      detail: "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'",
    });
    const www = errorOf(() => resolveWiki("www"));
    expect(www.code).toBe("non_canonical");
    expect(www.toBody()).toEqual({
      detail: "lang 'www' does not exist in the canonical Wikipedia language list.",
    });
    for (const bad of ["evil.example.com/", "en.wikipedia.org", "../x", "EN", "en ", "be-x-old"]) {
      expect(errorOf(() => resolveWiki(bad)).code).toBe("non_canonical");
    }
  });

  it("marks unsupported wikis, or rejects them when strict", () => {
    expect(resolveWiki("fy", { supportedWikis: new Set(["en"]) }).supported).toBe(false);
    expect(errorOf(() => resolveWiki("fy", { supportedWikis: ["en"], strict: true })).code).toBe(
      "unsupported",
    );
    const r = tryResolveWiki("xx");
    expect(r.ok).toBe(false);
  });

  it("maps hosts back to wikis", () => {
    expect(wikiForHost("als.wikipedia.org")?.lang).toBe("gsw");
    expect(wikiForHost("test.wikipedia.org:443")?.lang).toBe("test");
    expect(wikiForHost("evil.example.com")).toBeUndefined();
  });
});
