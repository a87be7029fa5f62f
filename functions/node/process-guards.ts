/**
 * Last-resort handlers of a revrisk process (installed once by bin/revrisk.ts): a rejected promise
 * nobody observed or an exception nobody caught is logged with its stack and the command running,
 * and counted (`revrisk_process_errors_total{kind}` on /metrics, functions/node/metrics.ts).
 *  - unhandledRejection: by default the process carries on — the rejection belongs to work whose
 *    caller has already gone (shared state is not left half-updated the way a throw would leave it),
 *    and ending the process would take ingest, the queue consumers and the sink down for it.
 *    REVRISK_ON_UNHANDLED_REJECTION=exit makes it fatal instead (the test suite sets it for the
 *    processes it spawns, so such a bug fails the tests).
 *  - uncaughtException: the process' state is unknown, so it runs the command's shutdown (bounded)
 *    and exits 1; the supervisor restarts it (docs/deploy.md) and unacknowledged queue messages are
 *    redelivered.
 */
import type { Logger } from "pino";

export type ProcessErrorKind = "unhandled_rejection" | "uncaught_exception";

const counts: Record<ProcessErrorKind, number> = { unhandled_rejection: 0, uncaught_exception: 0 };

/** How many of each this process has met (read by the metrics registry at scrape time). */
export function processErrorCounts(): Readonly<Record<ProcessErrorKind, number>> {
  return counts;
}

let shutdown: (() => Promise<void>) | undefined;

/** The command's graceful stop, run (at most `FATAL_STOP_MS`) before a fatal error exits. */
export function setFatalShutdown(stop: () => Promise<void>): void {
  shutdown = stop;
}

const FATAL_STOP_MS = 10_000;
const INSTALLED = Symbol.for("revrisk.processGuards");

export interface GuardOptions {
  /** What runs (e.g. "serve"), logged with each error. */
  command?: string;
  /** `exit` makes an unhandled rejection fatal (bin/revrisk.ts: REVRISK_ON_UNHANDLED_REJECTION). Default `continue`. */
  onUnhandledRejection?: "continue" | "exit";
  exit?: (code: number) => void;
}

/** Installs the handlers (once per process). */
export function installProcessGuards(log: Pick<Logger, "error" | "fatal">, options: GuardOptions = {}): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  const policy = options.onUnhandledRejection ?? "continue";
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let dying = false;
  const die = () => {
    if (dying) return;
    dying = true;
    const timer = setTimeout(() => exit(1), FATAL_STOP_MS);
    timer.unref();
    (shutdown ? shutdown() : Promise.resolve()).then(
      () => exit(1),
      () => exit(1),
    );
  };
  process.on("unhandledRejection", (reason) => {
    counts.unhandled_rejection++;
    log.error(
      { err: reason, command: options.command, kind: "unhandled_rejection", policy },
      "unhandled promise rejection (a bug: a rejected promise nobody observed)",
    );
    if (policy === "exit") die();
  });
  process.on("uncaughtException", (err, origin) => {
    counts.uncaught_exception++;
    log.fatal(
      { err, origin, command: options.command, kind: "uncaught_exception" },
      "uncaught exception: shutting down (the supervisor restarts the process)",
    );
    die();
  });
}
