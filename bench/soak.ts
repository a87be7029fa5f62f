/**
 * `npm run bench -- soak [--minutes 10] [--rate 50] [--sink-down 60] [--embedded]`: the long fault
 * soak (tools/soak.ts; test/soak.test.ts runs the CI size): minutes × rate page_change events
 * through ingest → SQS (fauxqs) → two scorer processes → the EventGate-compatible sink, with a scorer
 * SIGKILLed, the sink down for --sink-down seconds and MediaWiki faults; prints ingested / published
 * / duplicates / dead-lettered / dropped-by-reason and each process' RSS and open fds.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatSoak, runEmbeddedKill, runSoak } from "../tools/soak.ts";

export const description =
  "fault soak: ingest → SQS → 2 scorers → sink with SIGKILL, sink outage, MediaWiki 429/503/hangs";

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      minutes: { type: "string", default: "10" },
      rate: { type: "string", default: "50" },
      "sink-down": { type: "string", default: "60" },
      embedded: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  });
  const rate = Number(values.rate);
  const minutes = Number(values.minutes);
  if (!(rate > 0) || !(minutes > 0)) throw new Error("--rate and --minutes must be positive numbers");
  const dir = mkdtempSync(join(tmpdir(), "revrisk-soak-bench-"));
  try {
    const r = await runSoak({
      dir: join(dir, "sqs"),
      events: Math.round(rate * minutes * 60),
      rate,
      sinkDownS: Number(values["sink-down"]),
      faults: { tooManyRequests: 0.02, unavailable: 0.02, hang: 0.01, retryAfterS: 1, hangMs: 3000 },
      log: (l) => console.error(l),
    });
    console.log(formatSoak(r));
    if (values.embedded) {
      const e = await runEmbeddedKill({ dir: join(dir, "embedded"), log: (l) => console.error(l) });
      console.log(`embedded queue under kill -9: ${JSON.stringify(e)}`);
    }
    if (r.lost || r.unexpected || r.queueLeft.visible || r.queueLeft.inFlight) process.exitCode = 1;
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}
