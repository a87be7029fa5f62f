/**
 * `revrisk eventgate-sink`: a local EventGate-compatible server that validates prediction events
 * against the Wikimedia schemas and stores accepted ones in DuckDB (`predictions` table).
 */
import { join } from "node:path";
import type { Command } from "commander";
import { addOptions } from "../../functions/node/options.ts";
import { startEventGateSink } from "./sink.ts";
import { createLogger, onShutdown } from "../../functions/node/logger.ts";

export function register(program: Command): void {
  addOptions(
    program
      .command("eventgate-sink")
      .description("run an EventGate-compatible sink (POST /v1/events) storing accepted events in DuckDB"),
    "sinkPort",
    "host",
    "dataDir",
    "db",
    "schemas",
    "streamCheck",
    "group:logging",
  ).action(
    async (o: {
      port: number;
      host: string;
      dataDir: string;
      db?: string;
      schemas?: string;
      streamCheck: boolean;
      logLevel?: string;
      logFormat?: string;
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
      onShutdown(createLogger("eventgate-sink", o), () => sink.close());
    },
  );
}
