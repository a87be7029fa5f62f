/**
 * `revrisk scorer`: the GPU container function. Drains the queue with several pollers into the
 * batching scoring service, publishes prediction events to EventGate, and serves the on-demand API
 * (with /healthz, /readyz, /metrics) on --port. SIGTERM drains in-flight work before exiting.
 */
import type { Command } from "commander";
import { startApiServer } from "../api/node.ts";
import { openQueue } from "../node/queue.ts";
import { UsageError } from "../options.ts";
import { addOptions } from "../node/options.ts";
import { createLogger, onShutdown } from "../node/logger.ts";
import { createRuntime, runtimeOptions, eventEmitter } from "../node/runtime.ts";
import { EventGateClient } from "../../shared/pipeline/eventgate-client.ts";
import { checkEventGate } from "../../shared/pipeline/publisher.ts";
import { join } from "node:path";
import { startMonitor } from "./monitor.ts";
import { pipelineStatus, registerStatusMetrics } from "../node/live-status.ts";
import { startScorerWorker, type ScorerWorker } from "./node.ts";

export function register(program: Command): void {
  addOptions(
    program
      .command("scorer")
      .description(
        "score queued revisions in micro-batches and publish prediction events to EventGate; serves the on-demand API too",
      ),
    "group:runtime",
    "group:queue",
    "dataDir",
    "eventgateUrl",
    "eventgateStream",
    "schemaVersion",
    "pollers",
    "visibilityTimeout",
    "wait",
    "strictLanguages",
    "allowRevisionJsonInput",
    "port",
    "host",
    "withFeatures",
    "api",
  ).action(async (o) => {
    if (!o.eventgateUrl)
      throw new UsageError(
        "--eventgate-url (or REVRISK_EVENTGATE_URL, EVENTGATE_URL) is required: the scorer publishes prediction events there",
      );
    const log = createLogger("scorer", o);
    const eventgate = new EventGateClient({ url: o.eventgateUrl });
    await checkEventGate(eventgate, { stream: o.eventgateStream, schemaVersion: o.schemaVersion }, (reason) =>
      log.warn({ reason }, "EventGate unreachable at start-up; events will be retried"),
    );
    const runtime = await createRuntime(runtimeOptions(o, log));
    const queue = openQueue({
      queueUrl: o.queueUrl,
      dlqUrl: o.dlqUrl,
      sqsEndpoint: o.sqsEndpoint,
      awsRegion: o.awsRegion,
      dataDir: o.dataDir,
    });
    const monitor = startMonitor({
      queue,
      worker: () => worker,
      statusPath: join(o.dataDir, "status.json"),
      log,
    });
    const worker: ScorerWorker = startScorerWorker({
      service: runtime.service,
      queue,
      eventgate,
      manifest: runtime.model.manifest,
      stream: o.eventgateStream,
      schemaVersion: o.schemaVersion,
      pollers: o.pollers,
      visibilityTimeoutS: o.visibilityTimeout,
      waitS: o.wait,
      featuresDir: o.withFeatures ? join(o.dataDir, "features") : undefined,
      count: (outcome, reason) => {
        monitor.count(outcome, reason);
        log.debug({ outcome, reason }, "message");
      },
      timed: (ms) => monitor.timed(ms),
      log: (level, msg, fields) => log[level](fields ?? {}, msg),
    });
    // The dashboard's numbers (no feed: predictions go to EventGate; docs/dashboard.md).
    const status = pipelineStatus({ monitor });
    registerStatusMetrics(runtime.metrics.registry, status);
    const api = o.api
      ? await startApiServer({
          status,
          service: runtime.service,
          metrics: runtime.metrics,
          // One structured line per 5xx answer and per failed prediction-event emission.
          logger: log.child({ component: "api" }),
          host: o.host,
          port: o.port,
          config: { strictLanguages: o.strictLanguages, allowRevisionJsonInput: o.allowRevisionJsonInput },
          emitEvent: eventEmitter({
            eventgateUrl: o.eventgateUrl,
            stream: o.eventgateStream,
            schemaVersion: o.schemaVersion,
          }),
        })
      : undefined;
    log.info({ queue: queue.kind, pollers: o.pollers, api: api?.url }, "scorer running");
    onShutdown(log, async () => {
      monitor.stop();
      await worker.stop();
      await api?.stop();
      await runtime.close();
      await queue.close();
    });
  });
}
