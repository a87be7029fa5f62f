/**
 * `revrisk backfill`: enqueue (or, for XML dumps, score in-process) past revisions. See
 * docs/backfill.md and functions/backfill/run.ts.
 *
 *   revrisk backfill revisions.csv                       # wiki,rev_id rows (CSV/TSV/JSONL)
 *   revrisk backfill --wiki enwiki --from 2026-10-01 --to 2026-11-01
 *   revrisk backfill enwiki-20261101-pages-meta-history1.xml.bz2 --eventgate-url http://…/v1/events
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import { openQueue } from "../node/queue.ts";
import { addOptions } from "../node/options.ts";
import { createLogger, type LogSettings } from "../node/logger.ts";
import {
  createRuntime,
  mediawikiClientOptions,
  runtimeOptions,
  type MediaWikiSettings,
} from "../node/runtime.ts";
import { EventGateClient } from "../../shared/pipeline/eventgate-client.ts";
import { checkEventGate } from "../../shared/pipeline/publisher.ts";
import { MediaWikiClient } from "../../shared/mediawiki/client.ts";
import { formatDuration, type ProgressSnapshot } from "../../shared/backfill/progress.ts";
import { runBackfill, type BackfillReport, type BackfillSource } from "./run.ts";
import { BackfillInputError } from "./source.ts";
import { supportedWikis } from "../ingest/node.ts";

/** The part of cli-progress (no bundled types) used here. */
interface CliProgressBar {
  start(total: number, value: number, payload?: Record<string, unknown>): void;
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}
interface CliProgressModule {
  SingleBar: new (options: Record<string, unknown>, preset?: unknown) => CliProgressBar;
  Presets: { shades_classic: unknown };
}

interface ProgressReporter {
  update(p: ProgressSnapshot): void;
  stop(): void;
}

/**
 * A cli-progress bar with rate and ETA on a TTY; otherwise a log line every `intervalMs`
 * (`backfill: 12345 done, 67 skipped, 450.2/s, 34.5%, ETA 1h02m`).
 */
