/**
 * Every error answer of the on-demand API, in one place: LiftWing's and KServe's messages, the
 * mapping from a revision's error code (SCORE_ERROR_CODES, shared/scoring/service.ts) to its HTTP
 * answer (LiftWing single input), to its `instances` item and to its ORES v3 error (revscoring's
 * exception names and messages), and the app's `onError`/`notFound`. Handlers throw hono's
 * HTTPException carrying the finished JSON answer; anything else that escapes is a 500 logged once
 * by the request middleware (functions/api/app.ts). Runtime-agnostic.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ScoreError, ScoreErrorCode } from "../../shared/scoring/service.ts";
import type { Env, Json } from "./context.ts";

/** LiftWing's and KServe's messages. */
export const MSG = {
  notJsonDict: "Please verify that request input is a json dict",
  notWikipedia:
    "This model is not recommended for use in projects outside of Wikipedia (e.g. Wiktionary, Wikinews, etc)",
  missingLang: 'Missing "lang" in input data.',
  missingRevId: 'Missing "rev_id" in input data.',
  langRequired: "The parameter lang is required.",
  revIdRequired: "The parameter rev_id is required.",
  mediawiki:
    "An error happened while fetching info for revision from the MediaWiki API, please contact the ML-Team if the issue persists.",
  unsupportedSchema: (schema: string) =>
    `Unsupported event of schema ${schema}, the lang value cannot be determined.`,
  /** KServe ModelNotFound (404). */
  noModel: (name: string) => `Model with name ${name} does not exist.`,
  /** KServe ModelNotReady (503). */
  notReady: (name: string) => `Model with name ${name} is not ready.`,
  /** KServe's decode of a JSON body that does not parse (400). */
  unrecognized: (why: string) => `Unrecognized request format: ${why}`,
  /** KServe Model.explain without an explainer (501). */
  noExplainer: "Could not find explainer_host.",
  couldNotPredict: (revId: unknown, lang: string, code: string) =>
    `Could not make prediction for revision ${String(revId)} (${lang}). Reason: ${code}`,
  noOutcome: "The scoring service returned no outcome.",
} as const;

/** A finished HTTP answer. */
export interface Answer {
  status: ContentfulStatusCode;
  body: Json;
}

/** The exception a handler throws to answer `body` with `status`. */
export function apiError(status: ContentfulStatusCode, body: Json): HTTPException {
  const first = body.error ?? body.detail;
  const message = typeof first === "string" ? first : JSON.stringify(body);
  return new HTTPException(status, { message, res: Response.json(body, { status }) });
}

/** `{"error": message}`: KServe's InvalidInput / InferenceError / ModelNotFound shape. */
export const errorBody = (message: string, extra: Json = {}): Json => ({ error: message, ...extra });
/** `{"detail": message}`: FastAPI's HTTPException shape (LiftWing's own checks). */
export const detailBody = (message: string, extra: Json = {}): Json => ({ detail: message, ...extra });

export const error = (status: ContentfulStatusCode, message: string, extra?: Json): HTTPException =>
  apiError(status, errorBody(message, extra));
export const detail = (status: ContentfulStatusCode, message: string, extra?: Json): HTTPException =>
  apiError(status, detailBody(message, extra));

/** The answer an HTTPException from apiError carries (for per-item errors of batch inputs). */
export async function answerOf(e: HTTPException): Promise<Answer> {
  return { status: e.status as ContentfulStatusCode, body: (await e.getResponse().json()) as Json };
}

/** An ORES v3 whole-request error: `{"error": {"code", "message"}}`. */
export const oresError = (status: ContentfulStatusCode, code: string, message: string): HTTPException =>
  apiError(status, { error: { code, message } });

// ---------------------------------------------------------------------------------------------
// Revision error codes → answers
// ---------------------------------------------------------------------------------------------

interface CodeAnswers {
  /** Status of a single-input (LiftWing) answer; `unavailable` is 504 instead when the deadline passed. */
  status: 422 | 500 | 503;
  /** The revscoring exception ORES names in `error.type`. */
  oresType: string;
  /** revscoring's message for the revision (`str(exception)` without the type prefix). */
  oresMessage: (revId: number, e: ScoreError) => string;
}

const notFound = (what: string) => (revId: number) => `Could not find ${what}:${revId})`;

/**
 * Every revision error code and what it answers. The data problems are LiftWing's 422s and
 * revscoring's MissingResource errors (RevisionNotFound / TextDeleted / PageNotFound /
 * UserNotFound, with revscoring's datasource names); the others are revrisk's own.
 */
