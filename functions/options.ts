/**
 * The one table of settings: every command-line option of every `revrisk` command and every
 * Cloudflare Worker binding is defined here once — flag, environment variables (our REVRISK_* name
 * first, then LiftWing's or the platform's name where one exists, for drop-in replacement), parser,
 * choices, default and help. A value comes from the flag, else from the first set variable of its
 * list, else from the default; a variable's value goes through the same parser as the flag's, when
 * the command runs (functions/node/options.ts binds the table to commander; functions/ingest/worker.ts
 * reads the Worker's bindings with `settingsFromEnv`). Runtime-free: no Node imports, so the Worker
 * can use it.
 */
import {
  DEFAULT_PREDICTION_SCHEMA_VERSION,
  DEFAULT_PREDICTION_STREAM,
} from "../shared/events/prediction-event.ts";
import { DEFAULT_EVENTSTREAMS_URL } from "../shared/ingest/eventstreams.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../shared/ingest/ingest-app.ts";
import { DEFAULT_TED_BUDGET } from "../shared/featurize/edittypes/ted.ts";
import { PRECISIONS, PROVIDERS } from "../shared/model/providers.ts";

/** A value that a flag or a variable may not have; the message says why, without the name. */
export class SettingError extends Error {
  override readonly name = "SettingError";
}

/** A usage mistake found when the command runs (options that go together, a missing one). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface OptionSpec<T = unknown> {
  /** commander flag syntax: `--port <port>`, `--offline` (boolean), `--eventstreams [url]`, `--no-api`. Absent: a Worker-only binding. */
  flag?: string;
  /** Environment variables / Worker bindings, first set wins; empty values count as unset. */
  env?: readonly string[];
  /** Turns the text of a flag or a variable into the value; throws SettingError. Default: the text. */
  parse?: (raw: string) => T;
  choices?: readonly string[];
  default?: T;
  /** Help text for a default computed at run time (e.g. "cores − 1"). */
  defaultText?: string;
  /** The option must have a value (from the flag or the environment). */
  required?: boolean;
  help: string;
  /** What differs for one command: its flag spelling, default or help. */
  commands?: Readonly<Record<string, { flag?: string; default?: T; help?: string }>>;
}

// ---- parsers (the same for flags and variables) ----

/** Booleans: 1/true/yes/on and 0/false/no/off, any case. */
export function parseBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new SettingError(`expected a boolean (true/false, 1/0), got "${value}"`);
}

export function parsePort(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new SettingError(`expected a port number 0–65535, got "${value}"`);
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < 1)
    throw new SettingError(`expected a positive integer, got "${value}"`);
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < 0)
    throw new SettingError(`expected an integer ≥ 0, got "${value}"`);
  return n;
}

export function parseNonNegativeNumber(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new SettingError(`expected a number ≥ 0, got "${value}"`);
  return n;
}

export function parsePositiveNumber(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new SettingError(`expected a number > 0, got "${value}"`);
  return n;
}

/** A rate strictly between 0 and 1. */
export function parseRate(value: string): number {
  const x = Number(value.trim());
  if (!(x > 0 && x < 1)) throw new SettingError(`expected a rate strictly between 0 and 1, got "${value}"`);
  return x;
}

/** A share between 0 and 1 (inclusive). */
export function parseShare(value: string): number {
  const x = Number(value.trim());
  if (value.trim() === "" || !(x >= 0 && x <= 1))
    throw new SettingError(`expected a share between 0 and 1, got "${value}"`);
  return x;
}

/** An absolute http(s) URL. */
export function parseHttpUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw new SettingError(`expected an http(s) URL, got "${value}"`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new SettingError(`expected an http(s) URL, got "${value}"`);
  return value.trim();
}

/** Comma-separated namespace numbers, e.g. "0" or "0,2"; kept as text. */
export function parseNamespaces(value: string): string {
  const parts = value.split(",").map((s) => s.trim());
  if (!parts.length || parts.some((p) => !/^-?\d+$/.test(p)))
    throw new SettingError(`expected comma-separated namespace numbers (e.g. 0,2), got "${value}"`);
  return parts.join(",");
}

