/**
 * The MediaWiki Action API JSON (`format=json&formatversion=2`) the client reads, and how a
 * revision's main-slot text and text-hidden flag are found in it (old and new slot layouts).
 */
export interface ApiRevision {
  revid: number;
  parentid?: number;
  minor?: boolean;
  user?: string;
  userid?: number;
  anon?: boolean;
  temp?: boolean;
  userhidden?: boolean;
  timestamp?: string;
  size?: number;
  comment?: string;
  commenthidden?: boolean;
  tags?: string[];
  texthidden?: boolean;
  textmissing?: boolean;
  suppressed?: boolean;
  content?: string;
  "*"?: string;
  slots?: {
    main?: { content?: string; "*"?: string; texthidden?: boolean; textmissing?: boolean; missing?: boolean };
  };
}
export interface ApiPage {
  pageid?: number;
  ns?: number;
  title?: string;
  missing?: boolean;
  invalid?: boolean;
  revisions?: ApiRevision[];
}
interface ApiUser {
  userid?: number;
  name?: string;
  missing?: boolean;
  invalid?: boolean;
  hidden?: boolean;
  groups?: string[];
}
export interface ApiResponse {
  error?: { code?: string; info?: string };
  warnings?: unknown;
  continue?: Record<string, string>;
  batchcomplete?: boolean;
  query?: {
    pages?: ApiPage[];
    badrevids?: Record<string, { revid?: number; missing?: boolean }>;
    users?: ApiUser[];
    allrevisions?: ApiPage[];
  };
}

/** The main slot's wikitext (formatversion 2 `slots.main.content`, or the older layouts). */
export function slotText(rev: ApiRevision): string | undefined {
  const main = rev.slots?.main;
  return main?.content ?? main?.["*"] ?? rev.content ?? rev["*"];
}

/** The revision's text is hidden by revision deletion. */
export function textHidden(rev: ApiRevision): boolean {
  return Boolean(rev.texthidden || rev.slots?.main?.texthidden);
}
