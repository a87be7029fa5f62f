/**
 * `revrisk serve` (= `npm start`): the whole product in one process on embedded defaults —
 * ingest (POST /v1/events, and Wikimedia EventStreams when live) → embedded durable queue →
 * scorer pollers (scaled by the autoscaling policy on the queue backlog) → a local
 * EventGate-compatible sink storing predictions in DuckDB, plus the on-demand API.
 * `--offline` replaces the live sources by a replay and an in-process MediaWiki fixture server.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { startApiServer } from "../api/node.ts";
import { runIngest } from "../ingest/cli.ts";
import { openQueue } from "../node/queue.ts";
import { addOptions } from "../node/options.ts";
import { createLogger, onShutdown } from "../node/logger.ts";
import { createRuntime, runtimeOptions, eventEmitter } from "../node/runtime.ts";
import { startScorerWorker, type ScorerWorker } from "../scorer/node.ts";
import { startMonitor } from "../scorer/monitor.ts";
import { pipelineStatus, registerStatusMetrics } from "../node/live-status.ts";
import { startEventGateSink } from "../../standins/eventgate-sink/sink.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../../standins/mediawiki-fixture/server.ts";
import { loadStoreFile } from "../../standins/mediawiki-fixture/store.ts";
import { pageChangeEventsFromStore } from "../../standins/mediawiki-fixture/replay.ts";
import { EventGateClient } from "../../shared/pipeline/eventgate-client.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../../shared/ingest/ingest-app.ts";
import { checkEventGate } from "../../shared/pipeline/publisher.ts";

function readReplay(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .map((l, i) => [l.trim(), i + 1] as const)
    .filter(([l]) => l)
    .map(([l, n]) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`${path}:${n}: not JSON (${(e as Error).message})`, { cause: e });
      }
    });
}

export function register(program: Command): void {
  addOptions(
    program
      .command("serve")
      .description(
        "run everything on embedded defaults: ingest → queue → scorer → local EventGate sink (DuckDB) + on-demand API",
      ),
    "group:runtime",
    "offline",
    "replay",
    "fixtureData",
    "replayRate",
    "eventstreamsUrl",
    "strictLanguages",
    "allowRevisionJsonInput",
    "port",
    "ingestPort",
    "sinkPort",
    "host",
    "dataDir",
    "eventgateUrl",
    "eventgateStream",
    "schemaVersion",
    "maxWorkers",
    "token",
    "withFeatures",
    "feedMaxConnection",
    "exitWhenDone",
  ).action(async (o) => {
    const log = createLogger("serve", o);
    const dataDir = resolve(o.dataDir);
    mkdirSync(dataDir, { recursive: true });

    // Prediction events go to --eventgate-url when given (a real EventGate), else to an
    // in-process EventGate-compatible sink storing them in DuckDB.
    const sink = o.eventgateUrl
      ? undefined
      : await startEventGateSink({ port: o.sinkPort, host: o.host, dbPath: join(dataDir, "results.duckdb") });
    const eventgateUrl: string = o.eventgateUrl ?? sink!.eventsUrl;
    if (sink)
      log.info(
        { url: sink.eventsUrl, db: join(dataDir, "results.duckdb") },
        "EventGate-compatible sink listening",
      );
    else log.info({ url: eventgateUrl }, "prediction events go to EventGate");
    // The same start-up check as scorer and backfill: an unknown schema version or stream stops here.
    const eventgate = new EventGateClient({ url: eventgateUrl });
    await checkEventGate(eventgate, { stream: o.eventgateStream, schemaVersion: o.schemaVersion }, (reason) =>
      log.warn({ reason }, "EventGate unreachable at start-up; events will be retried"),
    ).catch(async (err: unknown) => {
      await sink?.close();
      throw err;
    });

    let mw: MwFixtureServer | undefined;
    let mediawikiUrl: string | undefined = o.mediawikiUrl;
    if (o.offline) {
      mw = await startMwFixtureServer({
        port: 0,
        store: o.fixtureData ? loadStoreFile(o.fixtureData) : undefined,
      });
      mediawikiUrl = mw.apiBase;
      log.info({ url: mw.url }, "offline: MediaWiki fixture server started");
    }
    const runtime = await createRuntime({ ...runtimeOptions(o, log), mediawikiUrl });

    // serve is the one owner of the embedded queue: ingest and the scorer pollers share its handle.
    const queue = openQueue({ dataDir });
    let ingest;
    try {
      ingest = await runIngest({
        queue,
        port: o.ingestPort,
        host: o.host,
        token: o.token,
        dataDir,
        model: o.model,
        namespaces: "0",
        maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
        eventstreams: o.offline ? false : o.eventstreamsUrl,
        offline: o.offline,
        log: (line) => log.info(line),
      });
    } catch (err) {
      log.error((err as Error).message);
      log.error(
        "Live sources unreachable. Run `npm start -- --offline` (or `revrisk serve --offline`) for the offline demo.",
      );
      await sink?.close();
      await runtime.close();
      await queue.close();
      process.exit(2);
    }

    // In-process autoscaling: the same policy as the deployment, applied to the poller pool.
    const monitor = startMonitor({
      queue,
      worker: () => worker,
      statusPath: join(dataDir, "status.json"),
      log,
      scaling: {
        minWorkers: 1,
        maxWorkers: o.maxWorkers,
        targetLagSeconds: 30,
        defaultThroughputPerWorker: 2,
        scaleInCooldownSeconds: 30,
        idleToMinSeconds: 60,
      },
    });
    const worker: ScorerWorker = startScorerWorker({
      service: runtime.service,
      queue,
      eventgate,
      manifest: runtime.model.manifest,
      stream: o.eventgateStream,
      schemaVersion: o.schemaVersion,
      pollers: 1,
      waitS: 1,
      featuresDir: o.withFeatures ? join(dataDir, "features") : undefined,
      count: (outcome, reason) => monitor.count(outcome, reason),
      timed: (ms) => monitor.timed(ms),
      log: (level, msg, fields) => log[level](fields ?? {}, msg),
    });

    // The dashboard's numbers and feed: the monitor + ingest snapshot, and the results table.
    const status = pipelineStatus({ monitor, ingest: ingest.server.metrics });
    registerStatusMetrics(runtime.metrics.registry, status);
    const api = await startApiServer({
      status,
      // The feed reads the local results table; with a real EventGate there is none.
      feed: sink ? { source: sink.db, maxConnectionMs: o.feedMaxConnection * 1000 } : undefined,
      service: runtime.service,
      metrics: runtime.metrics,
      // One structured line per 5xx answer and per failed prediction-event emission.
      logger: log.child({ component: "api" }),
      host: o.host,
      port: o.port,
      config: { strictLanguages: o.strictLanguages, allowRevisionJsonInput: o.allowRevisionJsonInput },
      emitEvent: eventEmitter({ eventgateUrl, stream: o.eventgateStream, schemaVersion: o.schemaVersion }),
    });

    const stop = async () => {
      monitor.stop();
      await ingest.close();
      await worker.stop();
      await api.stop();
      await runtime.close();
      await queue.close();
      await sink?.close();
      await mw?.close();
    };
    onShutdown(log, stop);

    console.error(
      [
        "",
        `revrisk serve is running (${o.offline ? "offline demo" : "live"}; model ${runtime.model.manifest.model_version} on ${runtime.model.health().provider})`,
        `  dashboard       ${api.url}/dashboard   (feed: ${api.url}/v1/stream/predictions)`,
        `  on-demand API   ${api.url}/v1/models/${runtime.model.manifest.model_name}:predict   docs: ${api.url}/docs`,
        `  ingest          POST ${ingest.server.url}/v1/events`,
        ...(sink
          ? [
              `  EventGate sink  ${sink.eventsUrl}`,
              `  results         node bin/revrisk.ts sql "SELECT wiki_id, rev_id, probability_true FROM predictions ORDER BY probability_true DESC LIMIT 10" --data-dir ${o.dataDir} --snapshot`,
            ]
          : [`  EventGate       ${eventgateUrl}`]),
        `  status          node bin/revrisk.ts status --data-dir ${o.dataDir}`,
        "",
      ].join("\n"),
    );

    if (o.offline) {
      const events = o.replay ? readReplay(o.replay) : pageChangeEventsFromStore(mw!.store);
      const batch = Math.max(1, Math.ceil(o.replayRate / 4));
      log.info({ events: events.length, rate: o.replayRate }, "replaying page_change events into ingest");
      let accepted = 0;
      for (let i = 0; i < events.length; i += batch) {
        const res = await fetch(`${ingest.server.url}/v1/events`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          },
          body: JSON.stringify(events.slice(i, i + batch)),
        });
        accepted += ((await res.json()) as { accepted?: number }).accepted ?? 0;
        await new Promise((r) => setTimeout(r, (1000 * batch) / o.replayRate));
      }
      log.info({ accepted, replayed: events.length }, "replay finished");
      if (o.exitWhenDone) {
        while (monitor.finished < accepted) await new Promise((r) => setTimeout(r, 500));
        const rows = sink ? ` (${(await sink.db.stats()).rows} rows in the results table)` : "";
        console.error(
          `scored ${monitor.finished} revisions: ${monitor.published} predictions published${rows}, ${monitor.skipped} skipped`,
        );
        await stop();
        process.exit(0);
      }
    }
  });
}
