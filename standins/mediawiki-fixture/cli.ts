/**
 * `revrisk mw-fixture`: runs the MediaWiki fixture server (infra/mw-fixture-server.ts).
 *
 *   revrisk mw-fixture --port 8081 [--host 127.0.0.1] [--data file] [--latency-ms N]
 *                      [--max-result-size BYTES] [--high-limits] [--list-seeded]
 *
 * Environment equivalents: REVRISK_MW_FIXTURE_PORT, REVRISK_MW_FIXTURE_HOST, REVRISK_MW_FIXTURE_DATA,
 * REVRISK_MW_FIXTURE_LATENCY_MS, REVRISK_MW_FIXTURE_MAX_RESULT_SIZE. Flags win over the environment.
 */
import type { Command } from "commander";
import { loadStoreFile, seededStore } from "./store.ts";
import { startMwFixtureServer } from "./server.ts";

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${value}`);
  return n;
}

export function register(program: Command): void {
  program
    .command("mw-fixture")
    .description(
      "Serve a fake MediaWiki Action API (seeded from the parity fixtures) for tests and benchmarks",
    )
    .option("--port <n>", "port to listen on (env REVRISK_MW_FIXTURE_PORT, default 8081)")
    .option("--host <address>", "address to listen on (env REVRISK_MW_FIXTURE_HOST, default 127.0.0.1)")
    .option(
      "--data <file>",
      "store snapshot (.json) or parity-style edits (.jsonl/.jsonl.gz) (env REVRISK_MW_FIXTURE_DATA; default: standins/mediawiki-fixture/edits/*)",
    )
    .option("--latency-ms <n>", "artificial latency per request (env REVRISK_MW_FIXTURE_LATENCY_MS)")
    .option(
      "--max-result-size <bytes>",
      "result size budget before `continue` (env REVRISK_MW_FIXTURE_MAX_RESULT_SIZE)",
    )
    .option("--high-limits", "allow 500 values per multi-value parameter instead of 50")
    .option("--rounds <n>", "seed the fixture edits n times (distinct pages and revisions each round)")
    .option("--fault-429 <share>", "share (0–1) of API requests answered 429 with Retry-After")
    .option("--fault-503 <share>", "share (0–1) of API requests answered 503")
    .option("--fault-hang <share>", "share (0–1) of API requests that hang for --hang-ms first")
    .option("--retry-after <s>", "Retry-After of the 429 answers (default 1)")
    .option("--hang-ms <ms>", "how long a hanging request waits (default 30000)")
    .option("--list-seeded", "print the seeded (lang, rev_id) pairs as JSON lines and exit")
    .action(
      async (opts: {
        port?: string;
        host?: string;
        data?: string;
        latencyMs?: string;
        maxResultSize?: string;
        highLimits?: boolean;
        listSeeded?: boolean;
        rounds?: string;
        fault429?: string;
        fault503?: string;
        faultHang?: string;
        retryAfter?: string;
        hangMs?: string;
      }) => {
        const env = process.env;
        const data = opts.data ?? env.REVRISK_MW_FIXTURE_DATA;
        const rounds = intOption("--rounds", opts.rounds) ?? 1;
        if (data && rounds > 1) throw new Error("--rounds applies to the parity fixtures, not to --data");
        const store = data ? loadStoreFile(data) : seededStore(undefined, rounds);
        const share = (flag: string, v: string | undefined) => {
          if (v === undefined) return undefined;
          const n = Number(v);
          if (!(n >= 0 && n <= 1)) throw new Error(`${flag} must be a share between 0 and 1, got ${v}`);
          return n;
        };
        if (opts.listSeeded) {
          const lines = store.seeded().map((s) => `${JSON.stringify(s)}\n`);
          process.stdout.on("error", () => process.exit(0)); // e.g. piped into `head`
          process.stdout.write(lines.join(""));
          return;
        }
        const server = await startMwFixtureServer({
          store,
          port: intOption("--port", opts.port ?? env.REVRISK_MW_FIXTURE_PORT) ?? 8081,
          hostname: opts.host ?? env.REVRISK_MW_FIXTURE_HOST ?? "127.0.0.1",
          latencyMs: intOption("--latency-ms", opts.latencyMs ?? env.REVRISK_MW_FIXTURE_LATENCY_MS),
          maxResultSize: intOption(
            "--max-result-size",
            opts.maxResultSize ?? env.REVRISK_MW_FIXTURE_MAX_RESULT_SIZE,
          ),
          highLimits: opts.highLimits ?? false,
          faultShares: {
            tooManyRequests: share("--fault-429", opts.fault429),
            unavailable: share("--fault-503", opts.fault503),
            hang: share("--fault-hang", opts.faultHang),
            retryAfterS: intOption("--retry-after", opts.retryAfter),
            hangMs: intOption("--hang-ms", opts.hangMs),
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
