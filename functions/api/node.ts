/**
 * Node.js adapter for the on-demand API: serves the Hono app from functions/api/app.ts on a host and
 * port with @hono/node-server, and stops it gracefully (stop accepting, wait for in-flight requests,
 * then close idle keep-alive connections).
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { createMetrics } from "../node/metrics.ts";
import { createApiApp, type ApiOptions } from "./app.ts";
import { loadDashboardAssets } from "../node/dashboard-assets.ts";
import { answerClientErrors, httpServerOptions, type HttpLimits } from "../node/http-limits.ts";

export interface ApiServerOptions extends ApiOptions {
  /** Default "127.0.0.1". Use "0.0.0.0" (or "::") in containers. */
  host?: string;
  /** Default 8080 (KServe's port). 0 picks a free port. */
  port?: number;
  /** How long stop() waits for in-flight requests before closing their connections. Default 10000 ms. */
  drainMs?: number;
  /** Request/header timeouts (defaults in functions/node/http-limits.ts). */
  http?: HttpLimits;
}

export interface ApiServer {
  /** e.g. "http://127.0.0.1:8080" */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  /** Stops accepting connections, waits up to drainMs for in-flight requests, then closes everything. */
  stop(): Promise<void>;
}

/** Starts the API server and resolves once it listens. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { host = "127.0.0.1", port = 8080, drainMs = 10_000, http, ...appOptions } = options;
  // Without a metrics facade, serve prom-client's registry with the process metrics at /metrics.
  const app = createApiApp({
    ...appOptions,
    metrics: appOptions.metrics ?? createMetrics({ defaultMetrics: true }),
    dashboard: appOptions.dashboard ?? loadDashboardAssets(),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port, serverOptions: httpServerOptions(http) }, () =>
      resolve(s as Server),
    ) as Server;
    s.once("error", reject);
    answerClientErrors(s, http);
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    server,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), drainMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return stopping;
    },
  };
}
