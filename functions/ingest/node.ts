/**
 * Node adapter of the ingest function: the shared Hono app (shared/ingest/ingest-app.ts) on @hono/node-server,
 * with the embedded durable queue (default) or SQS.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import type { Hono } from "hono";
import { createIngestApp, IngestMetrics, type IngestConfig } from "../../shared/ingest/ingest-app.ts";
import type { CursorStore } from "../../shared/ingest/eventstreams.ts";
import { RRML_DEFAULT_LANGS } from "../../shared/events/page-change.ts";
import type { Queue } from "../../shared/queue/queue.ts";
import { answerClientErrors, httpServerOptions, type HttpLimits } from "../node/http-limits.ts";
import type { Server } from "node:http";

/**
 * The wikis to accept: the model manifest's `supported_wikis` (`<modelDir>/manifest.json`) when it
 * exists, else the 47 RRML training languages.
 */
export function supportedWikis(modelDir?: string): { wikis: string[]; source: string } {
  if (modelDir) {
    const p = join(modelDir, "manifest.json");
    if (existsSync(p)) {
      const m = JSON.parse(readFileSync(p, "utf8")) as { supported_wikis?: unknown };
      if (Array.isArray(m.supported_wikis) && m.supported_wikis.every((w) => typeof w === "string")) {
        return { wikis: m.supported_wikis as string[], source: p };
      }
      throw new Error(`${p}: supported_wikis missing or not a list of strings`);
    }
  }
  return { wikis: [...RRML_DEFAULT_LANGS], source: "built-in RRML list (47 languages)" };
}

export interface IngestServer {
  url: string;
  port: number;
  app: Hono;
  metrics: IngestMetrics;
  server: Server;
  close(): Promise<void>;
}

export async function startIngestServer(options: {
  queue: Queue;
  config: IngestConfig;
  port?: number;
  host?: string;
  metrics?: IngestMetrics;
  /** Request/header timeouts (defaults in functions/node/http-limits.ts). */
  http?: HttpLimits;
}): Promise<IngestServer> {
  const metrics = options.metrics ?? new IngestMetrics();
  const app = createIngestApp({ queue: options.queue, config: options.config, metrics });
  const host = options.host ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        port: options.port ?? 0,
        hostname: host,
        serverOptions: httpServerOptions(options.http),
      },
      (info: AddressInfo) => {
        const h = host.includes(":") ? `[${host}]` : host;
        resolve({
          url: `http://${h}:${info.port}`,
          port: info.port,
          app,
          metrics,
          server: server as Server,
          close: () =>
            new Promise<void>((res) => {
              server.close(() => res());
              (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            }),
        });
      },
    );
    server.once("error", reject);
    answerClientErrors(server as Server, options.http);
  });
}

/** A cursor store in a small file (written atomically), for the EventStreams source. */
export function fileCursorStore(path: string): CursorStore {
  return {
    async load() {
      try {
        const v = (await readFile(path, "utf8")).trim();
        return v || undefined;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
      }
    },
    async save(id: string) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.tmp`;
      await writeFile(tmp, id);
      await rename(tmp, path);
    },
  };
}
