/**
 * Request deadlines of the on-demand API: the client's `X-Request-Deadline-Ms` header, a service
 * call bounded by it and by the client's connection (partial outcomes kept, the rest answered as
 * `unavailable`, so a request never hangs), and a plain promise timeout for event emission.
 * Runtime-agnostic.
 */
import type { Context } from "hono";
import type { HTTPException } from "hono/http-exception";
import type { RevisionOutcome } from "../../shared/scoring/service.ts";
import { DEADLINE_HEADER, type ApiContext, type Env } from "./context.ts";
import { error } from "./errors.ts";

/** The request's deadline in ms: the header's, else the configured default; `invalid` (a 400) for a bad header. */
export function deadlineOf(
  ctx: ApiContext,
  c: Context<Env>,
  invalid: (message: string) => HTTPException = (m) => error(400, m),
): number {
  const h = c.req.header(DEADLINE_HEADER);
  if (h === undefined) return ctx.config.defaultDeadlineMs;
  const s = h.trim();
  if (!/^[0-9]{1,9}$/.test(s) || Number(s) <= 0)
    throw invalid(`Invalid ${DEADLINE_HEADER} header: expected a positive integer number of milliseconds.`);
  return Number(s);
}

class DeadlineExceeded extends Error {
  readonly ms: number;
  constructor(ms: number) {
    super(`deadline of ${ms} ms exceeded`);
    this.ms = ms;
  }
}

/**
 * Runs a service call under the deadline and the client's connection: on timeout the service is
 * aborted and given `abortGraceMs` to return partial outcomes; a service that does not answer in
 * time gets `unavailable` for every item, so the request never hangs. Each outcome is counted in
 * the metrics.
 */
export async function withDeadline(
  ctx: ApiContext,
  c: Context<Env>,
  deadlineMs: number,
  items: ReadonlyArray<{ lang: string; revId: number }>,
  call: (signal: AbortSignal) => Promise<RevisionOutcome[]>,
): Promise<{ outcomes: RevisionOutcome[]; timedOut: boolean }> {
  const r = await underDeadline(ctx, c, deadlineMs, items, call);
  for (const o of r.outcomes) ctx.metrics.scoreOutcome(o.ok ? "ok" : o.error.code);
  return r;
}

async function underDeadline(
  ...[ctx, c, deadlineMs, items, call]: Parameters<typeof withDeadline>
): Promise<{ outcomes: RevisionOutcome[]; timedOut: boolean }> {
  const ctrl = new AbortController();
  const client = c.req.raw.signal as AbortSignal | undefined;
  const signal = client ? AbortSignal.any([ctrl.signal, client]) : ctrl.signal;
  const unavailable = (): RevisionOutcome[] =>
    items.map((it) => ({
      ok: false,
      lang: it.lang,
      revId: it.revId,
      error: {
        code: "unavailable",
        message: `not scored within the request deadline of ${deadlineMs} ms`,
        retryable: true,
      },
    }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let grace: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  // Resolves when the deadline passes or the client goes away.
  const aborted = new Promise<"aborted">((resolve) => {
    if (signal.aborted) resolve("aborted");
    signal.addEventListener("abort", () => resolve("aborted"), { once: true });
    timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new DeadlineExceeded(deadlineMs));
    }, deadlineMs);
  });
  const pending = Promise.resolve().then(() => call(signal));
  try {
    const first = await Promise.race([pending, aborted]);
    if (first !== "aborted") return { outcomes: first, timedOut };
    const late = await Promise.race([
      pending,
      new Promise<"late">((resolve) => {
        grace = setTimeout(() => resolve("late"), ctx.config.abortGraceMs);
      }),
    ]);
    if (late === "late") {
      pending.catch((e) =>
        ctx.log.warn({ err: e, requestId: c.get("requestId") }, "scoring failed after its deadline"),
      );
      return { outcomes: unavailable(), timedOut };
    }
    return { outcomes: late, timedOut };
  } catch (e) {
    if (signal.aborted) return { outcomes: unavailable(), timedOut };
    throw e;
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
  }
}

/** Rejects when `p` has not settled after `ms`; a late rejection of `p` is swallowed. */
export function withTimeout<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  p.catch(() => {});
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`event emission did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
