/**
 * `mediawiki/page/change` 1.x events (the `mediawiki.page_change.v1` stream): a zod schema for
 * what the pipeline needs, precise validation messages, and the changeprop-style filter that
 * decides whether an event is scored (docs/events.md "Ingest"). Runtime-agnostic.
 *
 * Validation is loose about the rest (live events are 1.6.0, newer than any schema revrisk can
 * load, so unknown fields pass through untouched) and strict about what revrisk reads or the
 * prediction event copies, including that `meta.domain` and `wiki_id` name the same table wiki.
 */
import { z } from "zod";
import { codeForDbName, dbNameForCode, dbNameForHost, hostForDbName, pageUri } from "../wikis/wikis.ts";

/** The stream of page_change events (EventStreams, synthesized events). */
export const PAGE_CHANGE_STREAM = "mediawiki.page_change.v1";

// Every field the prediction event copies is checked here as the prediction schema
// (schemas/jsonschema/mediawiki/page/prediction_classification_change/1.1.0.yaml and its
// fragments) constrains it, so that an event ingest accepts is never rejected by EventGate later
// (docs/events.md "Validation at ingest").

/** The schemas' integer bound (2^53 - 1). */
const MAX_INT = Number.MAX_SAFE_INTEGER;
const nonNegInt = z.number().int().min(0).max(MAX_INT);

/**
 * The date-time and uri-reference formats as EventGate checks them (ajv 6 "fast" formats, the
 * mode EventGate and standins/eventgate-sink run), so both agree on every string.
 */
const DATE_TIME =
  /^\d\d\d\d-[0-1]\d-[0-3]\d[t\s](?:[0-2]\d:[0-5]\d:[0-5]\d|23:59:60)(?:\.\d+)?(?:z|[+-]\d\d(?::?\d\d)?)$/i;
const URI_REFERENCE = /^(?:(?:[a-z][a-z0-9+\-.]*:)?\/?\/)?(?:[^\\\s#][^\s#]*)?(?:#[^\\\s]*)?$/i;
const dateTime = z
  .string()
  .max(128)
  .regex(DATE_TIME, "must be an RFC 3339 date-time, e.g. 2026-11-24T12:00:00Z");
/** The most characters of meta.uri the schema allows. */
export const MAX_URI_LENGTH = 8192;

const User = z.looseObject({
  user_text: z.string().min(1).optional(),
  user_id: nonNegInt.optional(),
  user_central_id: nonNegInt.optional(),
  groups: z.array(z.string().min(1)).optional(),
  is_bot: z.boolean().optional(),
  is_system: z.boolean().optional(),
  is_temp: z.boolean().optional(),
  edit_count: nonNegInt.optional(),
  registration_dt: dateTime.optional(),
});

const PageLink = z.looseObject({
  page_id: nonNegInt.optional(),
  page_title: z.string().min(1).optional(),
  // Negative namespaces (Special:, Media:) are dropped by the prediction builder, not rejected.
  namespace_id: z.number().int().optional(),
  is_redirect: z.boolean().optional(),
  interwiki_prefix: z.string().optional(),
});

const PageFields = {
  page_id: nonNegInt,
  page_title: z.string().min(1),
  namespace_id: z.number().int().optional(),
  is_redirect: z.boolean().optional(),
  revision_count: nonNegInt.optional(),
  namespace_is_content: z.boolean().optional(),
};
const Page = z.looseObject({ ...PageFields, redirect_page_link: PageLink.optional() });
const PriorPage = z.looseObject(PageFields).partial();

const RevisionFields = {
  rev_id: z.number().int().min(1).max(MAX_INT),
  rev_dt: dateTime,
  rev_parent_id: nonNegInt.optional(),
  rev_sha1: z.string().optional(),
  rev_size: nonNegInt.optional(),
  comment: z.string().optional(),
  is_minor_edit: z.boolean().optional(),
  is_comment_visible: z.boolean().optional(),
  is_content_visible: z.boolean().optional(),
  is_editor_visible: z.boolean().optional(),
  editor: User.optional(),
};
const Revision = z.looseObject(RevisionFields);
const PriorRevision = z.looseObject(RevisionFields).partial();

export const PAGE_CHANGE_KINDS = [
  "create",
  "undelete",
  "edit",
  "move",
  "delete",
  "visibility_change",
] as const;

/** Accepts every page_change 1.x event; unknown fields are kept. */
export const PageChangeEvent = z.looseObject({
  $schema: z
    .string()
    .regex(/^\/?mediawiki\/page\/change\/1(\.|$)/, "must be a /mediawiki/page/change/1.x schema URI"),
  meta: z.looseObject({
    stream: z.string().min(1),
    domain: z.string().min(1).optional(),
    id: z.string().optional(),
    dt: z.string().optional(),
    uri: z
      .string()
      .max(MAX_URI_LENGTH)
      .regex(URI_REFERENCE, "must be a URI reference (no spaces or backslashes)")
      .optional(),
    request_id: z.string().optional(),
  }),
  dt: dateTime,
  wiki_id: z.string().min(1),
  changelog_kind: z.enum(["insert", "update", "delete"]),
  page_change_kind: z.enum(PAGE_CHANGE_KINDS),
  page: Page,
  revision: Revision,
  performer: User.optional(),
  comment: z.string().optional(),
  prior_state: z.looseObject({ page: PriorPage.optional(), revision: PriorRevision.optional() }).optional(),
  created_redirect_page: z.looseObject(PageFields).optional(),
});
export type PageChangeEvent = z.infer<typeof PageChangeEvent>;

export type ParseResult = { ok: true; event: PageChangeEvent } | { ok: false; errors: string[] };

/** "revision.rev_id" style path; array indexes as [n]. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || "(root)";
}

/** One message per problem: `<path>: <problem>`, e.g. `revision.rev_id: Invalid input: expected number, received string`. */
export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/**
 * Validates one parsed JSON value as a page_change event: the schema above, then that its
 * `meta.domain` and `wiki_id` name the same wiki of the wiki table (see `wikiDomainProblem`).
 */
export function parsePageChange(value: unknown): ParseResult {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, errors: ["(root): expected a JSON object (one mediawiki/page/change event)"] };
  }
  const r = PageChangeEvent.safeParse(value);
  if (!r.success) return { ok: false, errors: formatZodIssues(r.error) };
  const problem = wikiDomainProblem(r.data);
  if (problem) return { ok: false, errors: [problem] };
  return { ok: true, event: r.data };
}

