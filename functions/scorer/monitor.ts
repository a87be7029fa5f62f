/**
 * The scorer's monitor (Node): counts finished messages, measures the rate (EWMA), reads the queue
 * depth, optionally applies the autoscaling policy to the poller pool, and writes
 * `<data-dir>/status.json` for `revrisk status`. Its {@link Monitor.snapshot} is also what `/v1/status`
 * and the pipeline gauges of `/metrics` read (functions/node/live-status.ts): one source for all three.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { createAutoscaler, ewma, type ScalingConfig } from "../../shared/pipeline/autoscaling.ts";
import type { Queue } from "../../shared/queue/queue.ts";
import type { ScorerWorker } from "./node.ts";

/** `<data-dir>/status.json`, rewritten by serve / scorer every few seconds; `revrisk status` reads it. */
export interface ScorerStatus {
  workers: number;
  backlog: { visible: number; inFlight: number; dead?: number };
  /** Messages finished per second (EWMA, 30 s half-life). */
  rate: number;
  published: number;
  skipped: number;
  /** Messages this process moved to the dead-letter queue (rejected events, last deliveries, malformed). */
  deadLettered: number;
  /** Messages whose outcome is final: published + skipped + deadLettered. */
  finished: number;
  /** Finished and retried messages by outcome, then reason (e.g. skipped → namespace). */
  outcomes: Record<string, Record<string, number>>;
  /** What the autoscaler asked for at the last tick (= workers without autoscaling). */
  targetWorkers: number;
  /** Time from the start of a message's processing to its outcome, over the last 1,000 messages. */
  latencyMs?: { p50: number; p99: number; n: number };
  updatedAt: string;
  pid: number;
}

const LATENCY_WINDOW = 1000;

/** p50 and p99 (nearest rank) of the durations, rounded to the millisecond. */
export function percentiles(ms: readonly number[]): { p50: number; p99: number; n: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  return { p50: at(0.5), p99: at(0.99), n: sorted.length };
}

/** One point of the throughput history: seconds since the epoch, messages finished per second. */
export type RatePoint = [t: number, rate: number];

export interface Monitor {
  /** Pass as the scorer worker's `count` option. */
  count(outcome: string, reason: string): void;
  /** Pass as the scorer worker's `timed` option. */
  timed(ms: number): void;
  readonly finished: number;
  readonly published: number;
  readonly skipped: number;
  readonly deadLettered: number;
  /** The status of the last tick (undefined before the first). */
  snapshot(): ScorerStatus | undefined;
  /** The rate at each tick over the last hour, oldest first. */
  history(): readonly RatePoint[];
  stop(): void;
}

export function startMonitor(o: {
  queue: Queue;
  worker: () => ScorerWorker | undefined;
  statusPath: string;
  log: Logger;
  /** Apply the autoscaling policy to the worker's poller pool. */
  scaling?: ScalingConfig;
  everyMs?: number;
}): Monitor {
  let finished = 0;
  let published = 0;
  let skipped = 0;
  let deadLettered = 0;
  let rate = 0;
  let lastFinished = 0;
  let lastT = performance.now() / 1000;
  const outcomes: Record<string, Record<string, number>> = {};
  let last: ScorerStatus | undefined;
  let target: number | undefined;
  const history: RatePoint[] = [];
  const durations: number[] = [];
  const scaler = o.scaling ? createAutoscaler(o.scaling, o.scaling.minWorkers) : undefined;
  mkdirSync(dirname(o.statusPath), { recursive: true });
  const tick = setInterval(async () => {
    const worker = o.worker();
    if (!worker) return;
    try {
      const now = performance.now() / 1000;
      rate = ewma(rate, (finished - lastFinished) / Math.max(1e-3, now - lastT), now - lastT, 30) ?? rate;
      lastFinished = finished;
      lastT = now;
      const depth = await o.queue.depth();
      if (scaler) {
        const d = scaler.step({
          now,
          visible: depth.visible,
          inFlight: depth.inFlight,
          throughputPerWorker: worker.pollers() ? rate / worker.pollers() : undefined,
        });
        target = d.workers;
        if (d.workers !== worker.pollers()) {
          o.log.info(
            { from: worker.pollers(), to: d.workers, reason: d.reason, backlog: depth },
            "scaling scorer pollers",
          );
          await worker.setPollers(d.workers);
        }
      }
      const status: ScorerStatus = {
        workers: worker.pollers(),
        backlog: depth,
        rate,
        published,
        skipped,
        deadLettered,
        finished,
        outcomes: structuredClone(outcomes),
        targetWorkers: target ?? worker.pollers(),
        ...(durations.length ? { latencyMs: percentiles(durations) } : {}),
        updatedAt: new Date().toISOString(),
        pid: process.pid,
      };
      last = status;
      history.push([Date.now() / 1000, rate]);
      while (history.length && history[0]![0] < Date.now() / 1000 - 3600) history.shift();
      writeFileSync(o.statusPath + ".tmp", JSON.stringify(status));
      renameSync(o.statusPath + ".tmp", o.statusPath);
    } catch (err) {
      o.log.warn({ err: String(err) }, "status/autoscaling tick failed");
    }
  }, o.everyMs ?? 2000);
  return {
    timed(ms) {
      durations.push(ms);
      if (durations.length > LATENCY_WINDOW) durations.shift();
    },
    count(outcome, reason) {
      const byReason = (outcomes[outcome] ??= {});
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      if (outcome === "retry") return;
      finished++;
      if (outcome === "published") published++;
      if (outcome === "skipped") skipped++;
      if (outcome === "dead_lettered") deadLettered++;
    },
    get finished() {
      return finished;
    },
    get published() {
      return published;
    },
    get skipped() {
      return skipped;
    },
    get deadLettered() {
      return deadLettered;
    },
    snapshot: () => last,
    history: () => history,
    stop: () => clearInterval(tick),
  };
}
