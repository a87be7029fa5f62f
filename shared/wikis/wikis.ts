/**
 * The one wiki table: Wikipedia language code ↔ database name ↔ host, and LiftWing's `lang`
 * validation. Every question about a wiki (which code is `alswiki`, which host serves `gsw`, which
 * database name a filter on `yue` matches) is answered here, from the table alone.
 *
 * - The table is data (`wikis.json`, derived from LiftWing's `wikis.tsv`, see its notice): 342 rows
 *   `[language_code, database_code, domain_name]` of open, public, publicly editable Wikipedias.
 *   Codes and database names differ for eight wikis (gsw ↔ alswiki, yue ↔ zh_yuewiki, be-tarask ↔
 *   be_x_oldwiki, vro ↔ fiu_vrowiki, …): never derive one from the other by a naming rule.
 * - The MediaWiki host is the table's domain (plus test.wikipedia.org), never anything from user
 *   input. LiftWing rewrites six codes to hosts and misses `vro` and `rup` (their hosts are
 *   fiu-vro / roa-rup); the table has the real domains.
 * - LiftWing's answers carry `wiki_db = lang + "wiki"` (e.g. "gswwiki"), which is not a database
 *   name; `ResolvedWiki.wikiDb` reproduces it, `dbName` is the real one (docs/mediawiki.md).
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
const byDbName = new Map<string, CanonicalWiki>(CANONICAL_WIKIS.map((w) => [w.dbName, w]));
const byDomain = new Map<string, CanonicalWiki>(CANONICAL_WIKIS.map((w) => [w.domain, w]));

/** The canonical Wikipedia language codes (342). */
export const CANONICAL_CODES: ReadonlySet<string> = new Set(byCode.keys());

/** The `lang` LiftWing accepts outside the canonical set: validated as `en`, served from test.wikipedia.org. */
export const TEST_WIKI = "test";
const TEST_DB = "testwiki";
const TEST_HOST = "test.wikipedia.org";

export function isCanonicalWiki(lang: string): boolean {
  return byCode.has(lang);
}

/** Host of a canonical code (or `test`), from the table; throws for anything else. */
export function hostForCode(lang: string): string {
  if (lang === TEST_WIKI) return TEST_HOST;
  const w = byCode.get(lang);
  if (!w) throw new Error(`not a canonical Wikipedia language code: ${JSON.stringify(lang)}`);
  return w.domain;
}

/** The code of a real database name ("alswiki" → "gsw", "testwiki" → "test"), else undefined. */
export function codeForDbName(dbName: string): string | undefined {
  return dbName === TEST_DB ? TEST_WIKI : byDbName.get(dbName)?.code;
}

/** The real database name of a code ("gsw" → "alswiki", "test" → "testwiki"), else undefined. */
export function dbNameForCode(code: string): string | undefined {
  return code === TEST_WIKI ? TEST_DB : byCode.get(code)?.dbName;
}

/** The table's host of a real database name ("alswiki" → "als.wikipedia.org"), else undefined. */
export function hostForDbName(dbName: string): string | undefined {
  const code = codeForDbName(dbName);
  return code === undefined ? undefined : hostForCode(code);
}

/**
 * The database name whose table host is exactly `host` (no case folding, no port: for checking
 * what an event claims), else undefined.
 */
export function dbNameForHost(host: string): string | undefined {
  return host === TEST_HOST ? TEST_DB : byDomain.get(host)?.dbName;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The URL of a page on a host, encoded like MediaWiki's wfUrlencode (`;@$!*(),/~:` kept), which
 * is how page_change events carry it in `meta.uri`: e.g. "https://en.wikipedia.org/wiki/A/B_(c)".
 * Lone surrogates (never in a MediaWiki title) become U+FFFD so that encoding cannot throw.
 */
export function pageUri(host: string, title: string): string {
  const wellFormed = title.replace(/ /g, "_").replace(LONE_SURROGATE, "\uFFFD");
  const path = encodeURIComponent(wellFormed).replace(/%(3B|40|24|2C|2F|3A)/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
  return `https://${host}/wiki/${path}`;
}

/**
 * The code of a wiki id as clients send it: a real database name, or LiftWing's `lang + "wiki"`
 * (`wiki_db` in its answers, e.g. "gswwiki", which ORES clients fed back may use); else undefined.
 */
export function codeForWikiId(id: string): string | undefined {
  const real = codeForDbName(id);
  if (real !== undefined) return real;
  const code = id.endsWith("wiki") ? id.slice(0, -4) : "";
  return byCode.has(code) ? code : undefined;
}

/** What a validated `lang` resolves to. */
export interface ResolvedWiki {
  /** The code as given (and as echoed in responses), e.g. "gsw", "test". */
  lang: string;
  /** The code it was validated as: `lang`, or "en" for "test". */
  validatedAs: string;
  /** MediaWiki host, e.g. "als.wikipedia.org", "test.wikipedia.org". Only ever from the allow-list. */
  host: string;
  /** LiftWing's `wiki_db`: always `lang + "wiki"` (a LiftWing quirk), e.g. "gswwiki", "testwiki". */
  wikiDb: string;
  /** The real database name, e.g. "alswiki", "testwiki". */
  dbName: string;
  /** Whether the model supports this wiki (`lang` in supportedWikis; unknown → true). */
  supported: boolean;
}

export type WikiErrorCode = "lang_required" | "wiki_suffix" | "non_canonical" | "unsupported";

/**
 * A `lang` that cannot be served. All are 400-class and are raised before any MediaWiki call.
 * `message` and `bodyKey` reproduce LiftWing's bodies (docs/api.md): `{[bodyKey]: message}`.
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
  return {
    lang,
    validatedAs,
    host: hostForCode(lang),
    wikiDb: `${lang}wiki`,
    dbName: dbNameForCode(lang)!,
    supported,
  };
}

/**
 * A wiki given as a database name ("enwiki", "alswiki", "testwiki") or a language code ("en",
 * "gsw", "test"), resolved through the table. Throws WikiValidationError for anything else.
 */
export function resolveWikiId(wiki: string): ResolvedWiki {
  const w = wiki.trim();
  if (!w.endsWith("wiki")) return resolveWiki(w);
  const code = codeForDbName(w);
  if (code === undefined)
    throw new WikiValidationError(
      "non_canonical",
      w,
      `wiki '${w}' is not the database name of a canonical Wikipedia`,
      "detail",
    );
  return resolveWiki(code, { checkSuffix: false });
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
  if (h === TEST_HOST) return resolveWiki(TEST_WIKI);
  const hit = byDomain.get(h);
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
