/**
 * Poison events, tried as an attacker would, against the real Node ingest server and real queues
 * (fauxqs and the embedded SQLite queue): an unknown field nested 5,000 levels deep, a valid event
 * with a 300,000-character comment, and a queue that refuses a message itself. Each must be a per-event
 * 4xx-style error naming the limit while the good events of the same request are enqueued, never a
 * 503 that a client would retry forever. On the EventStreams source (a local SSE server) the same
 * deep event must not stall the feed, and the reconnect backoff must grow while deliveries fail.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIngestServer, type IngestServer } from "../functions/ingest/node.ts";
import type { IngestResult } from "../shared/ingest/ingest-app.ts";
import { RRML_DEFAULT_LANGS } from "../shared/events/page-change.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";
import { SqsQueue, createQueueWithDlq } from "../shared/queue/sqs-queue.ts";
import { MAX_MESSAGE_BYTES, type Queue } from "../shared/queue/queue.ts";
import { drainRevIds, until } from "./helpers.ts";
import { runIngest } from "../functions/ingest/cli.ts";
import { EventStreamsSource, memoryCursorStore, type SourceStatus } from "../shared/ingest/eventstreams.ts";
import { FAUXQS_CREDENTIALS, startLocalSqs, type FauxqsHandle } from "../standins/sqs-fauxqs/fauxqs.ts";

/* eslint-disable @typescript-eslint/no-explicit-any -- events are mutated freely */
const sample = (revId = 1260000001): Record<string, any> => {
  const e = JSON.parse(
    readFileSync(new URL("./data/samples/page_change-1.2.0.example.json", import.meta.url), "utf8"),
  ) as Record<string, any>;
  e.revision.rev_id = revId;
  return e;
};

/** The sample event with an unknown field nested `levels` arrays deep (≈ 2 bytes a level). */
export function deepEventText(levels = 5000, revId = 1260000002): string {
  return JSON.stringify({ ...sample(revId), poison: 0 }).replace(
    '"poison":0',
    `"poison":${"[".repeat(levels)}${"]".repeat(levels)}`,
  );
}

const backends: Array<{ name: string; open: () => Promise<Queue>; done?: () => Promise<void> }> = [];
let sqs: FauxqsHandle | undefined;
let n = 0;
backends.push({ name: "embedded queue", open: async () => new EmbeddedQueue({ path: ":memory:" }) });
backends.push({
  name: "SQS (fauxqs)",
  open: async () => {
    sqs ??= await startLocalSqs();
    const { queueUrl, dlqUrl } = await sqs.createQueue(`poison-${process.pid}-${n++}`);
    return new SqsQueue({ queueUrl, dlqUrl, endpoint: sqs.endpoint, credentials: sqs.credentials });
  },
});
afterAll(async () => {
  await sqs?.stop();
});

