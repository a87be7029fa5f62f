/**
 * `revrisk ingest`: the ingest function on Node. Accepts page_change events over HTTP
 * (POST /v1/events) and, with --eventstreams, consumes Wikimedia EventStreams directly; both go
 * through the same validation, filter and queue.
 */
import { join } from "node:path";
import { Option, type Command } from "commander";
import {
  DEFAULT_EVENTSTREAMS_URL,
  EventStreamsSource,
  ingestForwarder,
} from "../../shared/ingest/eventstreams.ts";
import { IngestMetrics, processEvents, type IngestConfig } from "../../shared/ingest/ingest-app.ts";
import type { FilterConfig } from "../../shared/events/page-change.ts";
import { createLogger, onShutdown } from "../node/runtime.ts";
import { fileCursorStore, openQueue, startIngestServer, supportedWikis, type IngestServer } from "./node.ts";

export interface IngestCliOptions {
  port: number;
  host: string;
  token?: string;
  queueUrl?: string;
  dlqUrl?: string;
  sqsEndpoint?: string;
  dataDir: string;
  model?: string;
  wikis?: string;
  allowTestwiki?: boolean;
  namespaces: string;
  keepPageCreations?: boolean;
  maxBodyBytes: number;
  eventstreams?: string | boolean;
  since?: string;
  /** Never connect to EventStreams (overrides --eventstreams). */
  offline?: boolean;
  /** POST EventStreams batches to this ingest URL (e.g. the Workers deployment) instead of the local queue. */
  forwardTo?: string;
  forwardToken?: string;
  log?: (line: string) => void;
}

/** Starts everything `revrisk ingest` runs; returns a handle to stop it. */
export async function runIngest(
  o: IngestCliOptions,
): Promise<{ server: IngestServer; source?: EventStreamsSource; close(): Promise<void> }> {
  const log = o.log ?? ((l: string) => console.error(l));
  const { wikis, source: wikiSource } = o.wikis
    ? {
        wikis: o.wikis
          .split(",")
          .map((w) => w.trim())
          .filter(Boolean),
        source: "--wikis",
      }
    : supportedWikis(o.model);
  const filter: FilterConfig = {
    wikis,
    allowTestwiki: o.allowTestwiki ?? false,
    namespaces: o.namespaces.split(",").map(Number),
    dropPageCreations: !o.keepPageCreations,
  };
  const config: IngestConfig = { filter, token: o.token, maxBodyBytes: o.maxBodyBytes };
  const queue = openQueue({
    queueUrl: o.queueUrl,
    dlqUrl: o.dlqUrl,
    sqsEndpoint: o.sqsEndpoint,
    dataDir: o.dataDir,
  });
  const metrics = new IngestMetrics();
  const server = await startIngestServer({ queue, config, port: o.port, host: o.host, metrics });
  log(
    `ingest listening on ${server.url} (queue: ${queue.kind}; ${wikis.length} wikis from ${wikiSource}; auth: ${o.token ? "bearer token" : "OFF"})`,
  );

  let source: EventStreamsSource | undefined;
  if (o.eventstreams && !o.offline) {
    const url = typeof o.eventstreams === "string" ? o.eventstreams : DEFAULT_EVENTSTREAMS_URL;
    source = new EventStreamsSource({
      url,
      since: o.since,
      store: fileCursorStore(join(o.dataDir, "eventstreams.cursor")),
      onEvents: o.forwardTo
        ? ingestForwarder({ url: o.forwardTo, token: o.forwardToken })
        : async (events) => {
            const r = await processEvents(events, { queue, filter, metrics });
            if (r.enqueue_failed) throw new Error(r.error ?? "enqueue failed");
          },
      onStatus: (s) => {
        if (s.type === "open")
          log(`eventstreams: connected to ${s.url}${s.resumedFrom ? " (resuming)" : ""}`);
        else if (s.type === "error") log(`eventstreams: ${s.message}`);
        else if (s.type === "poison") log(`eventstreams: ${s.message} (id ${s.eventId ?? "none"})`);
        else if (s.type === "reconnecting")
          log(`eventstreams: reconnecting in ${s.inMs} ms (attempt ${s.attempt})`);
      },
    });
    try {
      await source.start();
    } catch (e) {
      await server.close();
      await queue.close();
      throw new Error(
        `${(e as Error).message}\nEventStreams is unreachable (no network?). Rerun with --offline to accept events over HTTP only (POST /v1/events).`,
        { cause: e },
      );
    }
  }
  return {
    server,
    source,
    async close() {
      await source?.close();
      await server.close();
      await queue.close();
    },
  };
}

const env = (...names: string[]) => names.map((n) => process.env[n]).find((v) => v !== undefined && v !== "");

