/**
 * `revrisk eventgate-sink`: a local EventGate-compatible server that validates prediction events
 * against the Wikimedia schemas and stores accepted ones in DuckDB (`predictions` table).
 */
import { join } from "node:path";
import { Option, type Command } from "commander";
import { startEventGateSink } from "./sink.ts";
import { createLogger, onShutdown } from "../../functions/node/runtime.ts";

const env = (...names: string[]) => names.map((n) => process.env[n]).find((v) => v !== undefined && v !== "");

export function register(program: Command): void {
  program
    .command("eventgate-sink")
    .description("run an EventGate-compatible sink (POST /v1/events) storing accepted events in DuckDB")
    .addOption(
      new Option("--port <port>", "port to listen on [env: REVRISK_SINK_PORT]")
        .default(Number(env("REVRISK_SINK_PORT") ?? 8192))
        .argParser(Number),
    )
    .addOption(
      new Option("--host <host>", "address to listen on [env: REVRISK_HOST]").default(
        env("REVRISK_HOST") ?? "127.0.0.1",
      ),
    )
    .addOption(
      new Option("--data-dir <dir>", "data directory [env: REVRISK_DATA_DIR]").default(
        env("REVRISK_DATA_DIR") ?? "var",
      ),
    )
    .addOption(
      new Option(
        "--db <path>",
        "DuckDB file or :memory: (default <data-dir>/results.duckdb) [env: REVRISK_RESULTS_DB]",
      ).default(env("REVRISK_RESULTS_DB")),
    )
    .addOption(
      new Option(
        "--schemas <dir>",
        "schema repository (jsonschema/ folder) [env: REVRISK_SCHEMAS_DIR]",
      ).default(env("REVRISK_SCHEMAS_DIR")),
    )
    .addOption(
      new Option(
        "--no-stream-check",
        "accept any meta.stream (default EventGate); by default the production stream/title rule applies",
      ),
    )
    .action(
      async (o: {
        port: number;
        host: string;
        dataDir: string;
        db?: string;
        schemas?: string;
        streamCheck: boolean;
      }) => {
        const dbPath = o.db ?? join(o.dataDir, "results.duckdb");
        const sink = await startEventGateSink({
          port: o.port,
          host: o.host,
          dbPath,
          schemasDir: o.schemas,
          streams: o.streamCheck ? undefined : false,
        });
        console.error(
          `eventgate-sink listening on ${sink.eventsUrl} (DuckDB: ${dbPath}; stream check: ${o.streamCheck ? "on" : "off"})`,
        );
        onShutdown(createLogger("eventgate-sink"), () => sink.close());
      },
    );
}
