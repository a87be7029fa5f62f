/**
 * The one Node wiring of the scoring stack, used by every command that scores (serve, scorer, score,
 * backfill, evaluate), by the tests and by the benchmarks: loads the model bundle, builds the
 * MediaWiki client, the featurizer pool and the batching scoring service, and the metrics registry.
 * Offline (tests, benchmarks, `serve --offline`) is the same builder given the MediaWiki fixture
 * server's URL as `mediawikiUrl`. Also: the EventGate emitter of the on-demand API.
 */
import { pino, type Logger } from "pino";
import type { EmitEvent } from "../api/app.ts";
import { EventGateClient } from "../../shared/pipeline/eventgate-client.ts";
import { MediaWikiClient } from "../../shared/mediawiki/client.ts";
import type { MediaWikiClientOptions } from "../../shared/mediawiki/transport.ts";
import { createMetrics, type PromMetrics } from "./metrics.ts";
import { loadModel, type LoadedModel } from "./model-loader.ts";
import { Publisher } from "../../shared/pipeline/publisher.ts";
import { BatchingScoringService } from "../../shared/scoring/service.ts";
import type { Precision, Provider } from "../../shared/model/encoders.ts";
import { createFeaturizerPool, defaultFeaturizerThreads } from "./featurizer-pool.ts";

/**
 * The MediaWiki API base for the client: `--mediawiki-url` as given (it may use the `{host}` and
 * `{lang}` placeholders; without them every wiki is fetched from that one URL, as LiftWing's
 * WIKI_URL does), else `https://{host}` (`http://` with --force-http).
 */
export function mediawikiApiBase(url: string | undefined, forceHttp: boolean): string {
  if (url) return url.replace(/\/+$/, "").replace(/\/w\/api\.php$/, "");
  return forceHttp ? "http://{host}" : "https://{host}";
}

/** The MediaWiki options of the option table (`group:mediawiki`), as parsed by a command. */
export interface MediaWikiSettings {
  mediawikiUrl?: string;
  forceHttp?: boolean;
  userAgent?: string;
  mediawikiTimeoutMs?: number;
  mediawikiRetries?: number;
  mediawikiRetryBaseDelayMs?: number;
  mediawikiRetryMaxDelayMs?: number;
  mediawikiConcurrency?: number;
  mediawikiBatchSize?: number;
}