describe.each(backends)("ingest poison events: $name", ({ open }) => {
  let queue: Queue;
  let server: IngestServer;
  beforeAll(async () => {
    queue = await open();
    server = await startIngestServer({ queue, config: { filter: { wikis: RRML_DEFAULT_LANGS } } });
  });
  afterAll(async () => {
    await server?.close();
    await queue?.close();
  });
  const post = async (body: string, type = "application/json") => {
    const res = await fetch(`${server.url}/v1/events`, {
      method: "POST",
      headers: { "content-type": type },
      body,
    });
    return { status: res.status, json: (await res.json()) as IngestResult };
  };

  it("NDJSON of 1 good + 1 nested 5,000 levels deep: the good one enqueued, the deep one a per-event error", async () => {
    const deep = deepEventText();
    expect(deep.length).toBeGreaterThan(10_000);
    const r = await post(`${JSON.stringify(sample(1001))}\n${deep}\n`, "application/x-ndjson");
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ received: 2, accepted: 1, invalid: 1, enqueue_failed: 0 });
    expect(r.json.errors).toEqual([
      {
        index: 1,
        errors: [expect.stringMatching(/^poison\[0\][^:]*: nested deeper than 64 levels \(the limit\)$/)],
      },
    ]);
    expect(await drainRevIds(queue)).toEqual([1001]);
  });

  it("a lone deep event: 400 naming the limit (no 503 to retry)", async () => {
    const r = await post(deepEventText());
    expect(r.status).toBe(400);
    expect(r.json.errors[0]!.errors[0]).toMatch(/nested deeper than 64 levels/);
    expect(r.json.enqueue_failed).toBe(0);
  });

  it("a valid event with a 300,000-character comment: 400 naming the byte limit on every try; good events beside it enqueued", async () => {
    // (a title that long is refused before, by the meta.uri length rule: test/ingest-validation.test.ts)
    const big = sample(1002);
    big.revision.comment = "T".repeat(300_000);
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await post(JSON.stringify(big));
      expect(r.status).toBe(400);
      expect(r.json.errors[0]!.errors[0]).toMatch(
        new RegExp(
          `^\\(root\\): the event makes a \\d+-byte queue message, over the limit of ${MAX_MESSAGE_BYTES} bytes`,
        ),
      );
    }
    const r = await post(JSON.stringify([sample(1003), big, sample(1004)]));
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ received: 3, accepted: 2, invalid: 1, enqueue_failed: 0 });
    expect(r.json.errors.map((e) => e.index)).toEqual([1]);
    expect(await drainRevIds(queue)).toEqual([1003, 1004]);
  });

  it("characters SQS or its emulators refuse raw (U+FFFF, astral ones) are carried escaped, unchanged", async () => {
    const e = sample(1007);
    e.page.page_title = "Emoji_😀_\uFFFF_\uFFFE_\u0001_\uD800x";
    const r = await post(JSON.stringify(e));
    expect(r.status).toBe(202);
    expect(r.json.accepted).toBe(1);
    const [m] = await queue.receive({ max: 1, visibilityTimeoutS: 30 });
    expect((m!.body.event.page as { page_title: string }).page_title).toBe(e.page.page_title);
    await queue.ack(m!.receiptHandle);
  });
});

describe("ingest on an SQS queue that refuses a message itself", () => {
  it("SQS's own SenderFault (a queue with a smaller MaximumMessageSize) is a per-event error, not a 503", async () => {
    sqs ??= await startLocalSqs();
    const { queueUrl, dlqUrl } = await createQueueWithDlq({
      name: `poison-small-${process.pid}`,
      endpoint: sqs.endpoint,
      region: sqs.region,
      credentials: FAUXQS_CREDENTIALS,
      maximumMessageSize: 4096,
    });
    const queue = new SqsQueue({ queueUrl, dlqUrl, endpoint: sqs.endpoint, credentials: sqs.credentials });
    const server = await startIngestServer({ queue, config: { filter: { wikis: RRML_DEFAULT_LANGS } } });
    try {
      const big = sample(1006);
      big.page.page_title = "T".repeat(5000);
      const res = await fetch(`${server.url}/v1/events`, {
        method: "POST",
        body: JSON.stringify([sample(1005), big]),
      });
      const j = (await res.json()) as IngestResult;
      expect(res.status).toBe(202);
      expect(j).toMatchObject({ accepted: 1, invalid: 1, enqueue_failed: 0 });
      expect(j.errors[0]!.errors[0]).toMatch(/Message must be shorter than 4096 bytes/);
      expect(await drainRevIds(queue)).toEqual([1005]);
    } finally {
      await server.close();
      await queue.close();
    }
  });
});

/**
 * A local SSE server replaying `events` (SSE id = index + 1, resumed from Last-Event-ID), then
 * holding the connection open. `cutAfter`: each connection ends 50 ms after that many events (or fewer, at the end).
 */