function progressReporter(options: {
  tty: boolean;
  log: (line: string) => void;
  intervalMs?: number;
  stream?: NodeJS.WritableStream;
}): ProgressReporter {
  const line = (p: ProgressSnapshot) =>
    `backfill: ${p.done} done, ${p.skipped} skipped, ${p.rate.toFixed(1)}/s` +
    (p.fraction !== undefined ? `, ${(p.fraction * 100).toFixed(1)}%, ETA ${formatDuration(p.etaS)}` : "");
  if (!options.tty) {
    const interval = options.intervalMs ?? 10_000;
    let last = 0;
    let latest: ProgressSnapshot | undefined;
    return {
      update(p) {
        latest = p;
        if (Date.now() - last >= interval) {
          last = Date.now();
          options.log(line(p));
        }
      },
      stop() {
        if (latest) options.log(line(latest));
      },
    };
  }
  const require = createRequire(import.meta.url);
  const cp = require("cli-progress") as CliProgressModule;
  const bar = new cp.SingleBar(
    {
      format: "backfill [{bar}] {pct} | {done} done, {skipped} skipped | {rate}/s | ETA {eta_h}",
      hideCursor: true,
      stream: options.stream ?? process.stderr,
      etaBuffer: 50,
    },
    cp.Presets.shades_classic,
  );
  let started = false;
  const payload = (p: ProgressSnapshot) => ({
    pct: p.fraction !== undefined ? `${(p.fraction * 100).toFixed(1)}%` : "?",
    done: p.done,
    skipped: p.skipped,
    rate: p.rate.toFixed(1),
    eta_h: formatDuration(p.etaS),
  });
  return {
    update(p) {
      const v = Math.round((p.fraction ?? 0) * 1000);
      if (!started) {
        bar.start(1000, v, payload(p));
        started = true;
      } else bar.update(v, payload(p));
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

const DUMP_RE = /\.xml(\.gz|\.bz2)?$/i;

/** The default checkpoint file of a source: `<data-dir>/backfill/<name>.checkpoint.json`. */
function defaultCheckpointPath(dataDir: string, source: BackfillSource): string {
  let name: string;
  if (source.kind === "api") name = `${source.wiki}-${source.from}-${source.to}`.replace(/[^\w.-]+/g, "_");
  else {
    const h = createHash("sha1").update(resolve(source.path)).digest("hex").slice(0, 8);
    name = `${basename(source.path).replace(/[^\w.-]+/g, "_")}-${h}`;
  }
  return join(dataDir, "backfill", `${name}.checkpoint.json`);
}

interface BackfillCliOptions extends MediaWikiSettings, LogSettings {
  precision?: "fp32" | "int8";
  featurizerThreads?: number;
  wiki?: string;
  from?: string;
  to?: string;
  checkpoint?: string;
  restart?: boolean;
  dryRun?: boolean;
  batchSize?: number;
  concurrency: number;
  namespaces: string;
  keepPageCreations?: boolean;
  allowTestwiki?: boolean;
  skipInvalid?: boolean;
  queueUrl?: string;
  dlqUrl?: string;
  sqsEndpoint?: string;
  awsRegion?: string;
  dataDir: string;
  model: string;
  provider: string;
  eventgateUrl?: string;
  eventgateStream: string;
  schemaVersion: string;
  withFeatures?: boolean;
  userGroups: boolean;
  tags: boolean;
  progress: "auto" | "bar" | "log" | "none";
  logInterval: number;
}

function sourceOf(file: string | undefined, o: BackfillCliOptions): BackfillSource {
  if (file && DUMP_RE.test(file)) return { kind: "dump", path: file, wiki: o.wiki, from: o.from, to: o.to };
  if (file) {
    if (o.wiki || o.from || o.to)
      throw new BackfillInputError(
        "--wiki/--from/--to enumerate the API; do not combine them with a list file",
      );
    return { kind: "file", path: file };
  }
  if (!o.wiki || !o.from || !o.to)
    throw new BackfillInputError(
      "give a list file (wiki,rev_id rows), an XML dump (.xml, .xml.gz, .xml.bz2), or --wiki, --from and --to",
    );
  return { kind: "api", wiki: o.wiki, from: o.from, to: o.to };
}

function summary(r: BackfillReport): string {
  const parts = [
    `${r.dryRun ? "would process" : r.source.kind === "dump" ? "scored" : "enqueued"} ${r.run.done}`,
  ];
  const sk = Object.entries(r.run.skipped);
  if (sk.length) parts.push(`skipped ${sk.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  const fl = Object.entries(r.run.failed);
  if (fl.length) parts.push(`failed ${fl.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  if (r.resumed) parts.push(`total with earlier runs ${r.counters.done}`);
  parts.push(`in ${formatDuration(r.durationS)}`);
  return `backfill ${r.completed ? "complete" : "interrupted"}: ${parts.join("; ")}`;
}

/** Runs the command; returns the exit code (0 complete, 130 interrupted, 1 error). */
async function backfillCommand(
  file: string | undefined,
  o: BackfillCliOptions,
  io: { log: (l: string) => void; signal?: AbortSignal; tty?: boolean } = { log: (l) => console.error(l) },
): Promise<number> {
  const closers: Array<() => Promise<void>> = [];
  let reporter: ProgressReporter | undefined;
  let checkpointPath: string | undefined;
  try {
    const source = sourceOf(file, o);
    const namespaces = o.namespaces.split(",").map((n) => {
      const v = Number(n.trim());
      if (!Number.isInteger(v))
        throw new BackfillInputError(`--namespaces: ${JSON.stringify(n)} is not a namespace number`);
      return v;
    });
    const client = new MediaWikiClient(mediawikiClientOptions(o));
    checkpointPath = o.checkpoint ?? defaultCheckpointPath(o.dataDir, source);
    const mode = o.progress === "auto" ? ((io.tty ?? process.stderr.isTTY) ? "bar" : "log") : o.progress;
    reporter =
      mode === "none"
        ? undefined
        : progressReporter({ tty: mode === "bar", log: io.log, intervalMs: o.logInterval * 1000 });
    const common = {
      source,
      checkpointPath,
      restart: o.restart,
      dryRun: o.dryRun,
      batchSize: o.batchSize,
      concurrency: o.concurrency,
      namespaces,
      keepPageCreations: o.keepPageCreations,
      allowTestwiki: o.allowTestwiki,
      skipInvalid: o.skipInvalid,
      signal: io.signal,
      onProgress: (p: ProgressSnapshot) => reporter?.update(p),
      log: io.log,
    };
    let report: BackfillReport;
    if (source.kind === "dump" && !o.dryRun) {
      if (!o.eventgateUrl)
        throw new BackfillInputError(
          "--eventgate-url (or EVENTGATE_URL) is required for a dump: its revisions are scored here and the prediction events POSTed there",
        );
      const log = createLogger("backfill", o);
      const sink = new EventGateClient({ url: o.eventgateUrl });
      await checkEventGate(sink, { stream: o.eventgateStream, schemaVersion: o.schemaVersion }, (reason) =>
        log.warn({ reason }, "EventGate unreachable at start-up"),
      );
      const runtime = await createRuntime(runtimeOptions(o, log));
      closers.push(() => runtime.close());
      report = await runBackfill({
        ...common,
        service: runtime.service,
        client: runtime.mediawiki,
        userGroups: o.userGroups,
        tags: o.tags,
        sink,
        predictionOptions: { stream: o.eventgateStream, schemaVersion: o.schemaVersion },
        featuresFile: o.withFeatures
          ? join(o.dataDir, "features", `${basename(checkpointPath, ".checkpoint.json")}.jsonl`)
          : undefined,
      });
    } else {
      const queue = o.dryRun
        ? undefined
        : openQueue({
            queueUrl: o.queueUrl,
            dlqUrl: o.dlqUrl,
            sqsEndpoint: o.sqsEndpoint,
            awsRegion: o.awsRegion,
            dataDir: o.dataDir,
          });
      if (queue) closers.push(() => queue.close());
      // The model's supported wikis, as ingest takes them (a dump uses its scoring service's).
      report = await runBackfill({ ...common, queue, client, wikis: supportedWikis(o.model).wikis });
    }
    reporter?.stop();
    io.log(summary(report));
    if (!report.completed && !report.dryRun)
      io.log(`backfill: rerun the same command to resume (checkpoint ${checkpointPath})`);
    return report.completed ? 0 : 130;
  } catch (e) {
    reporter?.stop();
    io.log(`revrisk backfill: ${(e as Error).message}`);
    if (!(e instanceof BackfillInputError) && !o.dryRun)
      io.log(`backfill: the checkpoint (${checkpointPath}) holds the work done; rerun to resume`);
    return 1;
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  }
}

export function register(program: Command): void {
  addOptions(
    program
      .command("backfill")
      .argument(
        "[input]",
        "list file of wiki,rev_id rows (CSV, TSV, JSON Lines) or an XML dump (.xml, .xml.gz, .xml.bz2)",
      )
      .description(
        "reprocess past revisions: enqueue them for scoring (list file, or --wiki/--from/--to through the MediaWiki API), or score an XML dump in-process and POST the events to EventGate; resumable",
      ),
    "wiki",
    "from",
    "to",
    "checkpoint",
    "restart",
    "dryRun",
    "batchSize",
    "concurrency",
    "namespaces",
    "keepPageCreations",
    "allowTestwiki",
    "skipInvalid",
    "group:queue",
    "dataDir",
    "group:runtime",
    "eventgateUrl",
    "eventgateStream",
    "schemaVersion",
    "withFeatures",
    "userGroups",
    "tags",
    "progress",
    "logInterval",
  ).action(async (input: string | undefined, o: BackfillCliOptions) => {
    const controller = new AbortController();
    let interrupted = false;
    const onSignal = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      console.error("\nbackfill: stopping after the work in flight (press Ctrl-C again to quit at once)…");
      controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      process.exitCode = await backfillCommand(input, o, {
        log: (l) => console.error(l),
        signal: controller.signal,
      });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  });
}
