/**
 * What the MediaWiki client answers when it cannot: the per-revision error codes (data problems and
 * transport failures) and the error of one failed API call. See docs/mediawiki.md.
 */
import type { RevisionData } from "./revision-data.ts";

/**
 * Why a revision's MediaWiki data could not be had: the LiftWing / KI data problems (final; a 422 in
 * the LiftWing-compatible API, docs/api.md) …
 */
export const DATA_ERROR_CODES = [
  "revision_missing",
  "revision_info_deleted",
  "parent_revision_missing",
  "parent_revision_info_deleted",
  "page_missing",
  "user_missing",
] as const;
export type RevisionDataErrorCode = (typeof DATA_ERROR_CODES)[number];
/**
 * … and the transport errors, after retries: `mediawiki_unavailable` (timeouts, network errors, 429,
 * 5xx, maxlag…: worth retrying later) and `mediawiki_error` (4xx, API errors, unreadable responses: not).
 */
export const TRANSPORT_ERROR_CODES = ["mediawiki_unavailable", "mediawiki_error"] as const;
export type RevisionTransportErrorCode = (typeof TRANSPORT_ERROR_CODES)[number];
export type RevisionErrorCode = RevisionDataErrorCode | RevisionTransportErrorCode;

export type TransportErrorKind = "timeout" | "network" | "http" | "api" | "bad_response" | "aborted";

/** A failed MediaWiki call (after the retries, if it was retryable). */
export class MediaWikiTransportError extends Error {
  override readonly name = "MediaWikiTransportError";
  readonly kind: TransportErrorKind;
  readonly retryable: boolean;
  readonly host: string;
  /** HTTP status, when a response came. */
  readonly status?: number;
  /** MediaWiki `error.code`, for kind "api". */
  readonly apiCode?: string;
  /** Retry-After, in ms, when the server sent one. */
  readonly retryAfterMs?: number;
  /** Attempts made (1 + retries used). */
  attempts = 1;
  constructor(
    kind: TransportErrorKind,
    message: string,
    init: {
      host: string;
      retryable: boolean;
      status?: number;
      apiCode?: string;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = kind;
    this.host = init.host;
    this.retryable = init.retryable;
    this.status = init.status;
    this.apiCode = init.apiCode;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export interface RevisionError {
  code: RevisionErrorCode;
  revId: number;
  message: string;
  /** true only for `mediawiki_unavailable`: the same request may succeed later. */
  retryable: boolean;
  /** Details of the failed call, for transport errors. */
  transport?: { kind: TransportErrorKind; status?: number; apiCode?: string; attempts: number };
}

export type RevisionResult =
  { ok: true; revId: number; data: RevisionData } | { ok: false; revId: number; error: RevisionError };