export const REVISION_ERROR_ANSWERS: Readonly<Record<ScoreErrorCode, CodeAnswers>> = {
  revision_missing: {
    status: 422,
    oresType: "RevisionNotFound",
    oresMessage: notFound("revision ({revision}"),
  },
  revision_info_deleted: {
    status: 422,
    oresType: "TextDeleted",
    oresMessage: () => "Text deleted (datasource.revision.text)",
  },
  parent_revision_missing: {
    status: 422,
    oresType: "RevisionNotFound",
    oresMessage: notFound("revision ({revision.parent}"),
  },
  parent_revision_info_deleted: {
    status: 422,
    oresType: "TextDeleted",
    oresMessage: () => "Text deleted (datasource.revision.parent.text)",
  },
  page_missing: { status: 422, oresType: "PageNotFound", oresMessage: notFound("page ({revision.page}") },
  user_missing: {
    status: 422,
    oresType: "UserNotFound",
    oresMessage: notFound("user account ({revision.user}"),
  },
  mediawiki_error: { status: 500, oresType: "MediaWikiError", oresMessage: (_r, e) => e.message },
  mediawiki_unavailable: { status: 500, oresType: "MediaWikiError", oresMessage: (_r, e) => e.message },
  unavailable: { status: 503, oresType: "TimeoutError", oresMessage: (_r, e) => e.message },
  model_error: { status: 500, oresType: "ModelError", oresMessage: (_r, e) => e.message },
};

/** What a failed item becomes: its single-input answer, plus the code and message for batch inputs. */
export interface ItemFailure {
  answer: Answer;
  reason: string;
  retryable: boolean;
  message: string;
}

export function failureOf(answer: Answer, reason = "invalid_input", retryable = false): ItemFailure {
  return { answer, reason, retryable, message: String(answer.body.error ?? answer.body.detail) };
}

/** The LiftWing single-input answer of a revision that could not be scored. */
export function failureAnswer(
  e: ScoreError,
  lang: string,
  echo: unknown,
  timedOut: boolean,
  deadlineMs: number,
): ItemFailure {
  const { code, retryable } = e;
  const extra = { reason: code, retryable };
  const { status } = REVISION_ERROR_ANSWERS[code];
  const rev = `${String(echo)} (${lang})`;
  let answer: Answer;
  if (status === 422) answer = { status, body: detailBody(MSG.couldNotPredict(echo, lang, code), extra) };
  else if (code === "mediawiki_error" || code === "mediawiki_unavailable")
    answer = { status, body: errorBody(MSG.mediawiki, extra) };
  else if (code === "unavailable")
    answer = timedOut
      ? {
          status: 504,
          body: errorBody(
            `Revision ${rev} was not scored within the request deadline of ${deadlineMs} ms.`,
            extra,
          ),
        }
      : { status, body: errorBody(`Revision ${rev} could not be scored now: ${e.message}`, extra) };
  else answer = { status, body: errorBody(`The model failed to score revision ${rev}: ${e.message}`, extra) };
  return failureOf(answer, code, retryable);
}

/** The ORES v3 per-revision error: revscoring's `{type, message: "Type: message"}` plus revrisk's reason/retryable. */
export function oresRevisionError(e: ScoreError, revId: number, timedOut: boolean, deadlineMs: number): Json {
  const a = REVISION_ERROR_ANSWERS[e.code];
  const message =
    e.code === "unavailable" && timedOut
      ? `Not scored within the request deadline of ${deadlineMs} ms.`
      : a.oresMessage(revId, e);
  return { type: a.oresType, message: `${a.oresType}: ${message}`, reason: e.code, retryable: e.retryable };
}

/** The outcome of a service that answered nothing for a revision. */
export const NO_OUTCOME: ScoreError = { code: "model_error", message: MSG.noOutcome, retryable: true };

// ---------------------------------------------------------------------------------------------
// The app's handlers
// ---------------------------------------------------------------------------------------------

/** onError: HTTPExceptions are answers; anything else is a 500 (logged by the request middleware). */
export function onError(e: Error, c: Context<Env>): Response {
  const note = c.get("note");
  if (e instanceof HTTPException) {
    if (e.status >= 500 && note) note.message = e.message;
    return e.getResponse();
  }
  if (note) Object.assign(note, { reason: note.reason ?? "unhandled_error", message: e.message });
  c.set("error", e);
  return c.json(errorBody(e.message), 500);
}

/** FastAPI's 404. */
export const notFoundHandler = (c: Context<Env>): Response => c.json({ detail: "Not Found" }, 404);
/** FastAPI's 405. */
export const methodNotAllowed = (c: Context<Env>): Response => c.json({ detail: "Method Not Allowed" }, 405);
