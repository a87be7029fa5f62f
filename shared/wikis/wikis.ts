/**
 * Wikipedia language codes, host selection and `lang` validation (rrml.md §3.3 checks 5–7, §3.5).
 *
 * - The canonical set is data (`data/wikis.json`, derived from LiftWing's `wikis.tsv`, see its notice):
 *   342 codes of open, public, publicly editable Wikipedias.
 * - The MediaWiki host is derived only from that allow-list (plus `test`), never from user input:
 *   `rewrite(lang) + ".wikipedia.org"` with LiftWing's rewrites and two fixes (`vro`→`fiu-vro`,
 *   `rup`→`roa-rup`, rrml.md §12 quirk 4).
 * - Runtime-agnostic: no Node APIs.
 */
import wikisData from "./wikis.json" with { type: "json" };

/** One canonical Wikipedia: `[language_code, database_code, domain_name]` rows of wikis.json. */
export interface CanonicalWiki {
  /** `language_code` from wikis.tsv, e.g. "en", "gsw", "be-tarask". */
  code: string;
  /** The real database name, e.g. "alswiki" for `gsw` (not LiftWing's `wiki_db`, see ResolvedWiki.wikiDb). */
  dbName: string;
  /** The real domain, e.g. "als.wikipedia.org". */
  domain: string;
}

const rows = (wikisData as unknown as { wikis: [string, string, string][] }).wikis;

/** All canonical wikis, sorted by code. */
export const CANONICAL_WIKIS: readonly CanonicalWiki[] = Object.freeze(
  rows.map(([code, dbName, domain]) => Object.freeze({ code, dbName, domain })),
);

const byCode = new Map<string, CanonicalWiki>(CANONICAL_WIKIS.map((w) => [w.code, w]));

/** The canonical Wikipedia language codes (342). */
export const CANONICAL_CODES: ReadonlySet<string> = new Set(byCode.keys());

/** LiftWing's `mw_host_replace` (python/config.yaml). */
export const LIFTWING_HOST_REWRITES: Readonly<Record<string, string>> = Object.freeze({
  "be-x-old": "be-tarask",
  yue: "zh-yue",
  gsw: "als",
  sgs: "bat-smg",
  nan: "zh-min-nan",
  lzh: "zh-classical",
});

/**
 * Host rewrites used by revrisk: LiftWing's plus the fixes for `vro` and `rup`, whose domains are
 * `fiu-vro` and `roa-rup` (LiftWing resolves them to hosts that do not exist, rrml.md §12 quirk 4).
 */
export const HOST_REWRITES: Readonly<Record<string, string>> = Object.freeze({
  ...LIFTWING_HOST_REWRITES,
  vro: "fiu-vro",
  rup: "roa-rup",
});

/** The `lang` LiftWing accepts outside the canonical set: validated as `en`, served from test.wikipedia.org. */
export const TEST_WIKI = "test";

export function isCanonicalWiki(lang: string): boolean {
  return byCode.has(lang);
}

/** Host for an already validated code: `rewrite(lang) + ".wikipedia.org"`. */
export function hostForCode(lang: string): string {
  return `${Object.hasOwn(HOST_REWRITES, lang) ? HOST_REWRITES[lang] : lang}.wikipedia.org`;
}

/** What a validated `lang` resolves to. */
export interface ResolvedWiki {
  /** The code as given (and as echoed in responses), e.g. "gsw", "test". */
  lang: string;
  /** The code it was validated as: `lang`, or "en" for "test". */
  validatedAs: string;
  /** MediaWiki host, e.g. "als.wikipedia.org", "test.wikipedia.org". Only ever from the allow-list. */
  host: string;
  /** LiftWing's `wiki_db`: always `lang + "wiki"` (rrml.md §3.5 quirk), e.g. "gswwiki", "testwiki". */
  wikiDb: string;
  /** The real database name, e.g. "alswiki", "testwiki". */
  dbName: string;
  /** Whether the model supports this wiki (`lang` in supportedWikis; unknown → true). */
  supported: boolean;
}

export type WikiErrorCode = "lang_required" | "wiki_suffix" | "non_canonical" | "unsupported";

/**
 * A `lang` that cannot be served. All are 400-class and are raised before any MediaWiki call.
 * `message` and `bodyKey` reproduce LiftWing's bodies (rrml.md §3.3): `{[bodyKey]: message}`.
 */
