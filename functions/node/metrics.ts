/**
 * The prom-client implementation of the metrics facade (functions/api/metrics.ts): callers (the HTTP
 * API, the scoring service, the event emitter) record through the `Metrics` interface only, so
 * runtime-agnostic code never loads prom-client; {@link createMetrics} builds the implementation whose
 * registry the Node adapter serves at `/metrics`.
 *
 * Who records what: the HTTP API records requests, batch sizes, score outcomes, unsupported languages
 * and event emissions; the MediaWiki client (or the scoring service around it) records MediaWiki
 * fetch latency and errors.
 *
 * Label values are bounded: routes are route patterns (never raw paths), languages are canonical
 * Wikipedia codes (validated before they are recorded), outcomes and codes are small enums.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Metrics } from "../api/metrics.ts";
import { processErrorCounts } from "./process-guards.ts";

export interface MetricsOptions {
  /** Metric name prefix. Default "revrisk_". */
  prefix?: string;
  /** Also collect prom-client's process/Node.js default metrics. Default false. */
  defaultMetrics?: boolean;
  /** Registry to register into. Default: a new one. */
  registry?: Registry;
  /** Labels added to every metric (e.g. {instance: "gpu-0"}). */
  defaultLabels?: Record<string, string>;
}

export interface PromMetrics extends Metrics {
  readonly registry: Registry;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 50, 64, 128, 256];

/** The prom-client implementation of {@link Metrics}. */
export function createMetrics(options: MetricsOptions = {}): PromMetrics {
  const prefix = options.prefix ?? "revrisk_";
  const registry = options.registry ?? new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix });
  const registers = [registry];

  const requests = new Counter({
    name: `${prefix}http_requests_total`,
    help: "HTTP requests answered, by route pattern, method and status.",
    labelNames: ["route", "method", "status"] as const,
    registers,
  });
  const latency = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: "HTTP request latency in seconds, by route pattern, method and status.",
    labelNames: ["route", "method", "status"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const batch = new Histogram({
    name: `${prefix}request_batch_size`,
    help: "Revisions asked for in one request, by input kind.",
    labelNames: ["source"] as const,
    buckets: BATCH_BUCKETS,
    registers,
  });
  const outcomes = new Counter({
    name: `${prefix}scores_total`,
    help: 'Revisions scored by outcome ("ok" or an error code).',
    labelNames: ["outcome"] as const,
    registers,
  });
  const unsupported = new Counter({
    name: `${prefix}unsupported_language_scores_total`,
    help: "Revisions of canonical wikis outside the model's supported_wikis, by language.",
    labelNames: ["lang"] as const,
    registers,
  });
  const mwLatency = new Histogram({
    name: `${prefix}mediawiki_fetch_duration_seconds`,
    help: "MediaWiki Action API call latency in seconds, by outcome.",
    labelNames: ["outcome"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const mwErrors = new Counter({
    name: `${prefix}mediawiki_errors_total`,
    help: "MediaWiki failures after retries, by kind.",
    labelNames: ["kind"] as const,
    registers,
  });
  const events = new Counter({
    name: `${prefix}prediction_events_total`,
    help: "Prediction events emitted after event-input scores, by outcome.",
    labelNames: ["outcome"] as const,
    registers,
  });
  new Counter({
    name: `${prefix}process_errors_total`,
    help: "Unhandled promise rejections and uncaught exceptions this process met (each one a bug; functions/node/process-guards.ts).",
    labelNames: ["kind"] as const,
    registers,
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(processErrorCounts())) this.inc({ kind }, n);
    },
  });

  return {
    registry,
    httpRequest(route, method, status, seconds) {
      const labels = { route, method, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    batchSize(source, size) {
      batch.observe({ source }, size);
    },
    scoreOutcome(outcome) {
      outcomes.inc({ outcome });
    },
    unsupportedLanguage(lang) {
      unsupported.inc({ lang });
    },
    mediawikiFetch(seconds, outcome) {
      mwLatency.observe({ outcome }, seconds);
    },
    mediawikiError(kind) {
      mwErrors.inc({ kind });
    },
    eventEmission(outcome) {
      events.inc({ outcome });
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
