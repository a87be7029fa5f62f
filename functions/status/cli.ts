/**
 * `revrisk status`: the scoring backlog and how fast it drains.
 *
 *  - backlog: visible / in-flight / dead-letter counts of the configured queue (embedded SQLite
 *    file under --data-dir, or SQS with --queue-url [--dlq-url]);
 *  - workers and rate: from the status file the serve/scorer process rewrites every few seconds,
 *    `<data-dir>/status.json` = `{workers, rate, updatedAt, …}` (rate: messages finished per
 *    second), or from `--status-url` (an HTTP endpoint returning the same JSON);
 *  - ETA: backlog ÷ rate;
 *  - backfills: the checkpoints under `<data-dir>/backfill/`.
 *  `--watch [seconds]` refreshes; `--json` prints one JSON object (a line per refresh).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { openQueue } from "../node/queue.ts";
import { addOptions } from "../node/options.ts";
import type { Queue, QueueDepth } from "../../shared/queue/queue.ts";
import { formatDuration } from "../../shared/backfill/progress.ts";
import type { Checkpoint } from "../backfill/checkpoint.ts";
import type { ScorerStatus } from "../scorer/monitor.ts";

export interface StatusReport {
  queue: { kind: string; depth?: QueueDepth; error?: string };
  workers?: {
    count: number;
    rate: number;
    updatedAt: string;
    stale: boolean;
    source: string;
    /** What the process finished since it started, when its status file says (published, skipped, dead-lettered). */
    finished?: { published: number; skipped: number; deadLettered: number };
  };
  /** Seconds until the backlog (visible + in flight) is drained at the current rate. */
  etaS?: number;
  backfills: Array<{ file: string; source: string; done: number; completed: boolean; updatedAt: string }>;
  at: string;
}

export interface StatusOptions {
  queueUrl?: string;
  dlqUrl?: string;
  sqsEndpoint?: string;
  awsRegion?: string;
  dataDir: string;
  statusFile?: string;
  statusUrl?: string;
  /** Status older than this is reported stale (no worker running). Default 30 s. */
  staleAfterS?: number;
}

async function readWorkerStatus(
  o: StatusOptions,
): Promise<{ status?: ScorerStatus; source: string; error?: string }> {
  if (o.statusUrl) {
    try {
      const res = await fetch(o.statusUrl, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) return { source: o.statusUrl, error: `HTTP ${res.status}` };
      return { status: (await res.json()) as ScorerStatus, source: o.statusUrl };
    } catch (e) {
      return { source: o.statusUrl, error: (e as Error).message };
    }
  }
  const file = o.statusFile ?? join(o.dataDir, "status.json");
  if (!existsSync(file)) return { source: file, error: "no status file (no scorer running here?)" };
  try {
    return { status: JSON.parse(readFileSync(file, "utf8")) as ScorerStatus, source: file };
  } catch (e) {
    return { source: file, error: `unreadable: ${(e as Error).message}` };
  }
}

function readBackfills(dataDir: string): StatusReport["backfills"] {
  const dir = join(dataDir, "backfill");
  if (!existsSync(dir)) return [];
  const out: StatusReport["backfills"] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".checkpoint.json"))) {
    try {
      const cp = JSON.parse(readFileSync(join(dir, f), "utf8")) as Checkpoint;
      const s = cp.source;
      out.push({
        file: f,
        source: s.kind === "api" ? `api ${s.wiki} ${s.from}..${s.to}` : `${s.kind} ${s.path}`,
        done: cp.counters.done,
        completed: cp.completed,
        updatedAt: cp.updatedAt,
      });
    } catch {
      // a checkpoint being rewritten; skip this round
    }
  }
  return out;
}