/**
 * Why an event's wiki claims disagree, as `<field>: <problem>`, else undefined. The prediction
 * event takes its domain and meta.uri from the wiki table by `wiki_id`, so a `meta.domain` naming
 * another host would publish one wiki's score under another's name:
 * - `wiki_id` a table wiki: `meta.domain` must be exactly its host ("canary" aside, filtered);
 * - `wiki_id` not in the table: `meta.domain` must not be a table host, nor end in
 *   ".wikipedia.org" (a Wikipedia the table does not know); other wikis (wikidata, commons, …)
 *   pass and are filtered as not_wikipedia;
 * - the page's URL on that host must fit the schema's meta.uri length.
 */
export function wikiDomainProblem(event: PageChangeEvent): string | undefined {
  const domain = event.meta.domain;
  const wiki = event.wiki_id;
  const host = hostForDbName(wiki);
  if (domain !== undefined && domain !== "canary") {
    if (host !== undefined && domain !== host)
      return `meta.domain: ${JSON.stringify(domain)} is not ${host}, the host of wiki_id ${JSON.stringify(wiki)} in the wiki table`;
    if (host === undefined) {
      const claimed = dbNameForHost(domain);
      if (claimed !== undefined)
        return `wiki_id: ${JSON.stringify(wiki)} is not ${claimed}, the wiki of meta.domain ${JSON.stringify(domain)} in the wiki table`;
      if (/wikipedia\.org$/i.test(domain))
        return `meta.domain: ${JSON.stringify(domain)} is not a Wikipedia host in the wiki table`;
    }
  }
  if (host !== undefined && pageUri(host, event.page.page_title).length > MAX_URI_LENGTH)
    return `page.page_title: too long (its URL exceeds the ${MAX_URI_LENGTH} characters meta.uri may have)`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Filter
// ---------------------------------------------------------------------------------------------

export const SKIP_REASONS = [
  "canary",
  "not_wikipedia",
  "unsupported_wiki",
  "kind",
  "namespace",
  "redirect",
  "page_creation",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * The 47 training languages of revertrisk-multilingual (the model's supported_wikis; changeprop's RRML regex lists
 * these plus `test`). Used only when no model manifest is given; the manifest's `supported_wikis`
 * is authoritative.
 */
export const RRML_DEFAULT_LANGS: readonly string[] = (
  "ka lv ta ur eo lt sl hy hr sk eu et ms az da bg sr ro el th bn no hi ca hu ko fi vi uz sv " +
  "cs he id tr uk nl pl ar fa it zh ru es ja de fr en"
).split(" ");

export interface FilterConfig {
  /**
   * Wikis the model supports: language codes as in the model manifest's `supported_wikis` ("en")
   * or wiki ids ("enwiki"). Both forms may be mixed.
   */
  wikis: readonly string[];
  /** Accept testwiki (changeprop forwards it; it is outside the model's languages). Default false. */
  allowTestwiki?: boolean;
  /** Namespaces to score. Default [0]. */
  namespaces?: readonly number[];
  /** page_change_kind values to score. Default ["edit", "create", "move"]. */
  kinds?: readonly string[];
  /** Drop events with meta.domain "canary". Default true. */
  dropCanary?: boolean;
  /** Require a table Wikipedia: meta.domain the wiki table's host of wiki_id. Default true. */
  requireWikipedia?: boolean;
  /** Drop redirect pages (page.is_redirect true). Default true. */
  dropRedirects?: boolean;
  /** Drop page creations (no parent revision; the model does not handle them). Default true. */
  dropPageCreations?: boolean;
}

export type Classification =
  | { accept: true; wiki: string; lang: string; revId: number; parentId: number }
  | { accept: false; reason: SkipReason };

/** Normalised, precomputed form of a FilterConfig (build once, classify many). */
export interface CompiledFilter {
  wikiIds: ReadonlySet<string>;
  allowTestwiki: boolean;
  namespaces: ReadonlySet<number>;
  kinds: ReadonlySet<string>;
  dropCanary: boolean;
  requireWikipedia: boolean;
  dropRedirects: boolean;
  dropPageCreations: boolean;
}

export function compileFilter(config: FilterConfig | CompiledFilter): CompiledFilter {
  if ("wikiIds" in config) return config;
  return {
    wikiIds: new Set(config.wikis.map(filterDbName)),
    allowTestwiki: config.allowTestwiki ?? false,
    namespaces: new Set(config.namespaces ?? [0]),
    kinds: new Set(config.kinds ?? ["edit", "create", "move"]),
    dropCanary: config.dropCanary ?? true,
    requireWikipedia: config.requireWikipedia ?? true,
    dropRedirects: config.dropRedirects ?? true,
    dropPageCreations: config.dropPageCreations ?? true,
  };
}

/** A filter's wiki (a code such as "gsw", or a database name such as "alswiki") as its database name. */
function filterDbName(w: string): string {
  const db = w.endsWith("wiki") ? (codeForDbName(w) === undefined ? undefined : w) : dbNameForCode(w);
  if (db === undefined) throw new Error(`filter: ${JSON.stringify(w)} is not a canonical Wikipedia`);
  return db;
}

/** Decides whether a (validated) page_change event is scored. Reasons are checked in SKIP_REASONS order. */
export function classify(event: PageChangeEvent, config: FilterConfig | CompiledFilter): Classification {
  const c = compileFilter(config);
  const domain = event.meta.domain ?? "";
  if (c.dropCanary && domain === "canary") return { accept: false, reason: "canary" };
  const wiki = event.wiki_id;
  if (c.requireWikipedia && domain !== hostForDbName(wiki)) return { accept: false, reason: "not_wikipedia" };
  const supported = wiki === "testwiki" ? c.allowTestwiki : c.wikiIds.has(wiki);
  if (!supported) return { accept: false, reason: "unsupported_wiki" };
  if (!c.kinds.has(event.page_change_kind)) return { accept: false, reason: "kind" };
  const ns = event.page.namespace_id;
  if (ns === undefined || !c.namespaces.has(ns)) return { accept: false, reason: "namespace" };
  if (c.dropRedirects && event.page.is_redirect !== false) return { accept: false, reason: "redirect" };
  const parentId = event.revision.rev_parent_id ?? 0;
  if (c.dropPageCreations && parentId === 0) return { accept: false, reason: "page_creation" };
  return { accept: true, wiki, lang: codeForDbName(wiki)!, revId: event.revision.rev_id, parentId };
}
