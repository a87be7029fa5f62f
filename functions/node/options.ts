/**
 * Command-line options shared by the subcommands, each with environment-variable equivalents.
 * An option's value comes from the flag, else from the first set environment variable of its list
 * (our REVRISK_* name first, then LiftWing's name where one exists, for drop-in replacement), else
 * from its default.
 */
import { Option, type Command } from "commander";

export interface EnvOptionSpec {
  flags: string;
  description: string;
  env: string[];
  default?: string | boolean | number;
  parse?: (value: string) => unknown;
  choices?: string[];
}

/** Values the environment gives for boolean variables. */
export function parseBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off", ""].includes(v)) return false;
  throw new Error(`expected a boolean (true/false), got "${value}"`);
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port "${value}"`);
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return n;
}

export function envOption(spec: EnvOptionSpec, env: NodeJS.ProcessEnv = process.env): Option {
  const opt = new Option(spec.flags, `${spec.description} [env: ${spec.env.join(", ")}]`);
  if (spec.choices) opt.choices(spec.choices);
  const isBool = !spec.flags.includes("<") && !spec.flags.includes("[");
  if (spec.parse) {
    const parse = spec.parse;
    opt.argParser((v: string) => {
      try {
        return parse(v);
      } catch (err) {
        throw new Error(`${spec.flags.split(/[ ,]/)[0]}: ${(err as Error).message}`, { cause: err });
      }
    });
  }
  const fromEnv = spec.env.map((n) => env[n]).find((v) => v !== undefined && v !== "");
  if (fromEnv !== undefined) {
    const name = spec.env.find((n) => env[n] !== undefined && env[n] !== "")!;
    try {
      opt.default(isBool ? parseBool(fromEnv) : spec.parse ? spec.parse(fromEnv) : fromEnv, `from ${name}`);
    } catch (err) {
      throw new Error(`environment variable ${name}: ${(err as Error).message}`, { cause: err });
    }
  } else if (spec.default !== undefined) {
    opt.default(spec.default);
  }
  return opt;
}

/** The options most subcommands share. */
export const common = {
  port: (def: number) =>
    envOption({
      flags: "--port <port>",
      description: "port to listen on",
      env: ["REVRISK_PORT", "PORT"],
      default: def,
      parse: parsePort,
    }),
  host: () =>
    envOption({
      flags: "--host <host>",
      description: "address to listen on",
      env: ["REVRISK_HOST"],
      default: "127.0.0.1",
    }),
  model: () =>
    envOption({
      flags: "--model <dir>",
      description: "model bundle directory (manifest.json, encoders, classifier)",
      env: ["REVRISK_MODEL", "MODEL_PATH"],
      default: "models/fixture",
    }),
  provider: () =>
    envOption({
      flags: "--provider <name>",
      description: "encoder execution provider: cuda (falls back to cpu, loudly), cpu, or wasm",
      env: ["REVRISK_PROVIDER"],
      default: "cuda",
      choices: ["cuda", "cpu", "wasm"],
    }),
  precision: () =>
    envOption({
      flags: "--precision <p>",
      description:
        "encoder weights: fp32, or the bundle's dynamically quantized int8 variants (faster on CPU)",
      env: ["REVRISK_PRECISION"],
      default: "fp32",
      choices: ["fp32", "int8"],
    }),
  mediawikiUrl: () =>
    envOption({
      flags: "--mediawiki-url <url>",
      description:
        "base URL of the MediaWiki Action API ({host} and {lang} placeholders pick the wiki; default https://{host})",
      env: ["REVRISK_MEDIAWIKI_URL", "WIKI_URL"],
    }),
  userAgent: () =>
    envOption({
      flags: "--user-agent <ua>",
      description: "User-Agent of MediaWiki requests (Wikimedia's policy asks for a contact address)",
      env: ["REVRISK_MW_USER_AGENT"],
    }),
  forceHttp: () =>
    envOption({
      flags: "--force-http",
      description: "use http://{host} instead of https://{host} for MediaWiki",
      env: ["REVRISK_FORCE_HTTP", "FORCE_HTTP"],
      default: false,
    }),
  eventgateUrl: () =>
    envOption({
      flags: "--eventgate-url <url>",
      description: "EventGate endpoint events are POSTed to (e.g. http://127.0.0.1:8192/v1/events)",
      env: ["REVRISK_EVENTGATE_URL", "EVENTGATE_URL"],
    }),
  eventgateStream: () =>
    envOption({
      flags: "--eventgate-stream <stream>",
      description: "stream of the prediction events",
      env: ["REVRISK_EVENTGATE_STREAM", "EVENTGATE_STREAM"],
      default: "mediawiki.page_revert_risk_multilingual_prediction_change.v1",
    }),
  queueUrl: () =>
    envOption({
      flags: "--queue-url <url>",
      description: "SQS queue URL (omit for the embedded local queue)",
      env: ["REVRISK_QUEUE_URL", "SQS_QUEUE_URL"],
    }),
  dlqUrl: () =>
    envOption({
      flags: "--dlq-url <url>",
      description: "SQS dead-letter queue URL",
      env: ["REVRISK_DLQ_URL", "SQS_DLQ_URL"],
    }),
  schemaVersion: () =>
    envOption({
      flags: "--schema-version <v>",
      description: "prediction event schema version (1.0.0 … 1.3.0; the sink validates ≤ 1.1.0)",
      env: ["REVRISK_SCHEMA_VERSION"],
      default: "1.1.0",
    }),
  sqsEndpoint: () =>
    envOption({
      flags: "--sqs-endpoint <url>",
      description: "explicit SQS endpoint (e.g. a local fauxqs at http://127.0.0.1:4566)",
      env: ["REVRISK_SQS_ENDPOINT", "SQS_ENDPOINT", "AWS_ENDPOINT_URL_SQS"],
    }),
  strictLanguages: () =>
    envOption({
      flags: "--strict-languages",
      description: "reject (400) canonical languages the model was not trained on instead of scoring them",
      env: ["REVRISK_STRICT_LANGUAGES"],
      default: false,
    }),
  allowRevisionJson: () =>
    envOption({
      flags: "--allow-revision-json-input",
      description: 'accept {"revision_data": …} (pre-save) inputs',
      env: ["REVRISK_ALLOW_REVISION_JSON_INPUT", "ALLOW_REVISION_JSON_INPUT"],
      default: false,
    }),
  featurizerThreads: () =>
    envOption({
      flags: "--featurizer-threads <n>",
      description: "worker threads parsing and diffing wikitext (0: on the event loop; default: cores − 1)",
      env: ["REVRISK_FEATURIZER_THREADS"],
      parse: (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new Error(`expected an integer ≥ 0, got "${v}"`);
        return n;
      },
    }),
  dataDir: () =>
    envOption({
      flags: "--data-dir <dir>",
      description: "where the embedded queue and the results database live",
      env: ["REVRISK_DATA_DIR"],
      default: "var",
    }),
};

/** The options of every command that loads the model and fetches from MediaWiki. */
export function addRuntimeOptions(cmd: Command): Command {
  return cmd
    .addOption(common.model())
    .addOption(common.provider())
    .addOption(common.precision())
    .addOption(common.featurizerThreads())
    .addOption(common.mediawikiUrl())
    .addOption(common.forceHttp())
    .addOption(common.userAgent());
}