/** A non-empty comma-separated list of words (languages, wiki ids). */
export function parseList(value: string): string {
  const parts = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!parts.length) throw new SettingError(`expected a comma-separated list, got "${value}"`);
  return parts.join(",");
}

/** `--eventstreams [url]`: a URL, or a boolean saying whether to use the default one. */
function parseEventStreams(value: string): string | boolean {
  if (/^(1|true|yes|on|0|false|no|off)$/i.test(value.trim())) return parseBool(value);
  return parseHttpUrl(value);
}

/** Checks `raw` against the spec's choices, then parses it: the one validation of flags and variables. */
export function parseSetting(spec: OptionSpec, raw: string): unknown {
  if (spec.choices && !spec.choices.includes(raw.trim()))
    throw new SettingError(`"${raw}" is not one of ${spec.choices.join(", ")}`);
  if (spec.parse) return spec.parse(raw);
  if (isBooleanFlag(spec.flag)) return parseBool(raw);
  return spec.choices ? raw.trim() : raw;
}

/** Flags without a value: `--offline`, `--no-api`. */
export function isBooleanFlag(flag: string | undefined): boolean {
  return flag !== undefined && !flag.includes("<") && !flag.includes("[");
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** Every setting. Keys are internal names; the flag decides the parsed option's name. */
export const OPTIONS = {
  // ---- listening ----
  port: {
    flag: "--port <port>",
    env: ["REVRISK_PORT", "PORT"],
    parse: parsePort,
    default: 8080,
    help: "port of the on-demand API (with /healthz, /readyz, /metrics)",
    commands: { ingest: { default: 8081, help: "port of POST /v1/events" } },
  },
  host: {
    flag: "--host <host>",
    env: ["REVRISK_HOST"],
    default: "127.0.0.1",
    help: "address to listen on (0.0.0.0 in containers)",
  },
  ingestPort: {
    flag: "--ingest-port <port>",
    env: ["REVRISK_INGEST_PORT"],
    parse: parsePort,
    default: 8081,
    help: "port of the in-process ingest (POST /v1/events)",
  },
  sinkPort: {
    flag: "--sink-port <port>",
    env: ["REVRISK_SINK_PORT"],
    parse: parsePort,
    default: 8192,
    help: "port of the local EventGate-compatible sink",
    commands: { "eventgate-sink": { flag: "--port <port>", help: "port to listen on" } },
  },
  dataDir: {
    flag: "--data-dir <dir>",
    env: ["REVRISK_DATA_DIR"],
    default: "var",
    help: "embedded queue, results database, EventStreams cursor, status file",
  },

  // ---- model and scoring runtime ----
  model: {
    flag: "--model <dir>",
    env: ["REVRISK_MODEL", "MODEL_PATH"],
    default: "models/fixture",
    help: "model bundle directory (manifest.json, encoders, classifier)",
    commands: { ingest: { help: "model bundle whose manifest lists supported_wikis" } },
  },
  provider: {
    flag: "--provider <name>",
    env: ["REVRISK_PROVIDER"],
    choices: PROVIDERS,
    default: "auto",
    help: "encoder execution provider: auto (cuda where onnxruntime-node's CUDA provider is installed, else cpu), cuda (falls back to cpu, loudly: logs and /healthz degraded), cpu, or wasm",
  },
  precision: {
    flag: "--precision <p>",
    env: ["REVRISK_PRECISION"],
    choices: PRECISIONS,
    default: "fp32",
    help: "encoder weights: fp32, or the bundle's dynamically quantized int8 variants (faster on CPU)",
  },
  featurizerThreads: {
    flag: "--featurizer-threads <n>",
    env: ["REVRISK_FEATURIZER_THREADS"],
    parse: parseNonNegativeInt,
    defaultText: "cores − 1",
    help: "worker threads parsing and diffing wikitext (0: on the event loop)",
  },
  strictLanguages: {
    flag: "--strict-languages",
    env: ["REVRISK_STRICT_LANGUAGES"],
    default: false,
    help: "reject (400) canonical languages the model was not trained on instead of scoring them",
  },
  allowRevisionJsonInput: {
    flag: "--allow-revision-json-input",
    env: ["REVRISK_ALLOW_REVISION_JSON_INPUT", "ALLOW_REVISION_JSON_INPUT"],
    default: false,
    help: 'accept {"revision_data": …} (pre-save) inputs',
  },

  // ---- MediaWiki ----
  mediawikiUrl: {
    flag: "--mediawiki-url <url>",
    env: ["REVRISK_MEDIAWIKI_URL", "WIKI_URL", "REVRISK_MW_API_BASE"],
    defaultText: "https://{host}",
    help: "base URL of the MediaWiki Action API ({host} and {lang} placeholders pick the wiki; without them every wiki is fetched from that URL)",
  },
  forceHttp: {
    flag: "--force-http",
    env: ["REVRISK_FORCE_HTTP", "FORCE_HTTP"],
    default: false,
    help: "use http://{host} instead of https://{host} for MediaWiki",
  },
  userAgent: {
    flag: "--user-agent <ua>",
    env: ["REVRISK_MW_USER_AGENT"],
    defaultText: "revrisk's",
    help: "User-Agent of MediaWiki requests (Wikimedia's policy asks for a contact address)",
  },
  mediawikiTimeoutMs: {
    flag: "--mediawiki-timeout-ms <ms>",
    env: ["REVRISK_MW_TIMEOUT_MS"],
    parse: parseNonNegativeNumber,
    defaultText: "the client's (docs/mediawiki.md)",
    help: "timeout of one MediaWiki request",
  },
  mediawikiRetries: {
    flag: "--mediawiki-retries <n>",
    env: ["REVRISK_MW_RETRIES"],
    parse: parseNonNegativeInt,
    defaultText: "the client's",
    help: "retries of a failed MediaWiki request (Retry-After honoured)",
  },
  mediawikiRetryBaseDelayMs: {
    flag: "--mediawiki-retry-base-delay-ms <ms>",
    env: ["REVRISK_MW_RETRY_BASE_DELAY_MS"],
    parse: parseNonNegativeNumber,
    defaultText: "the client's",
    help: "first retry delay (doubling)",
  },
  mediawikiRetryMaxDelayMs: {
    flag: "--mediawiki-retry-max-delay-ms <ms>",
    env: ["REVRISK_MW_RETRY_MAX_DELAY_MS"],
    parse: parseNonNegativeNumber,
    defaultText: "the client's",
    help: "longest retry delay",
  },
  mediawikiConcurrency: {
    flag: "--mediawiki-concurrency <n>",
    env: ["REVRISK_MW_CONCURRENCY"],
    parse: parsePositiveInt,
    defaultText: "the client's",
    help: "MediaWiki requests in flight per host",
  },
  mediawikiBatchSize: {
    flag: "--mediawiki-batch-size <n>",
    env: ["REVRISK_MW_BATCH_SIZE"],
    parse: parsePositiveInt,
    defaultText: "50",
    help: "revision ids per MediaWiki request",
  },

  // ---- EventGate ----
  eventgateUrl: {
    flag: "--eventgate-url <url>",
    env: ["REVRISK_EVENTGATE_URL", "EVENTGATE_URL"],
    parse: parseHttpUrl,
    help: "EventGate endpoint prediction events are POSTed to (e.g. http://127.0.0.1:8192/v1/events)",
    commands: {
      serve: {
        help: "EventGate endpoint prediction events are POSTed to (default: the in-process EventGate-compatible sink)",
      },
    },
  },
  eventgateStream: {
    flag: "--eventgate-stream <stream>",
    env: ["REVRISK_EVENTGATE_STREAM", "EVENTGATE_STREAM"],
    default: DEFAULT_PREDICTION_STREAM,
    help: "stream of the prediction events",
  },
  schemaVersion: {
    flag: "--schema-version <v>",
    env: ["REVRISK_SCHEMA_VERSION"],
    default: DEFAULT_PREDICTION_SCHEMA_VERSION,
    help: "prediction event schema version (1.0.0 … 1.3.0; the local sink validates ≤ 1.1.0)",
  },

  // ---- queue ----
  queueUrl: {
    flag: "--queue-url <url>",
    env: ["REVRISK_QUEUE_URL", "SQS_QUEUE_URL"],
    parse: parseHttpUrl,
    defaultText: "the embedded queue",
    help: "SQS queue URL",
  },
  dlqUrl: {
    flag: "--dlq-url <url>",
    env: ["REVRISK_DLQ_URL", "SQS_DLQ_URL"],
    parse: parseHttpUrl,
    help: "SQS dead-letter queue URL",
  },
  sqsEndpoint: {
    flag: "--sqs-endpoint <url>",
    env: ["REVRISK_SQS_ENDPOINT", "SQS_ENDPOINT", "AWS_ENDPOINT_URL_SQS"],
    parse: parseHttpUrl,
    defaultText: "AWS",
    help: "explicit SQS endpoint (e.g. a local fauxqs at http://127.0.0.1:4566)",
  },
  awsRegion: {
    flag: "--aws-region <region>",
    env: ["REVRISK_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"],
    default: "us-east-1",
    help: "AWS region of the SQS queue",
  },
  awsAccessKeyId: { env: ["AWS_ACCESS_KEY_ID"], help: "Worker secret: AWS access key id" },
  awsSecretAccessKey: { env: ["AWS_SECRET_ACCESS_KEY"], help: "Worker secret: AWS secret access key" },
  awsSessionToken: { env: ["AWS_SESSION_TOKEN"], help: "Worker secret: AWS session token" },

  // ---- ingest ----
  token: {
    flag: "--token <token>",
    env: ["REVRISK_INGEST_TOKEN", "INGEST_TOKEN"],
    defaultText: "none (local use)",
    help: "bearer token required by POST /v1/events",
  },
  allowNoAuth: {
    env: ["REVRISK_ALLOW_NO_AUTH", "ALLOW_NO_AUTH"],
    parse: parseBool,
    default: false,
    help: "Worker: accept POST /v1/events without a token (otherwise a missing token is a misconfiguration)",
  },
  wikis: {
    flag: "--wikis <list>",
    env: ["REVRISK_WIKIS", "SUPPORTED_WIKIS"],
    parse: parseList,
    defaultText: "the model manifest's supported_wikis (Worker: the 47 RRML languages)",
    help: "comma-separated languages or wiki ids to accept",
  },
  allowTestwiki: {
    flag: "--allow-testwiki",
    env: ["REVRISK_ALLOW_TESTWIKI", "ALLOW_TESTWIKI"],
    default: false,
    help: "also accept testwiki events",
    commands: {
      backfill: { help: "also process testwiki revisions (ingest skips them unless --allow-testwiki)" },
    },
  },
  namespaces: {
    flag: "--namespaces <list>",
    env: ["REVRISK_NAMESPACES", "NAMESPACES"],
    parse: parseNamespaces,
    default: "0",
    help: "namespaces to score (comma-separated numbers)",
  },
  keepPageCreations: {
    flag: "--keep-page-creations",
    default: false,
    help: "also process page creations (the model does not handle them)",
  },
  maxBodyBytes: {
    flag: "--max-body-bytes <n>",
    env: ["REVRISK_MAX_BODY_BYTES", "MAX_BODY_BYTES"],
    parse: parsePositiveInt,
    default: DEFAULT_MAX_BODY_BYTES,
    help: "request body limit of POST /v1/events, bytes",
  },
  healthQueueDepth: {
    flag: "--no-health-queue-depth",
    env: ["REVRISK_HEALTH_QUEUE_DEPTH", "HEALTH_QUEUE_DEPTH"],
    parse: parseBool,
    default: true,
    help: "GET /healthz does not read the queue depth (SQS: that needs sqs:GetQueueAttributes)",
    // The Worker's IAM user may only send.
    commands: { worker: { default: false } },
  },
  eventstreams: {
    flag: "--eventstreams [url]",
    env: ["REVRISK_EVENTSTREAMS"],
    parse: parseEventStreams,
    defaultText: "off",
    help: `consume Wikimedia EventStreams (the URL defaults to ${DEFAULT_EVENTSTREAMS_URL})`,
  },
  eventstreamsUrl: {
    flag: "--eventstreams-url <url>",
    env: ["REVRISK_EVENTSTREAMS"],
    parse: parseHttpUrl,
    default: DEFAULT_EVENTSTREAMS_URL,
    help: "live page_change source (Server-Sent Events)",
  },
  since: {
    flag: "--since <time>",
    help: "EventStreams start time when no cursor is stored (ISO 8601)",
  },
  forwardTo: {
    flag: "--forward-to <url>",
    env: ["REVRISK_FORWARD_TO"],
    parse: parseHttpUrl,
    help: "send EventStreams batches to this ingest URL (e.g. the Workers deployment) instead of the local queue",
  },
  forwardToken: {
    flag: "--forward-token <token>",
    env: ["REVRISK_FORWARD_TOKEN"],
    help: "bearer token for --forward-to",
  },
  offline: {
    flag: "--offline",
    env: ["REVRISK_OFFLINE"],
    default: false,
    help: "replay events against an in-process MediaWiki fixture server instead of EventStreams and Wikipedia",
    commands: {
      ingest: { help: "do not connect to EventStreams even if --eventstreams / REVRISK_EVENTSTREAMS is set" },
      evaluate: { help: "score against an in-process MediaWiki fixture server (the fixture labelled set)" },
    },
  },

  // ---- serve ----
  replay: {
    flag: "--replay <file>",
    env: ["REVRISK_REPLAY"],
    defaultText: "one event per fixture revision",
    help: "with --offline: page_change events (JSON Lines) to replay",
  },
  fixtureData: {
    flag: "--fixture-data <file>",
    env: ["REVRISK_FIXTURE_DATA"],
    defaultText: "standins/mediawiki-fixture/edits/*",
    help: "with --offline: the MediaWiki fixture's store snapshot (.json) or parity-style edits (.jsonl/.jsonl.gz) to serve and replay",
  },
  replayRate: {
    flag: "--replay-rate <n>",
    env: ["REVRISK_REPLAY_RATE"],
    parse: parsePositiveInt,
    default: 20,
    help: "replayed events per second",
  },
  maxWorkers: {
    flag: "--max-workers <n>",
    env: ["REVRISK_MAX_WORKERS"],
    parse: parsePositiveInt,
    default: 4,
    help: "most scorer pollers the autoscaler may run",
  },
  feedMaxConnection: {
    flag: "--feed-max-connection <s>",
    env: ["REVRISK_FEED_MAX_CONNECTION"],
    parse: parsePositiveInt,
    default: 900,
    help: "seconds after which the prediction feed closes a connection (clients resume from Last-Event-ID, as with EventStreams)",
  },
  exitWhenDone: {
    flag: "--exit-when-done",
    default: false,
    help: "with --offline: exit once the replay is fully scored (demo / smoke test)",
  },
  withFeatures: {
    flag: "--with-features",
    default: false,
    help: "also keep each prediction's feature vector in <data-dir>/features/*.jsonl (for `revrisk sql --export --with-features`)",
    commands: {
      backfill: { help: "dump: also write the classifier features to <data-dir>/features/<input>.jsonl" },
      sql: { help: "export: add the classifier features recorded under <data-dir>/features" },
    },
  },

  // ---- scorer ----
  pollers: {
    flag: "--pollers <n>",
    env: ["REVRISK_POLLERS"],
    parse: parsePositiveInt,
    default: 4,
    help: "concurrent queue pollers (≤ 10 messages each) feeding one batcher",
  },
  visibilityTimeout: {
    flag: "--visibility-timeout <s>",
    env: ["REVRISK_VISIBILITY_TIMEOUT"],
    parse: parsePositiveInt,
    default: 60,
    help: "visibility timeout renewed by heartbeats, seconds",
  },
  wait: {
    flag: "--wait <s>",
    env: ["REVRISK_POLL_WAIT"],
    parse: parseNonNegativeNumber,
    defaultText: "the queue's",
    help: "long-poll wait, seconds",
  },
  api: {
    flag: "--no-api",
    help: "do not serve the on-demand API (health endpoints included)",
  },

  // ---- score / features ----
  lang: { flag: "--lang <code>", help: "Wikipedia language code, e.g. en" },
  revId: { flag: "--rev-id <id>", parse: parsePositiveInt, help: "revision id" },
  features: { flag: "--features", default: false, help: "include the classifier's feature vector" },
  budget: {
    flag: "--budget <cells>",
    parse: parsePositiveNumber,
    default: DEFAULT_TED_BUDGET,
    help: "tree-edit-distance work budget (forest-DP cells) replacing Python's 5 s timeout",
  },
  treeDiff: {
    flag: "--tree-diff",
    default: false,
    help: "also write tree_diff, the size mode and the work used",
  },

  // ---- backfill ----
  wiki: {
    flag: "--wiki <wiki>",
    help: "wiki to enumerate (enwiki or en); for a dump, overrides its <dbname>",
  },
  from: { flag: "--from <date>", help: "start of the time range (inclusive, ISO 8601)" },
  to: { flag: "--to <date>", help: "end of the time range (exclusive, ISO 8601)" },
  checkpoint: {
    flag: "--checkpoint <file>",
    defaultText: "<data-dir>/backfill/<input>.checkpoint.json",
    help: "checkpoint file",
  },
  restart: { flag: "--restart", default: false, help: "ignore an existing checkpoint and start over" },
  dryRun: {
    flag: "--dry-run",
    default: false,
    help: "count what would be processed; no queue, no scoring, no checkpoint",
  },
  batchSize: {
    flag: "--batch-size <n>",
    env: ["REVRISK_BACKFILL_BATCH"],
    parse: parsePositiveInt,
    defaultText: "100; 32 for dumps",
    help: "revisions per unit of work",
  },
  concurrency: {
    flag: "--concurrency <n>",
    env: ["REVRISK_BACKFILL_CONCURRENCY"],
    parse: parsePositiveInt,
    default: 4,
    help: "units of work in flight",
  },
  skipInvalid: {
    flag: "--skip-invalid",
    default: false,
    help: "list file: skip unreadable lines (logged with their line numbers) instead of stopping",
  },
  userGroups: {
    flag: "--no-user-groups",
    help: "dump: do not fetch the editors' groups from MediaWiki (list=users)",
  },
  tags: {
    flag: "--no-tags",
    help: "dump: do not fetch the revisions' change tags from MediaWiki (prop=revisions)",
  },
  progress: {
    flag: "--progress <mode>",
    choices: ["auto", "bar", "log", "none"],
    default: "auto",
    help: "progress display",
  },
  logInterval: {
    flag: "--log-interval <s>",
    env: ["REVRISK_BACKFILL_LOG_INTERVAL"],
    parse: parsePositiveInt,
    default: 10,
    help: "seconds between progress log lines when not on a TTY",
  },

  // ---- evaluate ----
  input: {
    flag: "--input <file>",
    required: true,
    help: 'labelled set: JSON Lines {lang, rev_id, label} or {revision_data, label}; "-" for stdin',
  },
  write: {
    flag: "--write",
    default: false,
    help: "write the statistics into the bundle's manifest.json (--model)",
  },
  output: { flag: "--output <file>", help: "write the statistics as JSON to this file" },
  description: {
    flag: "--description <text>",
    default: "labelled set given to revrisk evaluate",
    help: "what the labelled set is (source, period, sampling)",
  },
  populationRate: {
    flag: "--population-rate <rate>",
    parse: parseRate,
    help: "rate of reverted edits in the population, when the set was sampled differently",
  },
  minWikiExamples: {
    flag: "--min-wiki-examples <n>",
    parse: parsePositiveInt,
    default: 50,
    help: "per-wiki statistics only for wikis with this many examples",
  },

  // ---- sql / results database ----
  db: {
    flag: "--db <path>",
    env: ["REVRISK_RESULTS_DB"],
    defaultText: "<data-dir>/results.duckdb",
    help: "results database (DuckDB file, or :memory: for the sink)",
  },
  format: {
    flag: "--format <format>",
    choices: ["table", "json", "csv"],
    default: "table",
    help: "output format",
  },
  maxRows: {
    flag: "--max-rows <n>",
    parse: parsePositiveInt,
    defaultText: "1000 for table",
    help: "rows printed at most",
  },
  export: {
    flag: "--export <dir>",
    help: "write the predictions as Parquet: <dir>/wiki_id=…/date=…/data_0.parquet",
  },
  where: { flag: "--where <condition>", help: "export: only predictions matching this SQL condition" },
  overwrite: { flag: "--overwrite", default: false, help: "export: replace an existing export in <dir>" },
  snapshot: {
    flag: "--snapshot",
    default: false,
    help: "query a copy of the database file (while the sink holds it open)",
  },

  // ---- status ----
  statusFile: {
    flag: "--status-file <file>",
    defaultText: "<data-dir>/status.json",
    help: "worker status file",
  },
  statusUrl: {
    flag: "--status-url <url>",
    parse: parseHttpUrl,
    help: "read the worker status JSON from this URL instead",
  },
  watch: {
    flag: "--watch [seconds]",
    parse: parsePositiveNumber,
    help: "refresh every N seconds (2 without a value)",
  },
  json: { flag: "--json", default: false, help: "print JSON" },

  // ---- stand-ins ----
  schemas: {
    flag: "--schemas <dir>",
    env: ["REVRISK_SCHEMAS_DIR"],
    defaultText: "the bundled schemas/",
    help: "schema repository (jsonschema/ folder)",
  },
  streamCheck: {
    flag: "--no-stream-check",
    help: "accept any meta.stream (as a default EventGate does); by default the production stream/title rule applies",
  },
  mwFixturePort: {
    flag: "--port <port>",
    env: ["REVRISK_MW_FIXTURE_PORT"],
    parse: parsePort,
    default: 8081,
    help: "port to listen on",
  },
  mwFixtureHost: {
    flag: "--host <host>",
    env: ["REVRISK_MW_FIXTURE_HOST"],
    default: "127.0.0.1",
    help: "address to listen on",
  },
  data: {
    flag: "--data <file>",
    env: ["REVRISK_MW_FIXTURE_DATA"],
    defaultText: "standins/mediawiki-fixture/edits/*",
    help: "store snapshot (.json) or parity-style edits (.jsonl/.jsonl.gz)",
  },
  latencyMs: {
    flag: "--latency-ms <n>",
    env: ["REVRISK_MW_FIXTURE_LATENCY_MS"],
    parse: parseNonNegativeInt,
    help: "artificial latency per request",
  },
  maxResultSize: {
    flag: "--max-result-size <bytes>",
    env: ["REVRISK_MW_FIXTURE_MAX_RESULT_SIZE"],
    parse: parseNonNegativeInt,
    help: "result size budget before `continue`",
  },
  highLimits: {
    flag: "--high-limits",
    default: false,
    help: "allow 500 values per multi-value parameter instead of 50",
  },
  rounds: {
    flag: "--rounds <n>",
    parse: parsePositiveInt,
    default: 1,
    help: "seed the fixture edits n times (distinct pages and revisions each round)",
  },
  fault429: {
    flag: "--fault-429 <share>",
    parse: parseShare,
    help: "share (0–1) of API requests answered 429 with Retry-After",
  },
  fault503: {
    flag: "--fault-503 <share>",
    parse: parseShare,
    help: "share (0–1) of API requests answered 503",
  },
  faultHang: {
    flag: "--fault-hang <share>",
    parse: parseShare,
    help: "share (0–1) of API requests that hang for --hang-ms first",
  },
  retryAfter: {
    flag: "--retry-after <s>",
    parse: parseNonNegativeInt,
    defaultText: "1",
    help: "Retry-After of the 429 answers",
  },
  hangMs: {
    flag: "--hang-ms <ms>",
    parse: parseNonNegativeInt,
    defaultText: "30000",
    help: "how long a hanging request waits",
  },
  listSeeded: {
    flag: "--list-seeded",
    default: false,
    help: "print the seeded (lang, rev_id) pairs as JSON lines and exit",
  },

  // ---- logs ----
  logLevel: {
    flag: "--log-level <level>",
    env: ["REVRISK_LOG_LEVEL"],
    choices: LOG_LEVELS,
    default: "info",
    help: "pino log level (logs go to stderr)",
  },
  logFormat: {
    flag: "--log-format <format>",
    env: ["REVRISK_LOG_FORMAT"],
    choices: ["json", "pretty"],
    defaultText: "pretty on a terminal, json otherwise",
    help: "log line format",
  },
  /** Process-wide, read by bin/revrisk.ts before any command (functions/node/process-guards.ts). */
  onUnhandledRejection: {
    env: ["REVRISK_ON_UNHANDLED_REJECTION"],
    choices: ["continue", "exit"],
    default: "continue",
    help: "what an unhandled promise rejection does: logged and counted (continue), or fatal (exit; the test suite sets it)",
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** Groups of options that several commands share. */
export const OPTION_GROUPS = {
  logging: ["logLevel", "logFormat"],
  mediawiki: [
    "mediawikiUrl",
    "forceHttp",
    "userAgent",
    "mediawikiTimeoutMs",
    "mediawikiRetries",
    "mediawikiRetryBaseDelayMs",
    "mediawikiRetryMaxDelayMs",
    "mediawikiConcurrency",
    "mediawikiBatchSize",
  ],
  /** Every command that loads the model and fetches from MediaWiki. */
  runtime: [
    "model",
    "provider",
    "precision",
    "featurizerThreads",
    "mediawikiUrl",
    "forceHttp",
    "userAgent",
    "mediawikiTimeoutMs",
    "mediawikiRetries",
    "mediawikiRetryBaseDelayMs",
    "mediawikiRetryMaxDelayMs",
    "mediawikiConcurrency",
    "mediawikiBatchSize",
    "logLevel",
    "logFormat",
  ],
  queue: ["queueUrl", "dlqUrl", "sqsEndpoint", "awsRegion"],
} as const satisfies Record<string, readonly OptionName[]>;

/** The spec as one command sees it (its flag spelling, default and help). */
export function specFor(name: OptionName, command?: string): OptionSpec {
  const base = OPTIONS[name] as OptionSpec;
  const o = command ? base.commands?.[command] : undefined;
  return o ? { ...base, ...o } : base;
}

/** The first set variable of the spec's list (empty values count as unset). */
export function envValue(
  spec: OptionSpec,
  env: Readonly<Record<string, unknown>>,
): { name: string; raw: string } | undefined {
  for (const name of spec.env ?? []) {
    const v = env[name];
    if (typeof v === "string" && v !== "") return { name, raw: v };
  }
  return undefined;
}

/** The one-line message for a variable whose value the parser refused. */
export function envErrorMessage(name: string, raw: string, spec: OptionSpec, err: unknown): string {
  const what = spec.flag ? ` (${spec.flag.split(" ")[0]})` : "";
  return `environment variable ${name}${what}: ${(err as Error).message ?? String(err)}`;
}

type ValueOf<N extends OptionName> = (typeof OPTIONS)[N] extends { parse: (raw: string) => infer T }
  ? T
  : (typeof OPTIONS)[N] extends { default: infer D }
    ? D extends string
      ? string
      : D
    : string;

/**
 * The settings `names` from an environment (a Worker's bindings): the first set variable parsed like
 * its flag, else the default (`command`'s, e.g. "worker"). Throws SettingError naming the variable.
 */
export function settingsFromEnv<N extends OptionName>(
  names: readonly N[],
  env: Readonly<Record<string, unknown>>,
  command?: string,
): { [K in N]: ValueOf<K> | undefined } {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const spec = specFor(name, command);
    const found = envValue(spec, env);
    if (found) {
      try {
        out[name] = parseSetting(spec, found.raw);
      } catch (err) {
        throw new SettingError(envErrorMessage(found.name, found.raw, spec, err), { cause: err });
      }
    } else out[name] = spec.default;
  }
  return out as { [K in N]: ValueOf<K> | undefined };
}
