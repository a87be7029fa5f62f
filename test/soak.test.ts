/**
 * Fault soak, CI size (tools/soak.ts; the long version is `npm run bench -- soak`): page_change
 * events at a steady rate through a real ingest process → SQS (fauxqs) → two real scorer processes
 * → the EventGate-compatible sink process, while MediaWiki answers a share of requests with 429 +
 * Retry-After, 503 or a hang past the client timeout, one scorer is SIGKILLed holding messages (and
 * another started), and the sink is down for 30 s. Nothing lost, nothing stored twice, nothing
 * stuck, resources bounded. (The embedded queue under kill -9: test/soak-embedded.test.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatSoak, runSoak } from "../tools/soak.ts";

/** Bounds stated in docs/reliability.md: a process ends within these of its start-up figures. */
const RSS_GROWTH_MIB = 256;
const FD_GROWTH = 32;

describe("fault soak", () => {
  const dir = mkdtempSync(join(tmpdir(), "revrisk-soak-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("SQS: every scorable event published once through scorer SIGKILL, sink outage and MediaWiki faults", async () => {
    const r = await runSoak({
      dir: join(dir, "sqs"),
      events: 1000,
      rate: 25,
      sinkDownS: 30,
      faults: { tooManyRequests: 0.02, unavailable: 0.02, hang: 0.01, retryAfterS: 1, hangMs: 3000 },
    });
    console.log(formatSoak(r));
    expect(r.ingested).toBe(1000);
    expect(r.lost).toBe(0);
    expect(r.unexpected).toBe(0);
    expect(r.published).toBe(1000);
    expect(r.queueLeft).toEqual({ visible: 0, inFlight: 0 });
    // The DLQ holds the poison messages only, each with its reason.
    expect(r.deadLettered.length).toBe(r.poisonSent);
    for (const d of r.deadLettered) expect(d.reason).toMatch(/^malformed: /);
    expect(r.droppedByReason.invalid).toBeGreaterThan(0);
    expect(r.droppedByReason.namespace).toBeGreaterThan(0);
    // The faults happened.
    expect(r.faults.scorersKilled).toBe(1);
    for (const n of Object.values(r.faults.mediawiki)) expect(n).toBeGreaterThan(0);
    for (const p of r.resources) {
      expect(p.endRssMiB, p.name).toBeLessThanOrEqual(p.startRssMiB + RSS_GROWTH_MIB);
      expect(p.endFds, p.name).toBeLessThanOrEqual(p.startFds + FD_GROWTH);
    }
  }, 600_000);
});
