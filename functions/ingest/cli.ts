/**
 * `revrisk ingest`: the ingest function on Node. Accepts page_change events over HTTP
 * (POST /v1/events) and, with --eventstreams, consumes Wikimedia EventStreams directly; both go
 * through the same validation, filter and queue.
 */
import { join } from "node:path";
import type { Command } from "commander";
import {
  DEFAULT_EVENTSTREAMS_URL,
  EventStreamsSource,
  ingestForwarder,
} from "../../shared/ingest/eventstreams.ts";
import { IngestMetrics, processEvents, type IngestConfig } from "../../shared/ingest/ingest-app.ts";
import type { FilterConfig } from "../../shared/events/page-change.ts";
import type { Queue } from "../../shared/queue/queue.ts";
import { addOptions } from "../node/options.ts";
import { openQueue } from "../node/queue.ts";
import { fileCursorStore, startIngestServer, supportedWikis, type IngestServer } from "./node.ts";
import { createLogger, onShutdown, type LogSettings } from "../node/logger.ts";

export interface IngestCliOptions extends LogSettings {
  port: number;
  host: string;
  token?: string;
  queueUrl?: string;
  dlqUrl?: string;
  sqsEndpoint?: string;
  awsRegion?: string;
  /** An open queue owned by the caller (e.g. serve), used instead of opening one; not closed here. */
  queue?: Queue;
  dataDir: string;
  model?: string;
  wikis?: string;
  allowTestwiki?: boolean;
  namespaces: string;
  keepPageCreations?: boolean;
  maxBodyBytes: number;
  healthQueueDepth?: boolean;
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
  const config: IngestConfig = {
    filter,
    token: o.token,
    maxBodyBytes: o.maxBodyBytes,
    healthQueueDepth: o.healthQueueDepth,
  };
  const ownQueue = o.queue === undefined;
  const queue =
    o.queue ??
    openQueue({
      queueUrl: o.queueUrl,
      dlqUrl: o.dlqUrl,
      sqsEndpoint: o.sqsEndpoint,
      awsRegion: o.awsRegion,
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
      if (ownQueue) await queue.close();
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
      if (ownQueue) await queue.close();
    },
  };
}

export function register(program: Command): void {
  addOptions(
    program
      .command("ingest")
      .description(
        "run the ingest function: POST /v1/events (page_change events) → filter → queue; optionally consume EventStreams",
      ),
    "port",
    "host",
    "token",
    "group:queue",
    "dataDir",
    "model",
    "wikis",
    "allowTestwiki",
    "namespaces",
    "keepPageCreations",
    "maxBodyBytes",
    "healthQueueDepth",
    "eventstreams",
    "offline",
    "forwardTo",
    "forwardToken",
    "since",
    "group:logging",
  ).action(async (opts: IngestCliOptions) => {
    let handle;
    try {
      handle = await runIngest(opts);
    } catch (e) {
      console.error(`revrisk ingest: ${(e as Error).message}`);
      process.exitCode = 1;
      return;
    }
    onShutdown(createLogger("ingest", opts), () => handle.close());
  });
}
