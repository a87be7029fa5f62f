/**
 * `revrisk serve` (= `npm start`): the whole product in one process on embedded defaults —
 * ingest (POST /v1/events, and Wikimedia EventStreams when live) → embedded durable queue →
 * scorer pollers (scaled by the autoscaling policy on the queue backlog) → a local
 * EventGate-compatible sink storing predictions in DuckDB, plus the on-demand API.
 * `--offline` replaces the live sources by a replay and an in-process MediaWiki fixture server.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Option, type Command } from "commander";
import { startApiServer } from "../api/node.ts";
import { runIngest } from "../ingest/cli.ts";
import { openQueue } from "../ingest/node.ts";
import { addRuntimeOptions, common, envOption, parsePort, parsePositiveInt } from "../node/options.ts";
import { createLogger, createRuntime, runtimeOptions, eventEmitter, onShutdown } from "../node/runtime.ts";
import { startScorerWorker, type ScorerWorker } from "../scorer/node.ts";
import { startMonitor } from "../scorer/monitor.ts";
import { pipelineStatus, registerStatusMetrics } from "../node/live-status.ts";
import { startEventGateSink } from "../../standins/eventgate-sink/sink.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../../standins/mediawiki-fixture/server.ts";
import { pageChangeEventsFromStore } from "../../standins/mediawiki-fixture/replay.ts";
import { EventGateClient } from "../../shared/pipeline/eventgate-client.ts";

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
  addRuntimeOptions(
    program
      .command("serve")
      .description(
        "run everything on embedded defaults: ingest → queue → scorer → local EventGate sink (DuckDB) + on-demand API",
      ),
  )
    .addOption(
      envOption({
        flags: "--offline",
        description:
          "replay events against an in-process MediaWiki fixture server instead of EventStreams and Wikipedia",
        env: ["REVRISK_OFFLINE"],
        default: false,
      }),
    )
    .addOption(
      envOption({
        flags: "--replay <file>",
        description:
          "with --offline: page_change events (JSON Lines) to replay (default: one per fixture revision)",
        env: ["REVRISK_REPLAY"],
      }),
    )
    .addOption(
      envOption({
        flags: "--replay-rate <n>",
        description: "replayed events per second",
        env: ["REVRISK_REPLAY_RATE"],
        default: 20,
        parse: parsePositiveInt,
      }),
    )
    .addOption(
      envOption({
        flags: "--eventstreams-url <url>",
        description: "live page_change source (Server-Sent Events)",
        env: ["REVRISK_EVENTSTREAMS"],
        default: "https://stream.wikimedia.org/v2/stream/mediawiki.page_change.v1",
      }),
    )
    .addOption(common.strictLanguages())
    .addOption(common.allowRevisionJson())
    .addOption(common.port(8080))
    .addOption(
      envOption({
        flags: "--ingest-port <port>",
        description: "port of POST /v1/events",
        env: ["REVRISK_INGEST_PORT"],
        default: 8081,
        parse: parsePort,
      }),
    )
    .addOption(
      envOption({
        flags: "--sink-port <port>",
        description: "port of the local EventGate-compatible sink",
        env: ["REVRISK_SINK_PORT"],
        default: 8192,
        parse: parsePort,
      }),
    )
    .addOption(common.host())
    .addOption(common.dataDir())
    .addOption(common.eventgateStream())
    .addOption(
      envOption({
        flags: "--max-workers <n>",
        description: "most scorer pollers the autoscaler may run",
        env: ["REVRISK_MAX_WORKERS"],
        default: 4,
        parse: parsePositiveInt,
      }),
    )
    .addOption(
      envOption({
        flags: "--token <token>",
        description: "bearer token required by POST /v1/events (default: none, local use)",
        env: ["REVRISK_INGEST_TOKEN", "INGEST_TOKEN"],
      }),
    )
    .addOption(
      new Option(
        "--with-features",
        "also keep each prediction's feature vector (<data-dir>/features/*.jsonl, for `revrisk sql --export --with-features`)",
      ),
    )
    .addOption(
      envOption({
        flags: "--feed-max-connection <s>",
        description:
          "seconds after which the prediction feed closes a connection (clients resume from Last-Event-ID, as with EventStreams)",
        env: ["REVRISK_FEED_MAX_CONNECTION"],
        default: 900,
        parse: parsePositiveInt,
      }),
    )
    .addOption(
      new Option(
        "--exit-when-done",
        "with --offline: exit once the replay is fully scored (demo / smoke test)",
      ),
    )
    .action(async (o) => {
      const log = createLogger("serve");
      const dataDir = resolve(o.dataDir);
      mkdirSync(dataDir, { recursive: true });

      const sink = await startEventGateSink({
        port: o.sinkPort,
        host: o.host,
        dbPath: join(dataDir, "results.duckdb"),
      });
      log.info(
        { url: sink.eventsUrl, db: join(dataDir, "results.duckdb") },
        "EventGate-compatible sink listening",
      );

      let mw: MwFixtureServer | undefined;
      let mediawikiUrl: string | undefined = o.mediawikiUrl;
      if (o.offline) {
        mw = await startMwFixtureServer({ port: 0 });
        mediawikiUrl = mw.apiBase;
        log.info({ url: mw.url }, "offline: MediaWiki fixture server started");
      }
      const runtime = await createRuntime({ ...runtimeOptions(o, log), mediawikiUrl });

      let ingest;
      try {
        ingest = await runIngest({
          port: o.ingestPort,
          host: o.host,
          token: o.token,
          dataDir,
          model: o.model,
          namespaces: "0",
          maxBodyBytes: 5 * 1024 * 1024,
          eventstreams: o.offline ? false : o.eventstreamsUrl,
          offline: o.offline,
          log: (line) => log.info(line),
        });
      } catch (err) {
        log.error((err as Error).message);
        log.error(
          "Live sources unreachable. Run `npm start -- --offline` (or `revrisk serve --offline`) for the offline demo.",
        );
        await sink.close();
        await runtime.close();
        process.exit(2);
      }

      const queue = openQueue({ dataDir });
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
        eventgate: new EventGateClient({ url: sink.eventsUrl }),
        manifest: runtime.model.manifest,
        stream: o.eventgateStream,
        pollers: 1,
        waitS: 1,
        featuresDir: o.withFeatures ? join(dataDir, "features") : undefined,
        count: (outcome, reason) => monitor.count(outcome, reason),
        log: (level, msg, fields) => log[level](fields ?? {}, msg),
      });

      // The dashboard's numbers and feed: the monitor + ingest snapshot, and the results table.
      const status = pipelineStatus({ monitor, ingest: ingest.server.metrics });
      registerStatusMetrics(runtime.metrics.registry, status);
      const api = await startApiServer({
        status,
        feed: { source: sink.db, maxConnectionMs: o.feedMaxConnection * 1000 },
        service: runtime.service,
        metrics: runtime.metrics,
        // One structured line per 5xx answer and per failed prediction-event emission.
        logger: log.child({ component: "api" }),
        host: o.host,
        port: o.port,
        config: { strictLanguages: o.strictLanguages, allowRevisionJsonInput: o.allowRevisionJsonInput },
        emitEvent: eventEmitter({ eventgateUrl: sink.eventsUrl, stream: o.eventgateStream }),
      });

      const stop = async () => {
        monitor.stop();
        await ingest.close();
        await worker.stop();
        await api.stop();
        await runtime.close();
        await queue.close();
        await sink.close();
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
          `  EventGate sink  ${sink.eventsUrl}`,
          `  results         node bin/revrisk.ts sql "SELECT wiki_id, rev_id, probability_true FROM predictions ORDER BY probability_true DESC LIMIT 10" --data-dir ${o.dataDir} --snapshot`,
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
          const stats = await sink.db.stats();
          console.error(
            `scored ${monitor.finished} revisions: ${monitor.published} predictions published (${stats.rows} rows in the results table), ${monitor.skipped} skipped`,
          );
          await stop();
          process.exit(0);
        }
      }
    });
}
