/**
 * Cloudflare Workers adapter of the ingest function: the shared Hono app (shared/ingest.ts) with
 * the SQS backend (@aws-sdk/client-sqs runs in workerd). Configuration comes from `vars` in
 * wrangler.jsonc and secrets (`wrangler secret put INGEST_TOKEN`, `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`). Counters behind GET /metrics are per isolate.
 */
import type { Hono } from "hono";
import { createIngestApp, IngestMetrics } from "../../shared/ingest/ingest-app.ts";
import { RRML_DEFAULT_LANGS } from "../../shared/events/page-change.ts";
import { SqsQueue } from "../../shared/queue/sqs-queue.ts";

export interface IngestWorkerEnv {
  /** Secret: bearer token for POST /v1/events. Required unless ALLOW_NO_AUTH is "true". */
  INGEST_TOKEN?: string;
  ALLOW_NO_AUTH?: string;
  SQS_QUEUE_URL: string;
  SQS_DLQ_URL?: string;
  /** Explicit SQS endpoint, e.g. https://sqs.eu-west-1.amazonaws.com or a local emulator. */
  SQS_ENDPOINT?: string;
  AWS_REGION?: string;
  /** Secrets. */
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_SESSION_TOKEN?: string;
  /** Comma-separated languages or wiki ids (the model manifest's supported_wikis); default: the 47 RRML languages. */
  SUPPORTED_WIKIS?: string;
  ALLOW_TESTWIKI?: string;
  /** Comma-separated namespaces. Default "0". */
  NAMESPACES?: string;
  MAX_BODY_BYTES?: string;
  /** "true": GET /healthz reads the queue depth (needs sqs:GetQueueAttributes). Default off. */
  HEALTH_QUEUE_DEPTH?: string;
}

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
  if (!env.SQS_QUEUE_URL) return "SQS_QUEUE_URL is not set";
  if (!env.INGEST_TOKEN && env.ALLOW_NO_AUTH !== "true") return "secret INGEST_TOKEN is not set";
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY)
    return "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY secrets are not set";
  const queue = new SqsQueue({
    queueUrl: env.SQS_QUEUE_URL,
    dlqUrl: env.SQS_DLQ_URL || undefined,
    endpoint: env.SQS_ENDPOINT || undefined,
    region: env.AWS_REGION || "us-east-1",
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    },
  });
  const list = (s: string | undefined) =>
    (s ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const wikis = list(env.SUPPORTED_WIKIS);
  const app = createIngestApp({
    queue,
    metrics,
    config: {
      token: env.INGEST_TOKEN || undefined,
      maxBodyBytes: env.MAX_BODY_BYTES ? Number(env.MAX_BODY_BYTES) : undefined,
      healthQueueDepth: env.HEALTH_QUEUE_DEPTH === "true",
      filter: {
        wikis: wikis.length ? wikis : RRML_DEFAULT_LANGS,
        allowTestwiki: env.ALLOW_TESTWIKI === "true",
        namespaces: env.NAMESPACES ? list(env.NAMESPACES).map(Number) : [0],
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