/** Collects one status report. `queue` may be given (tests); else opened from the options. */
export async function collectStatus(
  o: StatusOptions,
  queue?: Queue,
  now = new Date(),
): Promise<StatusReport> {
  const report: StatusReport = {
    queue: { kind: o.queueUrl ? "sqs" : "embedded" },
    backfills: [],
    at: now.toISOString(),
  };
  let q = queue;
  let opened = false;
  try {
    if (!q) {
      if (!o.queueUrl && !existsSync(join(o.dataDir, "queue.sqlite")))
        throw new Error(
          `no embedded queue at ${join(o.dataDir, "queue.sqlite")} (pass --data-dir or --queue-url)`,
        );
      q = openQueue({
        queueUrl: o.queueUrl,
        dlqUrl: o.dlqUrl,
        sqsEndpoint: o.sqsEndpoint,
        awsRegion: o.awsRegion,
        dataDir: o.dataDir,
      });
      opened = true;
    }
    report.queue.kind = q.kind;
    report.queue.depth = await q.depth();
  } catch (e) {
    report.queue.error = (e as Error).message;
  } finally {
    if (opened) await q?.close();
  }
  const ws = await readWorkerStatus(o);
  if (ws.status) {
    const age = (now.getTime() - Date.parse(ws.status.updatedAt)) / 1000;
    const stale = !(age <= (o.staleAfterS ?? 30));
    report.workers = {
      count: stale ? 0 : Number(ws.status.workers) || 0,
      rate: stale ? 0 : Number(ws.status.rate) || 0,
      updatedAt: ws.status.updatedAt,
      stale,
      source: ws.source,
      ...(typeof ws.status.deadLettered === "number"
        ? {
            finished: {
              published: Number(ws.status.published) || 0,
              skipped: Number(ws.status.skipped) || 0,
              deadLettered: ws.status.deadLettered,
            },
          }
        : {}),
    };
  }
  const d = report.queue.depth;
  if (d && report.workers && report.workers.rate > 0)
    report.etaS = (d.visible + d.inFlight) / report.workers.rate;
  report.backfills = readBackfills(o.dataDir);
  return report;
}

export function renderStatus(r: StatusReport, o: StatusOptions): string {
  const lines: string[] = [];
  const d = r.queue.depth;
  if (d)
    lines.push(
      `backlog (${r.queue.kind}): ${d.visible} waiting, ${d.inFlight} in flight, ${d.dead ?? "?"} dead-lettered`,
    );
  else lines.push(`backlog (${r.queue.kind}): unavailable: ${r.queue.error}`);
  if (r.workers) {
    lines.push(
      r.workers.stale
        ? `workers: none reporting (last status ${r.workers.updatedAt} in ${r.workers.source})`
        : `workers: ${r.workers.count}, ${r.workers.rate.toFixed(1)} msg/s`,
    );
    const f = r.workers.finished;
    if (f)
      lines.push(
        `finished since start: ${f.published} published, ${f.skipped} skipped, ${f.deadLettered} dead-lettered`,
      );
  } else
    lines.push(
      `workers: unknown (no status at ${o.statusUrl ?? o.statusFile ?? join(o.dataDir, "status.json")})`,
    );
  if (d) {
    const backlog = d.visible + d.inFlight;
    lines.push(
      backlog === 0
        ? "ETA: nothing queued"
        : r.etaS !== undefined
          ? `ETA: ${formatDuration(r.etaS)} for ${backlog} messages`
          : `ETA: unknown (${backlog} messages, no throughput reported)`,
    );
  }
  for (const b of r.backfills)
    lines.push(
      `backfill ${b.source}: ${b.done} done, ${b.completed ? "complete" : "resumable"} (${b.updatedAt})`,
    );
  return lines.join("\n");
}

export function register(program: Command): void {
  const cmd = program
    .command("status")
    .description("show the scoring backlog (queue depth, DLQ), workers, rate, ETA and backfill checkpoints");
  addOptions(
    cmd,
    "group:queue",
    "dataDir",
    "statusFile",
    "statusUrl",
    "watch",
    "json",
    "group:logging",
  ).action(async (o: StatusOptions & { watch?: number | boolean; json?: boolean }) => {
    const every = o.watch === undefined || o.watch === false ? 0 : o.watch === true ? 2 : o.watch;
    const once = async () => {
      const r = await collectStatus(o);
      if (o.json) process.stdout.write(JSON.stringify(r) + "\n");
      else {
        if (every && process.stdout.isTTY) process.stdout.write("\x1b[2J\x1b[H");
        process.stdout.write(
          `${renderStatus(r, o)}\n${every ? `(${r.at}, every ${every}s; Ctrl-C to stop)\n` : ""}`,
        );
      }
      return r;
    };
    const r = await once();
    if (!every) {
      if (r.queue.error) process.exitCode = 1;
      return;
    }
    const timer = setInterval(
      () => once().catch((err: unknown) => console.error(`revrisk status: ${(err as Error).message}`)),
      every * 1000,
    );
    process.once("SIGINT", () => {
      clearInterval(timer);
      process.exit(0);
    });
  });
}
