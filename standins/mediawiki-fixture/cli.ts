/**
 * `revrisk mw-fixture`: runs the MediaWiki fixture server (standins/mediawiki-fixture/server.ts).
 *
 *   revrisk mw-fixture --port 8081 [--host 127.0.0.1] [--data file] [--latency-ms N]
 *                      [--max-result-size BYTES] [--high-limits] [--list-seeded]
 *
 * Options and their REVRISK_MW_FIXTURE_* variables: the option table (functions/options.ts).
 */
import type { Command } from "commander";
import { UsageError } from "../../functions/options.ts";
import { addOptions } from "../../functions/node/options.ts";
import { loadStoreFile, seededStore } from "./store.ts";
import { startMwFixtureServer } from "./server.ts";

export function register(program: Command): void {
  addOptions(
    program
      .command("mw-fixture")
      .description(
        "Serve a fake MediaWiki Action API (seeded from the parity fixtures) for tests and benchmarks",
      ),
    "mwFixturePort",
    "mwFixtureHost",
    "data",
    "latencyMs",
    "maxResultSize",
    "highLimits",
    "rounds",
    "fault429",
    "fault503",
    "faultHang",
    "retryAfter",
    "hangMs",
    "listSeeded",
    "group:logging",
  ).action(
    async (opts: {
      port: number;
      host: string;
      data?: string;
      latencyMs?: number;
      maxResultSize?: number;
      highLimits: boolean;
      listSeeded: boolean;
      rounds: number;
      fault429?: number;
      fault503?: number;
      faultHang?: number;
      retryAfter?: number;
      hangMs?: number;
    }) => {
      if (opts.data && opts.rounds > 1)
        throw new UsageError("--rounds applies to the parity fixtures, not to --data");
      const store = opts.data ? loadStoreFile(opts.data) : seededStore(undefined, opts.rounds);
      if (opts.listSeeded) {
        const lines = store.seeded().map((s) => `${JSON.stringify(s)}\n`);
        process.stdout.on("error", () => process.exit(0)); // e.g. piped into `head`
        process.stdout.write(lines.join(""));
        return;
      }
      const server = await startMwFixtureServer({
        store,
        port: opts.port,
        hostname: opts.host,
        latencyMs: opts.latencyMs,
        maxResultSize: opts.maxResultSize,
        highLimits: opts.highLimits,
        faultShares: {
          tooManyRequests: opts.fault429,
          unavailable: opts.fault503,
          hang: opts.faultHang,
          retryAfterS: opts.retryAfter,
          hangMs: opts.hangMs,
        },
      });
      const wikis = [...store.wikis.values()].map((w) => w.lang).join(", ");
      process.stderr.write(
        `mw-fixture listening on ${server.url} (${store.seeded().length} seeded edits; wikis: ${wikis})\n` +
          `client: --mediawiki-url ${server.apiBase}\n`,
      );
      const stop = () => {
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    },
  );
}
