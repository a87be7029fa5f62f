/**
 * The scorer's monitor (Node): counts finished messages, measures the rate (EWMA), reads the queue
 * depth, optionally applies the autoscaling policy to the poller pool, and writes
 * `<data-dir>/status.json` for `revrisk status`.
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
  updatedAt: string;
  pid: number;
}

export interface Monitor {
  /** Pass as the scorer worker's `count` option. */
  count(outcome: string, reason: string): void;
  readonly finished: number;
  readonly published: number;
  readonly skipped: number;
  readonly deadLettered: number;
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
        updatedAt: new Date().toISOString(),
        pid: process.pid,
      };
      writeFileSync(o.statusPath + ".tmp", JSON.stringify(status));
      renameSync(o.statusPath + ".tmp", o.statusPath);
    } catch (err) {
      o.log.warn({ err: String(err) }, "status/autoscaling tick failed");
    }
  }, o.everyMs ?? 2000);
  return {
    count(outcome) {
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
    stop: () => clearInterval(tick),
  };
}
