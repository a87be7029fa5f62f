/**
 * What the queue scorer does with each kind of EventGate answer, on real components: SQS (fauxqs)
 * → scorer worker (sqs-consumer pollers, the one runtime over the MediaWiki fixture server and the
 * fixture model) → the EventGate-compatible sink over real HTTP, with the status monitor.
 *  - final answers (an unpublished schema version) are dead-lettered at once with EventGate's
 *    message, in one POST, logged once and counted in status.json;
 *  - transient failures (EventGate down) are retried, and on the queue's last allowed delivery
 *    dead-lettered with the reason instead of silently by the redrive policy;
 *  - the start-up check refuses an unknown schema version or stream with EventGate's message.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until, startOfflineRuntime } from "./helpers.ts";
import { eventEmitter, type Runtime } from "../functions/node/runtime.ts";
import { startScorerWorker, type ScorerWorker } from "../functions/scorer/node.ts";
import { startMonitor, type Monitor, type ScorerStatus } from "../functions/scorer/monitor.ts";
import { startEventGateSink, type EventGateSink } from "../standins/eventgate-sink/sink.ts";
import { startLocalSqs, type FauxqsHandle } from "../standins/sqs-fauxqs/fauxqs.ts";
import type { MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import { pageChangeEventsFromStore } from "../standins/mediawiki-fixture/replay.ts";
import { EventGateClient } from "../shared/pipeline/eventgate-client.ts";
import { checkEventGate } from "../shared/pipeline/publisher.ts";
import { SqsQueue } from "../shared/queue/sqs-queue.ts";
import { toMessage, type DeadLetter } from "../shared/queue/queue.ts";

type Ev = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe("scorer: EventGate answers → DLQ / retry, logged and counted", () => {
  let sqs: FauxqsHandle;
  let mw: MwFixtureServer;
  let runtime: Runtime;
  let sink: EventGateSink;
  let dir: string;
  let events: Ev[];
  const stops: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    sqs = await startLocalSqs();
    ({ mw, runtime } = await startOfflineRuntime());
    sink = await startEventGateSink({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), "revrisk-eg-outcomes-"));
    const supported = new Set(runtime.model.manifest.supported_wikis.map((w) => `${w}wiki`));
    events = (pageChangeEventsFromStore(mw.store) as Ev[])
      .filter((e) => e.page_change_kind === "edit" && supported.has(e.wiki_id))
      .slice(0, 6);
  }, 120_000);

  afterAll(async () => {
    for (const s of stops.reverse()) await s();
    await runtime?.close();
    await mw?.close();
    await sink?.close();
    await sqs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function setUp(name: string, o: { maxReceiveCount: number; visibilityTimeoutS: number }) {
    const { queueUrl, dlqUrl } = await sqs.createQueue(name, o);
    const queue = new SqsQueue({ queueUrl, dlqUrl, endpoint: sqs.endpoint, credentials: sqs.credentials });
    stops.push(() => queue.close());
    const sent = await queue.sendBatch(events.map((e) => toMessage(e.wiki_id, e.revision.rev_id, e)));
    expect(sent.sent).toBe(events.length);
    return queue;
  }

  async function readAllDlq(queue: SqsQueue): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for (let i = 0; i < 10 && out.length < events.length; i++) out.push(...(await queue.readDlq(10, true)));
    return out;
  }

  function start(
    queue: SqsQueue,
    eventgate: EventGateClient,
    o: { schemaVersion?: string; visibilityTimeoutS: number },
  ) {
    const counts = new Map<string, number>();
    const logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
    const statusPath = join(dir, `${queue.queueUrl.split("/").pop()}.status.json`);
    const monitor: Monitor = startMonitor({
      queue,
      worker: () => worker,
      statusPath,
      log: pino({ level: "silent" }),
      everyMs: 200,
    });
    const worker: ScorerWorker = startScorerWorker({
      service: runtime.service,
      queue,
      eventgate,
      manifest: runtime.model.manifest,
      schemaVersion: o.schemaVersion,
      pollers: 1,
      waitS: 1,
      visibilityTimeoutS: o.visibilityTimeoutS,
      count: (outcome, reason) => {
        counts.set(`${outcome}:${reason}`, (counts.get(`${outcome}:${reason}`) ?? 0) + 1);
        monitor.count(outcome, reason);
      },
      log: (level, msg, fields) => logs.push({ level, msg, fields }),
    });
    stops.push(async () => {
      monitor.stop();
      await worker.stop();
    });
    const status = () => JSON.parse(readFileSync(statusPath, "utf8")) as ScorerStatus;
    return { counts, logs, status, monitor };
  }

  it("an unpublished schema version: dead-lettered at once with EventGate's message, one POST, logged, counted", async () => {
    const queue = await setUp("schema-1-2-0", { maxReceiveCount: 5, visibilityTimeoutS: 30 });
    let posts = 0;
    const eventgate = new EventGateClient({
      url: sink.eventsUrl,
      minBackoffMs: 1,
      fetch: (url, init) => {
        posts++;
        return fetch(url, init);
      },
    });
    const { counts, logs, status, monitor } = start(queue, eventgate, {
      schemaVersion: "1.2.0",
      visibilityTimeoutS: 30,
    });
    await until(() => monitor.deadLettered === events.length, 60_000, "every message dead-lettered");
    const dead = await readAllDlq(queue);
    expect(dead).toHaveLength(events.length);
    for (const d of dead)
      expect(d.reason).toBe(
        "eventgate_rejected: error: Failed loading schema at /mediawiki/page/prediction_classification_change/1.2.0",
      );
    // Each event was POSTed once (several may share a POST) and no message was left for redelivery.
    expect(posts).toBeGreaterThan(0);
    expect(posts).toBeLessThanOrEqual(events.length);
    expect([...counts.keys()].filter((k) => k.startsWith("retry:"))).toEqual([]);
    expect(counts.get("dead_lettered:eventgate_rejected")).toBe(events.length);
    const lines = logs.filter((l) => l.msg === "message dead-lettered");
    expect(lines).toHaveLength(events.length);
    expect(lines[0]!.fields!.reason).toMatch(/Failed loading schema at/);
    expect((await sink.db.stats()).rows).toBe(0);
    await until(() => status().deadLettered === events.length, 10_000, "status.json counts them");
    expect(status()).toMatchObject({ deadLettered: events.length, finished: events.length, published: 0 });
  }, 120_000);

  it("EventGate down: retried, then dead-lettered on the last allowed delivery with the reason", async () => {
    const queue = await setUp("eventgate-down", { maxReceiveCount: 2, visibilityTimeoutS: 1 });
    const eventgate = new EventGateClient({
      url: `http://127.0.0.1:${await closedPort()}/v1/events`,
      retries: 0,
    });
    const { counts, logs, status, monitor } = start(queue, eventgate, { visibilityTimeoutS: 1 });
    await until(() => monitor.deadLettered === events.length, 60_000, "every message dead-lettered");
    expect(counts.get("retry:eventgate_unavailable")).toBe(events.length);
    const dead = await readAllDlq(queue);
    expect(dead).toHaveLength(events.length);
    for (const d of dead)
      expect(d.reason).toMatch(
        /^max_receives_exceeded \(2\): eventgate_unavailable: EventGate request failed/,
      );
    expect(logs.filter((l) => l.msg === "message dead-lettered")).toHaveLength(events.length);
    await until(() => status().deadLettered === events.length, 10_000, "status.json counts them");
  }, 120_000);

  it('the API\'s {"event"} emitter goes through the same publisher and outcomes', async () => {
    const scored = {
      modelName: "revertrisk-multilingual",
      modelVersion: "fixture-1",
      lang: "en",
      wikiDb: "enwiki",
      revId: 1,
      prediction: false,
      probabilities: { true: 0.2, false: 0.8 },
      supported: true,
    };
    const e = events[0]!;
    await expect(eventEmitter({ eventgateUrl: sink.eventsUrl })(e, scored)).resolves.toBeUndefined();
    expect(await sink.db.query("SELECT rev_id FROM predictions")).toEqual([
      { rev_id: String(e.revision.rev_id) },
    ]);
    await expect(
      eventEmitter({ eventgateUrl: sink.eventsUrl, schemaVersion: "1.2.0" })(e, scored),
    ).rejects.toThrow(/EventGate did not accept the event: error: Failed loading schema at/);
    const { performer: _p, ...noPerformer } = e;
    const { editor: _e, ...revision } = e.revision;
    await expect(
      eventEmitter({ eventgateUrl: sink.eventsUrl })({ ...noPerformer, revision }, scored),
    ).resolves.toEqual({
      skipped: "no_performer",
    });
    await sink.db.query("DELETE FROM predictions");
  });

  it("start-up check: refuses an unknown schema version or stream with EventGate's message", async () => {
    const eventgate = new EventGateClient({ url: sink.eventsUrl });
    await expect(checkEventGate(eventgate, {})).resolves.toBeUndefined();
    await expect(checkEventGate(eventgate, { schemaVersion: "1.2.0" })).rejects.toThrow(
      "EventGate refuses prediction events of schema /mediawiki/page/prediction_classification_change/1.2.0 on stream mediawiki.page_revert_risk_multilingual_prediction_change.v1: error: Failed loading schema at /mediawiki/page/prediction_classification_change/1.2.0 (check --schema-version and --eventgate-stream)",
    );
    await expect(checkEventGate(eventgate, { stream: "mediawiki.page_change.v1" })).rejects.toThrow(
      /is not allowed in stream mediawiki\.page_change\.v1; must be mediawiki\/page\/change/,
    );
    const unreachable: string[] = [];
    const down = new EventGateClient({ url: `http://127.0.0.1:${await closedPort()}/v1/events`, retries: 0 });
    await checkEventGate(down, {}, (r) => unreachable.push(r));
    expect(unreachable).toHaveLength(1);
    expect((await sink.db.stats()).rows).toBe(0);
  });
});
