/**
 * Cloudflare Workers adapter of the ingest function: the shared Hono app (shared/ingest/ingest-app.ts)
 * with the SQS backend (@aws-sdk/client-sqs runs in workerd). Configuration comes from `vars` in
 * wrangler.jsonc and secrets (`wrangler secret put REVRISK_INGEST_TOKEN`, `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`), read through the option table (functions/options.ts); a bad or missing
 * one answers 500 "misconfigured" naming it. Counters behind GET /metrics are per isolate.
 */
import type { Hono } from "hono";
import { createIngestApp, IngestMetrics } from "../../shared/ingest/ingest-app.ts";
import { RRML_DEFAULT_LANGS } from "../../shared/events/page-change.ts";
import { SqsQueue } from "../../shared/queue/sqs-queue.ts";
import { settingsFromEnv, type OptionName } from "../options.ts";

/**
 * The settings the Worker reads from its bindings (`vars` in wrangler.jsonc and secrets), by the
 * option table's variable names — REVRISK_QUEUE_URL (or SQS_QUEUE_URL), REVRISK_INGEST_TOKEN (or
 * INGEST_TOKEN), REVRISK_WIKIS, … — each parsed as the same option is on the command line.
 */
const WORKER_SETTINGS = [
  "queueUrl",
  "dlqUrl",
  "sqsEndpoint",
  "awsRegion",
  "awsAccessKeyId",
  "awsSecretAccessKey",
  "awsSessionToken",
  "token",
  "allowNoAuth",
  "wikis",
  "allowTestwiki",
  "namespaces",
  "maxBodyBytes",
  "healthQueueDepth",
] as const satisfies readonly OptionName[];

/** The Worker's bindings: string vars and secrets, named as in the option table. */
export type IngestWorkerEnv = Record<string, unknown>;

let cached: { key: string; app: Hono } | undefined;
const metrics = new IngestMetrics();

function misconfigured(message: string): Response {
  return new Response(JSON.stringify({ error: `ingest worker misconfigured: ${message}` }), {
    status: 500,
    headers: { "content-type": "application/json" },
  });
}

function appFor(env: IngestWorkerEnv): Hono | string {
  // Rebuild only when the configuration (string vars and secrets) changes.
  const key = JSON.stringify(Object.entries(env).filter(([, v]) => typeof v === "string"));
  if (cached && cached.key === key) return cached.app;
  let s;
  try {
    s = settingsFromEnv(WORKER_SETTINGS, env, "worker");
  } catch (e) {
    return (e as Error).message;
  }
  if (!s.queueUrl) return "REVRISK_QUEUE_URL (or SQS_QUEUE_URL) is not set";
  if (!s.token && !s.allowNoAuth) return "secret REVRISK_INGEST_TOKEN (or INGEST_TOKEN) is not set";
  if (!s.awsAccessKeyId || !s.awsSecretAccessKey)
    return "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY secrets are not set";
  const queue = new SqsQueue({
    queueUrl: s.queueUrl,
    dlqUrl: s.dlqUrl,
    endpoint: s.sqsEndpoint,
    region: s.awsRegion,
    credentials: {
      accessKeyId: s.awsAccessKeyId,
      secretAccessKey: s.awsSecretAccessKey,
      sessionToken: s.awsSessionToken,
    },
  });
  const app = createIngestApp({
    queue,
    metrics,
    config: {
      token: s.token,
      maxBodyBytes: s.maxBodyBytes,
      healthQueueDepth: s.healthQueueDepth,
      filter: {
        wikis: s.wikis ? s.wikis.split(",") : RRML_DEFAULT_LANGS,
        allowTestwiki: s.allowTestwiki,
        namespaces: s.namespaces!.split(",").map(Number),
      },
    },
  });
  cached = { key, app };
  return app;
}

export default {
  async fetch(request: Request, env: IngestWorkerEnv): Promise<Response> {
    const app = appFor(env);
    if (typeof app === "string") return misconfigured(app);
    return app.fetch(request, env);
  },
};
