/**
 * The one Node wiring of the scoring stack, used by every command that scores (serve, scorer, score,
 * backfill, evaluate), by the tests and by the benchmarks: loads the model bundle, builds the
 * MediaWiki client, the featurizer pool and the batching scoring service, and the metrics registry.
 * Offline (tests, benchmarks, `serve --offline`) is the same builder given the MediaWiki fixture
 * server's URL as `mediawikiUrl`. Also: the logger and the EventGate emitter of the on-demand API.
 */
import { pino, type Logger } from "pino";
import type { EmitEvent } from "../api/app.ts";
import { EventGateClient } from "../../shared/pipeline/eventgate-client.ts";
import { MediaWikiClient } from "../../shared/mediawiki/client.ts";
import { mediaWikiOptionsFromEnv, type MediaWikiClientOptions } from "../../shared/mediawiki/transport.ts";
import { createMetrics, type PromMetrics } from "./metrics.ts";
import { setFatalShutdown } from "./process-guards.ts";
import { loadModel, type LoadedModel } from "./model-loader.ts";
import { Publisher } from "../../shared/pipeline/publisher.ts";
import { BatchingScoringService } from "../../shared/scoring/service.ts";
import type { Precision, Provider } from "../../shared/model/encoders.ts";
import { createFeaturizerPool, defaultFeaturizerThreads } from "./featurizer-pool.ts";

/**
 * Logs on stderr: readable lines (pino-pretty) on a terminal, JSON lines otherwise (containers, CI);
 * REVRISK_LOG_FORMAT=json|pretty overrides, REVRISK_LOG_LEVEL sets the level (default info).
 */
export function createLogger(name: string): Logger {
  const level = process.env.REVRISK_LOG_LEVEL ?? "info";
  const format = process.env.REVRISK_LOG_FORMAT ?? (process.stderr.isTTY ? "pretty" : "json");
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
 * The MediaWiki API base for the client: `--mediawiki-url` as given (it may use the `{host}` and
 * `{lang}` placeholders; without them every wiki is fetched from that one URL, as LiftWing's
 * WIKI_URL does), else REVRISK_MW_API_BASE, else `https://{host}` (`http://` with --force-http).
 */
export function mediawikiApiBase(url: string | undefined, forceHttp: boolean, envBase?: string): string {
  const base = url ?? envBase;
  if (base) return base.replace(/\/+$/, "").replace(/\/w\/api\.php$/, "");
  return forceHttp ? "http://{host}" : "https://{host}";
}

/** MediaWiki client options: the REVRISK_MW_* variables (timeouts, retries, concurrency…), then the flags. */
export function mediawikiClientOptions(
  o: { mediawikiUrl?: string; forceHttp?: boolean; userAgent?: string },
  env: NodeJS.ProcessEnv = process.env,
): MediaWikiClientOptions {
  const fromEnv = mediaWikiOptionsFromEnv(env);
  return {
    ...fromEnv,
    apiBase: mediawikiApiBase(o.mediawikiUrl, o.forceHttp ?? false, fromEnv.apiBase),
    ...(o.userAgent ? { userAgent: o.userAgent } : {}),
  };
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
  /** MediaWiki client settings over the REVRISK_MW_* ones (retries, timeouts, concurrency…). */
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

/** Runtime options from the parsed flags of addRuntimeOptions (functions/options.ts). */
export function runtimeOptions(
  o: {
    model: string;
    provider: string;
    precision?: string;
    featurizerThreads?: number;
    mediawikiUrl?: string;
    forceHttp?: boolean;
    userAgent?: string;
  },
  log: Logger,
): RuntimeOptions {
  return {
    model: o.model,
    provider: o.provider as Provider,
    precision: o.precision as Precision | undefined,
    featurizerThreads: o.featurizerThreads,
    mediawikiUrl: o.mediawikiUrl,
    forceHttp: o.forceHttp,
    userAgent: o.userAgent,
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
