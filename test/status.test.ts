/**
 * `revrisk status`: backlog from the embedded queue (visible / in flight / DLQ), workers and rate
 * from `<data-dir>/status.json`, ETA, staleness, backfill checkpoints, and an unreachable queue.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";
import { toMessage } from "../shared/queue/queue.ts";
import { SqsQueue } from "../shared/queue/sqs-queue.ts";
import { startLocalSqs } from "../standins/sqs-fauxqs/fauxqs.ts";
import { collectStatus, renderStatus } from "../functions/status/cli.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "revrisk-status-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("revrisk status", () => {
  it("reports backlog, workers, rate, ETA and backfills", async () => {
    const q = new EmbeddedQueue({ path: join(dir, "queue.sqlite") });
    await q.sendBatch(Array.from({ length: 30 }, (_, i) => toMessage("enwiki", i + 1, { x: 1 })));
    const got = await q.receive({ max: 10, visibilityTimeoutS: 60 });
    await q.sendToDlq(got[0]!.body, "unscorable: test", got[0]!.receiptHandle);
    await q.close();
    const now = new Date("2026-11-24T20:00:00Z");
    writeFileSync(
      join(dir, "status.json"),
      JSON.stringify({
        workers: 3,
        rate: 4,
        updatedAt: "2026-11-24T19:59:58Z",
        published: 10,
        skipped: 2,
        deadLettered: 1,
        finished: 13,
        pid: 1,
      }),
    );
    mkdirSync(join(dir, "backfill"));
    writeFileSync(
      join(dir, "backfill", "x.checkpoint.json"),
      JSON.stringify({
        version: 1,
        source: { kind: "api", wiki: "enwiki", from: "2026-10-01", to: "2026-11-01", namespaces: [0] },
        position: null,
        counters: { done: 1234, skipped: {}, failed: {} },
        recent: [],
        completed: false,
        startedAt: "2026-11-24T19:00:00Z",
        updatedAt: "2026-11-24T19:59:00Z",
      }),
    );
    const r = await collectStatus({ dataDir: dir }, undefined, now);
    expect(r.queue).toMatchObject({ kind: "embedded", depth: { visible: 20, inFlight: 9, dead: 1 } });
    expect(r.workers).toMatchObject({ count: 3, rate: 4, stale: false });
    expect(r.etaS).toBeCloseTo(29 / 4);
    const text = renderStatus(r, { dataDir: dir });
    expect(text).toContain("backlog (embedded): 20 waiting, 9 in flight, 1 dead-lettered");
    expect(text).toContain("workers: 3, 4.0 msg/s");
    expect(text).toContain("finished since start: 10 published, 2 skipped, 1 dead-lettered");
    expect(text).toContain("ETA: 7s for 29 messages");
    expect(text).toContain("backfill api enwiki 2026-10-01..2026-11-01: 1234 done, resumable");

    // A status file not rewritten for a while: no workers, no ETA.
    const later = await collectStatus({ dataDir: dir }, undefined, new Date("2026-11-24T20:05:00Z"));
    expect(later.workers).toMatchObject({ count: 0, stale: true });
    expect(renderStatus(later, { dataDir: dir })).toMatch(/workers: none reporting[\s\S]*ETA: unknown/);
  });

  it("reads the backlog of an SQS queue and its DLQ (fauxqs)", async () => {
    const sqs = await startLocalSqs();
    try {
      const { queueUrl, dlqUrl } = await sqs.createQueue("status-test");
      const q = new SqsQueue({
        queueUrl,
        dlqUrl,
        endpoint: sqs.endpoint,
        region: sqs.region,
        credentials: sqs.credentials,
      });
      await q.sendBatch(Array.from({ length: 12 }, (_, i) => toMessage("dewiki", i + 1, { x: 1 })));
      const got = await q.receive({ max: 2, visibilityTimeoutS: 60 });
      await q.sendToDlq(got[0]!.body, "unscorable: test", got[0]!.receiptHandle);
      const r = await collectStatus({ dataDir: dir, queueUrl, statusFile: join(dir, "none.json") }, q);
      await q.close();
      expect(r.queue).toEqual({ kind: "sqs", depth: { visible: 10, inFlight: 1, dead: 1 } });
      expect(renderStatus(r, { dataDir: dir, statusFile: join(dir, "none.json") })).toMatch(
        /backlog \(sqs\): 10 waiting, 1 in flight, 1 dead-lettered\nworkers: unknown[\s\S]*ETA: unknown \(11 messages/,
      );
    } finally {
      await sqs.stop();
    }
  });

  it("reports a missing queue and a missing status file", async () => {
    const empty = mkdtempSync(join(tmpdir(), "revrisk-status-empty-"));
    try {
      const r = await collectStatus({ dataDir: empty });
      expect(r.queue.error).toMatch(/no embedded queue/);
      const text = renderStatus(r, { dataDir: empty });
      expect(text).toMatch(/backlog \(embedded\): unavailable/);
      expect(text).toMatch(/workers: unknown/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("scoring latency percentiles", () => {
  it("p50 and p99 by nearest rank", async () => {
    const { percentiles } = await import("../functions/scorer/monitor.ts");
    const ms = Array.from({ length: 200 }, (_, i) => 200 - i); // 1…200, unsorted
    expect(percentiles(ms)).toEqual({ p50: 100, p99: 198, n: 200 });
    expect(percentiles([7.4])).toEqual({ p50: 7, p99: 7, n: 1 });
  });
});