async function startSseServer(events: string[], o: { cutAfter?: number } = {}) {
  const connections: Array<{ lastEventId?: string }> = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const last = req.headers["last-event-id"] as string | undefined;
    connections.push({ lastEventId: last });
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    res.write(":ok\n\n");
    open.add(res);
    res.on("close", () => open.delete(res));
    let sent = 0;
    for (let i = last ? Number(last) : 0; i < events.length; i++) {
      if (o.cutAfter !== undefined && sent++ >= o.cutAfter) break;
      res.write(`event: message\nid: ${i + 1}\ndata: ${events[i]}\n\n`);
    }
    // A little later, so that the client delivers what it got before it sees the end.
    if (o.cutAfter !== undefined) setTimeout(() => res.end(), 50);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/stream/mediawiki.page_change.v1`,
    connections,
    async close() {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** 20 good events, the 5,000-level deep one, 20 more good ones (rev ids 1..41, the deep one 21). */
const streamWithPoison = () => [
  ...Array.from({ length: 20 }, (_, i) => JSON.stringify(sample(i + 1))),
  deepEventText(5000, 21),
  ...Array.from({ length: 20 }, (_, i) => JSON.stringify(sample(i + 22))),
];

describe("EventStreams source with a poison event", () => {
  it("`revrisk ingest --eventstreams`: the deep event is counted invalid and skipped, the 40 good ones enqueued, the cursor moves on, one connection", async () => {
    const sse = await startSseServer(streamWithPoison());
    const dir = mkdtempSync(join(tmpdir(), "revrisk-poison-"));
    const h = await runIngest({
      port: 0,
      host: "127.0.0.1",
      dataDir: dir,
      namespaces: "0",
      maxBodyBytes: 1 << 20,
      eventstreams: sse.url,
      log: () => {},
    });
    try {
      await until(() => h.server.metrics.snapshot().events.accepted >= 40, 20_000, "40 events enqueued");
      await h.source!.drain();
      expect(h.server.metrics.snapshot().events).toMatchObject({
        accepted: 40,
        invalid: 1,
        enqueue_failed: 0,
      });
      expect(readFileSync(join(dir, "eventstreams.cursor"), "utf8")).toBe("41");
      expect(h.source!.stats).toMatchObject({ connects: 1, poisoned: 0 });
      expect(sse.connections).toHaveLength(1);
      const q = new EmbeddedQueue({ path: join(dir, "queue.sqlite") });
      const got = await drainRevIds(q);
      await q.close();
      expect(got).toEqual([
        ...Array.from({ length: 20 }, (_, i) => i + 1),
        ...Array.from({ length: 20 }, (_, i) => i + 22),
      ]);
    } finally {
      await h.close();
      await sse.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an event the sink always refuses (e.g. an older ingest answering 503) is isolated, counted and skipped; the feed goes on", async () => {
    const sse = await startSseServer(streamWithPoison());
    const store = memoryCursorStore();
    const got: number[] = [];
    const statuses: SourceStatus[] = [];
    const src = new EventStreamsSource({
      url: sse.url,
      store,
      batchSize: 10,
      batchWaitMs: 10,
      minBackoffMs: 10,
      onStatus: (s) => statuses.push(s),
      onEvents: async (evs) => {
        if (evs.some((e) => "poison" in e)) throw new Error("ingest answered 503");
        for (const e of evs) got.push((e.revision as { rev_id: number }).rev_id);
      },
    });
    try {
      await src.start();
      await until(() => store.value === "41", 10_000, "the cursor at the last event");
      await src.drain();
    } finally {
      src.stop();
      await sse.close();
    }
    expect(new Set(got).size).toBe(40);
    expect(got).not.toContain(21);
    expect(src.stats.poisoned).toBe(1);
    expect(statuses.find((s) => s.type === "poison")).toMatchObject({
      eventId: "21",
      message: expect.stringMatching(/ingest answered 503/),
    });
    expect(src.stats.connects).toBe(2); // one reconnect, after the first failure
  });

  it("the backoff grows while deliveries fail (capped), and resets once a batch is delivered", async () => {
    const sse = await startSseServer(
      Array.from({ length: 5 }, (_, i) => JSON.stringify(sample(i + 1))),
      { cutAfter: 5 },
    );
    const inMs: number[] = [];
    let failing = true;
    let delivered = 0;
    // Reconnects scheduled before the first delivered batch (the one after it must start over).
    let beforeDelivery = -1;
    const src = new EventStreamsSource({
      url: sse.url,
      batchSize: 100,
      batchWaitMs: 5,
      minBackoffMs: 10,
      maxBackoffMs: 80,
      onStatus: (s) => {
        if (s.type === "reconnecting") inMs.push(s.inMs);
      },
      onEvents: async (evs) => {
        if (failing) throw new Error("queue down");
        if (delivered === 0) beforeDelivery = inMs.length;
        delivered += evs.length;
      },
    });
    try {
      await src.start();
      await until(() => inMs.length >= 6, 10_000, "6 reconnects");
      failing = false;
      await until(() => delivered > 0, 10_000, "a delivered batch");
      await until(() => inMs.length > beforeDelivery, 10_000, "the next reconnect");
      expect(inMs.slice(0, 6)).toEqual([10, 20, 40, 80, 80, 80]);
      expect(inMs[beforeDelivery]).toBe(10);
    } finally {
      src.stop();
      await sse.close();
    }
  });
});
