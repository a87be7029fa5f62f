/**
 * Logs and shutdown of the Node commands: pino on stderr — readable lines (pino-pretty) on a
 * terminal, JSON lines otherwise (containers, CI), both set by --log-format / --log-level (option
 * table) — and one SIGTERM/SIGINT handler that drains before exiting.
 */
import { pino, type Logger } from "pino";
import { setFatalShutdown } from "./process-guards.ts";

export interface LogSettings {
  /** pino level; default info. */
  logLevel?: string;
  /** "json" or "pretty"; default pretty on a terminal, json otherwise. */
  logFormat?: string;
}

export function createLogger(name: string, settings: LogSettings = {}): Logger {
  const level = settings.logLevel ?? "info";
  const format = settings.logFormat ?? (process.stderr.isTTY ? "pretty" : "json");
  if (format === "pretty")
    return pino({
      name,
      level,
      transport: {
        target: "pino-pretty",
        options: { destination: 2, ignore: "pid,hostname", translateTime: "SYS:HH:MM:ss", singleLine: true },
      },
    });
  return pino({ name, level }, pino.destination(2));
}

/**
 * Runs `stop` once on SIGTERM / SIGINT, then exits; a second signal exits at once. `stop` is also
 * what a fatal error runs before exiting (functions/node/process-guards.ts).
 */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  setFatalShutdown(stop);
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, "shutting down: draining in-flight work");
    stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => handler("SIGTERM"));
  process.on("SIGINT", () => handler("SIGINT"));
}
