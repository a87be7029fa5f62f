/**
 * `revrisk scorer`: the GPU container function. Drains the queue with several pollers into the
 * batching scoring service, publishes prediction events to EventGate, and serves the on-demand API
 * (with /healthz, /readyz, /metrics) on --port. SIGTERM drains in-flight work before exiting.
 */
import { Option, type Command } from "commander";
import { startApiServer } from "../api/node.ts";
import { openQueue } from "../ingest/node.ts";
import { addRuntimeOptions, common, envOption, parsePositiveInt } from "../node/options.ts";
import { createLogger, createRuntime, runtimeOptions, eventEmitter, onShutdown } from "../node/runtime.ts";
import { EventGateClient } from "../../shared/pipeline/eventgate-client.ts";
import { checkEventGate } from "../../shared/pipeline/publisher.ts";
import { join } from "node:path";
import { startMonitor } from "./monitor.ts";
import { pipelineStatus, registerStatusMetrics } from "../node/live-status.ts";
import { startScorerWorker, type ScorerWorker } from "./node.ts";

export function register(program: Command): void {
  addRuntimeOptions(
    program
      .command("scorer")
      .description(
        "score queued revisions in micro-batches and publish prediction events to EventGate; serves the on-demand API too",
      ),
  )
    .addOption(common.queueUrl())
    .addOption(common.dlqUrl())
    .addOption(common.sqsEndpoint())
    .addOption(common.dataDir())
    .addOption(common.eventgateUrl())
    .addOption(common.eventgateStream())
    .addOption(common.schemaVersion())
    .addOption(
      envOption({
        flags: "--pollers <n>",
        description: "concurrent queue pollers (≤ 10 messages each)",
        env: ["REVRISK_POLLERS"],
        default: 4,
        parse: parsePositiveInt,
      }),
    )
    .addOption(
      envOption({
        flags: "--visibility-timeout <s>",
        description: "visibility timeout renewed by heartbeats, seconds",
        env: ["REVRISK_VISIBILITY_TIMEOUT"],
        default: 60,
        parse: parsePositiveInt,
      }),
    )
    .addOption(
      envOption({
        flags: "--wait <s>",
        description: "long-poll wait, seconds",
        env: ["REVRISK_POLL_WAIT"],
        parse: (v) => Number(v),
      }),
    )
    .addOption(common.strictLanguages())
    .addOption(common.allowRevisionJson())
    .addOption(common.port(8080))
    .addOption(common.host())
    .addOption(
      new Option(
        "--with-features",
        "also keep each prediction's feature vector in <data-dir>/features/*.jsonl",
      ),
    )
    .addOption(new Option("--no-api", "do not serve the on-demand API (health endpoints included)"))
    .action(async (o) => {
      const log = createLogger("scorer");
      if (!o.eventgateUrl) {
        throw new Error(
          "--eventgate-url (or EVENTGATE_URL) is required: the scorer publishes prediction events there",
        );
      }
      const eventgate = new EventGateClient({ url: o.eventgateUrl });
      await checkEventGate(
        eventgate,
        { stream: o.eventgateStream, schemaVersion: o.schemaVersion },
        (reason) => log.warn({ reason }, "EventGate unreachable at start-up; events will be retried"),
      );
      const runtime = await createRuntime(runtimeOptions(o, log));
      const queue = openQueue({
        queueUrl: o.queueUrl,
        dlqUrl: o.dlqUrl,
        sqsEndpoint: o.sqsEndpoint,
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