export class WikiValidationError extends Error {
  override readonly name = "WikiValidationError";
  readonly code: WikiErrorCode;
  readonly status = 400;
  readonly bodyKey: "error" | "detail";
  readonly lang: unknown;
  constructor(code: WikiErrorCode, lang: unknown, message: string, bodyKey: "error" | "detail") {
    super(message);
    this.code = code;
    this.lang = lang;
    this.bodyKey = bodyKey;
  }
  /** The LiftWing-compatible response body. */
  toBody(): Record<string, string> {
    return { [this.bodyKey]: this.message };
  }
}

export interface ResolveWikiOptions {
  /**
   * Codes the model supports (e.g. the model's `supported_wikis`). Absent → every canonical wiki
   * counts as supported.
   */
  supportedWikis?: Iterable<string> | ReadonlySet<string>;
  /**
   * false (default, LiftWing behaviour since KI v0.7): an unsupported wiki resolves with
   * `supported: false` (LiftWing only logs a warning). true: it is a `WikiValidationError("unsupported")`.
   */
  strict?: boolean;
  /** Check that `lang` does not end with "wiki" first (LiftWing check 5). Default true. */
  checkSuffix?: boolean;
}

/**
 * Validates `lang` as LiftWing does (checks 5 and 6, then 7) and derives host and `wiki_db`.
 * Throws `WikiValidationError`; never touches the network.
 */
export function resolveWiki(lang: unknown, options: ResolveWikiOptions = {}): ResolvedWiki {
  // LiftWing tests truthiness (None, "", 0, false → "required"); a truthy non-string crashes it (500),
  // here it is a 400 like any other unknown code.
  if (!lang) throw new WikiValidationError("lang_required", lang, "The parameter lang is required.", "error");
  if (typeof lang !== "string") {
    throw new WikiValidationError(
      "non_canonical",
      lang,
      `lang '${String(lang)}' does not exist in the canonical Wikipedia language list.`,
      "detail",
    );
  }
  if ((options.checkSuffix ?? true) && lang.endsWith("wiki")) {
    throw new WikiValidationError(
      "wiki_suffix",
      lang,
      "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'",
      "detail",
    );
  }
  const validatedAs = lang === TEST_WIKI ? "en" : lang;
  if (!byCode.has(validatedAs)) {
    throw new WikiValidationError(
      "non_canonical",
      lang,
      `lang '${lang}' does not exist in the canonical Wikipedia language list.`,
      "detail",
    );
  }
  const supportedSet = toSet(options.supportedWikis);
  // LiftWing checks support with the original lang (so "test" is "unsupported" unless listed).
  const supported = supportedSet ? supportedSet.has(lang) : true;
  if (!supported && options.strict) {
    throw new WikiValidationError(
      "unsupported",
      lang,
      `lang '${lang}' is not supported by the model.`,
      "detail",
    );
  }
  const host = lang === TEST_WIKI ? "test.wikipedia.org" : hostForCode(lang);
  return {
    lang,
    validatedAs,
    host,
    wikiDb: `${lang}wiki`,
    dbName: lang === TEST_WIKI ? "testwiki" : byCode.get(lang)!.dbName,
    supported,
  };
}

/** Like `resolveWiki`, but returns the error instead of throwing it. */
export function tryResolveWiki(
  lang: unknown,
  options: ResolveWikiOptions = {},
): { ok: true; wiki: ResolvedWiki } | { ok: false; error: WikiValidationError } {
  try {
    return { ok: true, wiki: resolveWiki(lang, options) };
  } catch (e) {
    if (e instanceof WikiValidationError) return { ok: false, error: e };
    throw e;
  }
}

/** The canonical wiki whose domain is `host` (e.g. "als.wikipedia.org" → gsw), or undefined. */
export function wikiForHost(host: string): ResolvedWiki | undefined {
  const h = host.toLowerCase().replace(/:\d+$/, "");
  if (h === "test.wikipedia.org") return resolveWiki(TEST_WIKI);
  const hit = CANONICAL_WIKIS.find((w) => hostForCode(w.code) === h);
  return hit ? resolveWiki(hit.code) : undefined;
}

const setCache = new WeakMap<object, ReadonlySet<string>>();
function toSet(it: ResolveWikiOptions["supportedWikis"]): ReadonlySet<string> | undefined {
  if (!it) return undefined;
  if (it instanceof Set) return it;
  let s = setCache.get(it);
  if (!s) {
    s = new Set(it);
    setCache.set(it, s);
  }
  return s;
}
