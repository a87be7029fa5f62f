/**
 * What every part of the on-demand API shares: its configuration (with defaults), the options it is
 * built from, the hooks it calls (event emitter, logger), and the per-app context handed to each
 * route module (functions/api/{liftwing,ores,operations}.ts). Runtime-agnostic.
 */
import type { Manifest } from "../../shared/model/bundle.ts";
import type { Metrics } from "./metrics.ts";
import type { ScoringService } from "../../shared/scoring/service.ts";
import type { PipelineStatus } from "../node/live-status.ts";
import type { DashboardAssets } from "./dashboard.ts";
import type { FeedOptions } from "./feed.ts";

export interface ApiConfig {
  /** Model name served (route name and `model_name`). Default: the manifest's `model_name`. */
  modelName: string;
  /** Accept the pre-save `{"revision_data": …}` input (LiftWing ALLOW_REVISION_JSON_INPUT). Default false: ignored. */
  allowRevisionJsonInput: boolean;
  /** Refuse (400) canonical wikis the model was not trained on, instead of scoring and marking them. Default false. */
  strictLanguages: boolean;
  /** Most revisions in one `instances` request. Default 50. */
  maxInstances: number;
  /** Most revisions in one ORES request. Default 50 (ORES's limit). */
  maxOresRevisions: number;
  /** Largest request body accepted, in bytes (413 above). Default 10 MiB (two 2 MiB wikitexts, JSON-escaped). */
  maxBodyBytes: number;
  /** Deadline of a scoring request without an X-Request-Deadline-Ms header, in ms. Default 60000. */
  defaultDeadlineMs: number;
  /** After a deadline aborts the service, how long to wait for its partial outcomes before answering. Default 100 ms. */
  abortGraceMs: number;
  /** How long an event-input request waits for its prediction event to be emitted (then: failed, score still returned). Default 5000 ms. */
  emitTimeoutMs: number;
}

export const DEFAULT_CONFIG: Omit<ApiConfig, "modelName"> = {
  allowRevisionJsonInput: false,
  strictLanguages: false,
  maxInstances: 50,
  maxOresRevisions: 50,
  maxBodyBytes: 10 * 1024 * 1024,
  defaultDeadlineMs: 60_000,
  abortGraceMs: 100,
  emitTimeoutMs: 5_000,
};

/** What the event emitter is told about a successful event-input score. */
export interface ScoredPrediction {
  modelName: string;
  modelVersion: string;
  lang: string;
  wikiDb: string;
  revId: number;
  prediction: boolean;
  probabilities: { true: number; false: number };
  supported: boolean;
}

/**
 * Emits the prediction event for a page_change event input. Resolve (void) when emitted, resolve
 * `{ skipped: reason }` when deliberately not emitted (e.g. no performer for a ≤1.1.0 schema),
 * reject on failure.
 */
export type EmitEvent = (
  pageChangeEvent: Record<string, unknown>,
  scored: ScoredPrediction,
) => Promise<void | { skipped: string }>;

/** pino-compatible logger subset. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ApiOptions {
  service: ScoringService;
  config?: Partial<ApiConfig>;
  metrics?: Metrics;
  emitEvent?: EmitEvent;
  /** Where the 5xx and failed-emission lines go (one structured line each, with the request id). */
  logger?: Logger;
  /** The prediction feed's source (functions/api/feed.ts); absent: the feed routes answer 404. */
  feed?: FeedOptions;
  /** The pipeline's live numbers for /v1/status (functions/node/live-status.ts); absent: health only. */
  status?: () => PipelineStatus;
  /** The dashboard page's files (functions/api/dashboard.ts); absent: no page, `/` answers JSON. */
  dashboard?: DashboardAssets;
}

export const DEADLINE_HEADER = "X-Request-Deadline-Ms";
export const EVENT_STATUS_HEADER = "X-Revrisk-Event";

export type Json = Record<string, unknown>;

/** What a request remembers for its log line: the revision it was about and why it failed. */
export interface RequestNote {
  lang?: string;
  revId?: unknown;
  reason?: string;
  message?: string;
}

/** Hono environment of the API: the metrics route label, the request id, the log note, an unhandled error. */
export type Env = { Variables: { route: string; requestId: string; note: RequestNote; error: Error } };

/** Everything a route module needs, built once per app. */
export interface ApiContext {
  service: ScoringService;
  manifest: Manifest;
  config: ApiConfig;
  metrics: Metrics;
  log: Logger;
  emitEvent: EmitEvent | undefined;
  /** The served model name. */
  model: string;
  /** The bundle's model version. */
  version: string;
  supportedWikis: ReadonlySet<string>;
}
