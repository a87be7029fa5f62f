/**
 * Crash safety of the scorer: SIGKILL a scorer process while it holds messages (in its batcher and
 * with EventGate POSTs in flight), start another one: every scorable revision still gets its
 * prediction event, and duplicates (redelivery after EventGate accepted) carry the same meta.id and
 * are counted by the sink instead of stored twice.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "./helpers.ts";
import { startEventGateSink, type EventGateSink } from "../standins/eventgate-sink/sink.ts";
import { startLocalSqs, type FauxqsHandle } from "../standins/sqs-fauxqs/fauxqs.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import { pageChangeEventsFromStore } from "../standins/mediawiki-fixture/replay.ts";
import { toMessage } from "../shared/queue/queue.ts";
import { createQueueWithDlq, SqsQueue } from "../shared/queue/sqs-queue.ts";

describe("scorer crash (SIGKILL) with messages in hand and POSTs in flight", () => {
  let sqs: FauxqsHandle;
  let mw: MwFixtureServer;
  let sink: EventGateSink;
  let proxy: Server;
  let proxyUrl: string;
  let posts = 0;
  let queue: SqsQueue;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    sqs = await startLocalSqs();
    const q = await createQueueWithDlq({
      name: "revrisk-crash",
      endpoint: sqs.endpoint,
      credentials: sqs.credentials,
      region: "us-east-1",
      visibilityTimeoutS: 6,
      maxReceiveCount: 5,
    });
    queue = new SqsQueue({ ...q, endpoint: sqs.endpoint, credentials: sqs.credentials, region: "us-east-1" });
    mw = await startMwFixtureServer({ port: 0, latencyMs: 100 });
    sink = await startEventGateSink({ port: 0 });
    // A slow EventGate in front of the sink: it forwards every POST it received, even when the
    // client is gone, so that a killed scorer leaves events accepted but messages not deleted.
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", async () => {
        // Prediction events only, not the scorer's start-up probe of the schema (docs/events.md).
        if (Buffer.concat(chunks).includes("predicted_classification")) posts++;
        await new Promise((r) => setTimeout(r, 1500));
        const r = await fetch(sink.eventsUrl, {
          method: "POST",
          body: Buffer.concat(chunks),
          headers: { "content-type": "application/json" },
        });
        res.writeHead(r.status, { "content-type": "application/json" });
        res.end(await r.text());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1/events`;
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await new Promise<void>((r) => proxy?.close(() => r()));
    await sink?.close();
    await mw?.close();
    await queue?.close();
    await sqs?.stop();
  });

  function startScorer(): ChildProcess {
    const child = spawn(
      process.execPath,
      [
        "bin/revrisk.ts",
        "scorer",
        "--provider",
        "cpu",
        "--queue-url",
        queue.queueUrl,
        "--dlq-url",
        queue.dlqUrl!,
        "--sqs-endpoint",
        sqs.endpoint,
        "--mediawiki-url",
        mw.apiBase,
        "--eventgate-url",
        proxyUrl,
        "--visibility-timeout",
        "6",
        "--wait",
        "1",
        "--pollers",
        "3",
        "--no-api",
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: sqs.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: sqs.credentials.secretAccessKey,
          AWS_REGION: "us-east-1",
          REVRISK_LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    child.stderr!.on("data", () => {});
    children.push(child);
    return child;
  }

  it("every scorable revision gets its event; redeliveries keep meta.id and are counted", async () => {
    const events = pageChangeEventsFromStore(mw.store)
      .filter((e) => e.page_change_kind === "edit")
      .slice(0, 40);
    const sent = await queue.sendBatch(
      events.map((e) => toMessage(e.wiki_id as string, (e.revision as { rev_id: number }).rev_id, e)),
    );
    expect(sent.sent).toBe(events.length);

    const first = startScorer();
    await until(() => posts >= 1, 60_000, "the first EventGate POST");
    await new Promise((r) => setTimeout(r, 300));
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    // The killed scorer held messages it never finished (invisible until their timeout runs out).
    expect((await queue.depth()).inFlight).toBeGreaterThan(0);
    const acceptedBeforeRestart = posts;
    expect(acceptedBeforeRestart).toBeGreaterThanOrEqual(1);

    startScorer();
    await until(async () => (await sink.db.stats()).rows >= events.length, 120_000, "every prediction");
    await until(
      async () => {
        const d = await queue.depth();
        return d.visible + d.inFlight === 0;
      },
      60_000,
      "an empty queue",
    );

    const rows = await sink.db.query("SELECT wiki_id, rev_id, meta_id, duplicates FROM predictions");
    expect(rows.length).toBe(events.length);
    const revs = new Set(rows.map((r) => `${r.wiki_id}:${r.rev_id}`));
    for (const e of events)
      expect(revs.has(`${e.wiki_id}:${(e.revision as { rev_id: number }).rev_id}`)).toBe(true);
    const stats = await sink.db.stats();
    expect(stats.duplicates).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
