/**
 * The pipeline's live numbers (Node): one snapshot — the scorer monitor's last tick (the same object
 * `<data-dir>/status.json` holds, which `revrisk status` reads) plus the ingest counters — read by
 * both `GET /v1/status` (functions/api/dashboard.ts) and the pipeline series of `/metrics`
 * (registered here on the runtime's prom-client registry), so the two always agree.
 */
import { Gauge, type Registry } from "prom-client";
import type { IngestMetrics } from "../../shared/ingest/ingest-app.ts";
import type { Monitor, RatePoint, ScorerStatus } from "../scorer/monitor.ts";

/** What the pipeline reports to `/v1/status` (the API adds the model's health). */
export interface PipelineStatus extends Partial<ScorerStatus> {
  /** Ingest counters (serve only: ingest runs in the same process). */
  ingest?: ReturnType<IngestMetrics["snapshot"]>;
  /** Scored messages per second over the last hour (one point per monitor tick). */
  throughput: readonly RatePoint[];
}

/** The snapshot function handed to the API (`status` option) and to {@link registerStatusMetrics}. */
export function pipelineStatus(o: { monitor: Monitor; ingest?: IngestMetrics }): () => PipelineStatus {
  return () => ({
    ...(o.monitor.snapshot() ?? {}),
    ...(o.ingest ? { ingest: o.ingest.snapshot() } : {}),
    throughput: o.monitor.history(),
  });
}

/** Registers the pipeline series of `/metrics`; each scrape reads `status()`. */
export function registerStatusMetrics(
  registry: Registry,
  status: () => PipelineStatus,
  prefix = "revrisk_",
): void {
  const registers = [registry];
  new Gauge({
    name: `${prefix}pipeline_messages`,
    help: "Queue messages handled by the scorer since start, by outcome (published, skipped, dead_lettered, retry) and reason.",
    labelNames: ["outcome", "reason"] as const,
    registers,
    collect() {
      this.reset();
      for (const [outcome, byReason] of Object.entries(status().outcomes ?? {}))
        for (const [reason, n] of Object.entries(byReason)) this.set({ outcome, reason }, n);
    },
  });
  new Gauge({
    name: `${prefix}queue_messages`,
    help: "Queue depth at the last monitor tick, by state (visible, in_flight, dead).",
    labelNames: ["state"] as const,
    registers,
    collect() {
      this.reset();
      const b = status().backlog;
      if (!b) return;
      this.set({ state: "visible" }, b.visible);
      this.set({ state: "in_flight" }, b.inFlight);
      if (b.dead !== undefined) this.set({ state: "dead" }, b.dead);
    },
  });
  new Gauge({
    name: `${prefix}scorer_workers`,
    help: "Scorer pollers running (workers) and asked for by the autoscaler (target).",
    labelNames: ["kind"] as const,
    registers,
    collect() {
      this.reset();
      const s = status();
      if (s.workers !== undefined) this.set({ kind: "running" }, s.workers);
      if (s.targetWorkers !== undefined) this.set({ kind: "target" }, s.targetWorkers);
    },
  });
  new Gauge({
    name: `${prefix}scorer_rate`,
    help: "Messages finished per second (EWMA, 30 s half-life) at the last monitor tick.",
    registers,
    collect() {
      this.reset();
      const r = status().rate;
      if (r !== undefined) this.set(r);
    },
  });
  new Gauge({
    name: `${prefix}ingest_events`,
    help: "Events seen by the in-process ingest, by outcome, and skipped events by reason.",
    labelNames: ["outcome", "reason"] as const,
    registers,
    collect() {
      this.reset();
      const i = status().ingest;
      if (!i) return;
      for (const [outcome, n] of Object.entries(i.events)) this.set({ outcome, reason: "" }, n);
      for (const [reason, n] of Object.entries(i.skipped)) this.set({ outcome: "skipped", reason }, n);
    },
  });
}