export function register(program: Command): void {
  program
    .command("ingest")
    .description(
      "run the ingest function: POST /v1/events (page_change events) → filter → queue; optionally consume EventStreams",
    )
    .addOption(
      new Option("--port <port>", "port to listen on [env: REVRISK_PORT, PORT]")
        .default(Number(env("REVRISK_PORT", "PORT") ?? 8081))
        .argParser(Number),
    )
    .addOption(
      new Option("--host <host>", "address to listen on [env: REVRISK_HOST]").default(
        env("REVRISK_HOST") ?? "127.0.0.1",
      ),
    )
    .addOption(
      new Option(
        "--token <token>",
        "bearer token required on POST /v1/events [env: REVRISK_INGEST_TOKEN, INGEST_TOKEN]",
      ).default(env("REVRISK_INGEST_TOKEN", "INGEST_TOKEN")),
    )
    .addOption(
      new Option(
        "--queue-url <url>",
        "SQS queue URL (omit for the embedded local queue) [env: REVRISK_QUEUE_URL, SQS_QUEUE_URL]",
      ).default(env("REVRISK_QUEUE_URL", "SQS_QUEUE_URL")),
    )
    .addOption(
      new Option("--dlq-url <url>", "SQS dead-letter queue URL [env: REVRISK_DLQ_URL, SQS_DLQ_URL]").default(
        env("REVRISK_DLQ_URL", "SQS_DLQ_URL"),
      ),
    )
    .addOption(
      new Option(
        "--sqs-endpoint <url>",
        "explicit SQS endpoint, e.g. http://127.0.0.1:4566 [env: REVRISK_SQS_ENDPOINT, SQS_ENDPOINT, AWS_ENDPOINT_URL_SQS]",
      ).default(env("REVRISK_SQS_ENDPOINT", "SQS_ENDPOINT", "AWS_ENDPOINT_URL_SQS")),
    )
    .addOption(
      new Option(
        "--data-dir <dir>",
        "where the embedded queue and the EventStreams cursor live [env: REVRISK_DATA_DIR]",
      ).default(env("REVRISK_DATA_DIR") ?? "var"),
    )
    .addOption(
      new Option(
        "--model <dir>",
        "model bundle whose manifest lists supported_wikis [env: REVRISK_MODEL, MODEL_PATH]",
      ).default(env("REVRISK_MODEL", "MODEL_PATH") ?? "models/fixture"),
    )
    .addOption(
      new Option(
        "--wikis <list>",
        "comma-separated languages or wiki ids to accept (overrides the manifest) [env: REVRISK_WIKIS]",
      ).default(env("REVRISK_WIKIS")),
    )
    .addOption(
      new Option("--allow-testwiki", "also accept testwiki events [env: REVRISK_ALLOW_TESTWIKI]").default(
        env("REVRISK_ALLOW_TESTWIKI") === "true",
      ),
    )
    .addOption(
      new Option("--namespaces <list>", "namespaces to score [env: REVRISK_NAMESPACES]").default(
        env("REVRISK_NAMESPACES") ?? "0",
      ),
    )
    .addOption(
      new Option(
        "--keep-page-creations",
        "enqueue page creations too (the model does not handle them)",
      ).default(false),
    )
    .addOption(
      new Option("--max-body-bytes <n>", "request body limit [env: REVRISK_MAX_BODY_BYTES]")
        .default(Number(env("REVRISK_MAX_BODY_BYTES") ?? 5 * 1024 * 1024))
        .argParser(Number),
    )
    .addOption(
      new Option(
        "--eventstreams [url]",
        `consume EventStreams (default ${DEFAULT_EVENTSTREAMS_URL}) [env: REVRISK_EVENTSTREAMS]`,
      ).default(env("REVRISK_EVENTSTREAMS")),
    )
    .addOption(
      new Option(
        "--offline",
        "do not connect to EventStreams even if --eventstreams / REVRISK_EVENTSTREAMS is set [env: REVRISK_OFFLINE]",
      ).default(env("REVRISK_OFFLINE") === "true"),
    )
    .addOption(
      new Option(
        "--forward-to <url>",
        "send EventStreams batches to this ingest URL instead of the local queue [env: REVRISK_FORWARD_TO]",
      ).default(env("REVRISK_FORWARD_TO")),
    )
    .addOption(
      new Option(
        "--forward-token <token>",
        "bearer token for --forward-to [env: REVRISK_FORWARD_TOKEN]",
      ).default(env("REVRISK_FORWARD_TOKEN")),
    )
    .addOption(new Option("--since <time>", "EventStreams start time when no cursor is stored (ISO 8601)"))
    .action(async (opts: IngestCliOptions) => {
      let handle;
      try {
        handle = await runIngest(opts);
      } catch (e) {
        console.error(`revrisk ingest: ${(e as Error).message}`);
        process.exitCode = 1;
        return;
      }
      onShutdown(createLogger("ingest"), () => handle.close());
    });
}
