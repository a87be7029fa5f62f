/**
 * The metrics facade the API and the scoring stack record through (runtime-agnostic: no
 * prom-client): the {@link Metrics} interface, and {@link noopMetrics}, which records nothing (tests,
 * runtimes without Prometheus). The Prometheus implementation is functions/node/metrics.ts.
 */

/** Where a batch of revisions came from. */
export type BatchSource = "instances" | "ores" | "single" | "event" | "revision_data" | (string & {});

/** Outcome of scoring one revision: "ok" or a ScoreErrorCode (shared/scoring/service.ts), or "invalid_input". */
export type ScoreOutcomeLabel = string;

export interface Metrics {
  /** One HTTP request answered: route pattern (e.g. "/v1/models/{model}:predict"), method, status, seconds. */
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  /** Number of revisions one request asked to score. */
  batchSize(source: BatchSource, size: number): void;
  /** One revision's scoring outcome. */
  scoreOutcome(outcome: ScoreOutcomeLabel): void;
  /** A revision of a canonical wiki the model was not trained on was scored (or refused, if strict). */
  unsupportedLanguage(lang: string): void;
  /** One MediaWiki Action API call: seconds and outcome ("ok", "error", "timeout", "http_5xx"…). */
  mediawikiFetch(seconds: number, outcome: string): void;
  /** One MediaWiki failure after retries, by kind (e.g. "timeout", "http_503", "network"). */
  mediawikiError(kind: string): void;
  /** One prediction-event emission: "ok", "error" or "skipped". */
  eventEmission(outcome: "ok" | "error" | "skipped"): void;
  /** Prometheus text exposition of everything recorded. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** A {@link Metrics} that records nothing and renders an empty exposition. */
export function noopMetrics(): Metrics {
  const nothing = () => {};
  return {
    httpRequest: nothing,
    batchSize: nothing,
    scoreOutcome: nothing,
    unsupportedLanguage: nothing,
    mediawikiFetch: nothing,
    mediawikiError: nothing,
    eventEmission: nothing,
    async render() {
      return { contentType: "text/plain; version=0.0.4; charset=utf-8", body: "" };
    },
  };
}