/** MediaWiki client options from the table's MediaWiki settings (unset ones keep the client's defaults). */
export function mediawikiClientOptions(o: MediaWikiSettings): MediaWikiClientOptions {
  const options: MediaWikiClientOptions = {
    apiBase: mediawikiApiBase(o.mediawikiUrl, o.forceHttp ?? false),
    userAgent: o.userAgent,
    timeoutMs: o.mediawikiTimeoutMs,
    retries: o.mediawikiRetries,
    retryBaseDelayMs: o.mediawikiRetryBaseDelayMs,
    retryMaxDelayMs: o.mediawikiRetryMaxDelayMs,
    concurrencyPerHost: o.mediawikiConcurrency,
    batchSize: o.mediawikiBatchSize,
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

export interface RuntimeOptions {
  /** Model bundle directory. */
  model: string;
  provider: Provider;
  precision?: Precision;
  /** Padded tokens per encoder run (the model loader's default when absent). */
  maxBatchTokens?: number;
  /** MediaWiki base (`{host}`/`{lang}` placeholders allowed); the fixture server's `apiBase` offline. */
  mediawikiUrl?: string;
  forceHttp?: boolean;
  userAgent?: string;
  /** MediaWiki client settings (user agent, retries, timeouts, concurrency…). */
  mediawiki?: Omit<MediaWikiClientOptions, "apiBase" | "hooks">;
  /** How long scoring batches and per-wiki MediaWiki fetches wait for companions (ms). Default 5. */
  maxWaitMs?: number;
  fetchWaitMs?: number;
  metrics?: PromMetrics;
  /** Default: silent. */
  log?: Logger;
  /** Featurizer worker threads; 0 featurizes on the event loop. Default: cores − 1. */
  featurizerThreads?: number;
}

export interface Runtime {
  model: LoadedModel;
  service: BatchingScoringService;
  mediawiki: MediaWikiClient;
  metrics: PromMetrics;
  close(): Promise<void>;
}

/** Runtime options from the parsed options of `group:runtime` (functions/options.ts). */
export function runtimeOptions(
  o: { model: string; provider: string; precision?: string; featurizerThreads?: number } & MediaWikiSettings,
  log: Logger,
): RuntimeOptions {
  const { apiBase: _apiBase, ...mediawiki } = mediawikiClientOptions(o);
  return {
    model: o.model,
    provider: o.provider as Provider,
    precision: o.precision as Precision | undefined,
    featurizerThreads: o.featurizerThreads,
    mediawikiUrl: o.mediawikiUrl,
    forceHttp: o.forceHttp,
    mediawiki,
    log,
  };
}

export async function createRuntime(o: RuntimeOptions): Promise<Runtime> {
  const log = o.log ?? pino({ level: "silent" });
  const metrics = o.metrics ?? createMetrics({ defaultMetrics: true });
  const started = Date.now();
  const model = await loadModel(o.model, {
    provider: o.provider,
    precision: o.precision,
    maxBatchTokens: o.maxBatchTokens,
    logger: {
      info: (obj, msg) => log.info(obj, msg),
      warn: (obj, msg) => log.warn(obj, msg),
    },
  });
  const health = model.health();
  if (health.fallback)
    log.warn(
      { requested: health.requestedProvider, provider: health.provider, reason: health.fallback },
      "ENCODERS FELL BACK: the requested execution provider is not in use",
    );
  log.info(
    {
      model: o.model,
      version: model.manifest.model_version,
      provider: health.provider,
      ms: Date.now() - started,
    },
    "model loaded",
  );
  const mediawiki = new MediaWikiClient({
    ...mediawikiClientOptions(o),
    ...o.mediawiki,
    hooks: {
      onFetch: (e) => metrics.mediawikiFetch(e.durationMs / 1000, e.outcome),
      onRevisionError: (e) => metrics.mediawikiError(e.error.code),
    },
  });
  const threads = o.featurizerThreads ?? defaultFeaturizerThreads();
  const pool = threads > 0 ? await createFeaturizerPool(model.manifest.features, threads) : undefined;
  const service = new BatchingScoringService({
    manifest: model.manifest,
    model: model.revertRisk,
    health: model.health,
    mediawiki,
    featurize: pool ? (rev) => pool.featurize(rev) : undefined,
    onBatch: (b) => metrics.batchSize("encoder", b.items),
    maxWaitMs: o.maxWaitMs,
    fetchWaitMs: o.fetchWaitMs,
  });
  return {
    model,
    service,
    mediawiki,
    metrics,
    async close() {
      await service.close();
      await pool?.close();
      await model.release();
    },
  };
}

/**
 * The on-demand API's event emitter: the one Publisher (shared/pipeline/publisher.ts) over an
 * EventGate client. A rejected or failed event rejects with EventGate's reason (the API reports it).
 */
export function eventEmitter(options: {
  eventgateUrl: string;
  stream?: string;
  schemaVersion?: string;
}): EmitEvent {
  const eventgate = new EventGateClient({ url: options.eventgateUrl });
  // The API scores with one model: its name and version come with the first score.
  let publisher: Publisher | undefined;
  return async (pageChange, scored) => {
    publisher ??= new Publisher({
      eventgate,
      manifest: { model_name: scored.modelName, model_version: scored.modelVersion },
      build: { stream: options.stream, schemaVersion: options.schemaVersion },
      // One event per request: no waiting for companions.
      postWaitMs: 0,
    });
    const r = await publisher.publish(pageChange, scored);
    if (r.status === "skipped") return { skipped: r.reason };
    if (r.status !== "published") throw new Error(`EventGate did not accept the event: ${r.reason}`);
  };
}
