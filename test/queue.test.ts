import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalSqs, type FauxqsHandle } from "../standins/sqs-fauxqs/fauxqs.ts";
import { startHeartbeat, toMessage } from "../shared/queue/queue.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";
import { drainRevIds } from "./helpers.ts";
import { SqsQueue } from "../shared/queue/sqs-queue.ts";
import type { SQSClient } from "@aws-sdk/client-sqs";

const msg = (i: number) => toMessage("enwiki", 1000 + i, { n: i, $schema: "/mediawiki/page/change/1.2.0" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("embedded queue", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "revrisk-q-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("sends, receives, acks; reports depth", async () => {
    const q = new EmbeddedQueue({ path: join(dir, "a.sqlite") });
    expect(await q.sendBatch([msg(1), msg(2), msg(3)])).toEqual({ sent: 3, failed: [] });
    expect(await q.depth()).toMatchObject({ visible: 3, inFlight: 0, dead: 0 });
    const got = await q.receive({ max: 2 });
    expect(got.map((m) => m.body.rev_id)).toEqual([1001, 1002]);
    expect(got[0]!.receiveCount).toBe(1);
    expect(got[0]!.body).toEqual(msg(1));
    expect(await q.depth()).toMatchObject({ visible: 1, inFlight: 2, dead: 0 });
    await q.ack(got[0]!.receiptHandle);
    expect(await q.depth()).toMatchObject({ visible: 1, inFlight: 1, dead: 0 });
    await q.close();
  });

  it("reports the age of the oldest message (0 when empty)", async () => {
    let t = 1_000_000;
    const q = new EmbeddedQueue({ path: join(dir, "age.sqlite"), now: () => t });
    expect((await q.depth()).oldestAgeS).toBe(0);
    await q.sendBatch([msg(1)]);
    t += 5_000;
    await q.sendBatch([msg(2)]);
    t += 2_500;
    expect((await q.depth()).oldestAgeS).toBe(7.5);
    const [first] = await q.receive({ max: 1 });
    await q.ack(first!.receiptHandle);
    expect((await q.depth()).oldestAgeS).toBe(2.5);
    await q.close();
  });

  it("loses nothing across close and reopen (in-flight messages come back after visibility)", async () => {
    const path = join(dir, "b.sqlite");
    let q = new EmbeddedQueue({ path, visibilityTimeoutS: 0.2 });
    await q.sendBatch(Array.from({ length: 25 }, (_, i) => msg(i)));
    const first = await q.receive({ max: 5 });
    await q.ack(first[0]!.receiptHandle);
    await q.close();
    q = new EmbeddedQueue({ path, visibilityTimeoutS: 0.2 });
    await sleep(250);
    const got = await drainRevIds(q);
    expect(got).toEqual(Array.from({ length: 24 }, (_, i) => 1001 + i));
    await q.close();
  });

  it("redelivers after visibility expiry, honours heartbeats, DLQs after max receives", async () => {
    let t = 1_000_000;
    const q = new EmbeddedQueue({
      path: join(dir, "c.sqlite"),
      visibilityTimeoutS: 10,
      maxReceives: 2,
      now: () => t,
    });
    await q.sendBatch([msg(1)]);
    const a = await q.receive();
    expect(a).toHaveLength(1);
    expect(await q.receive()).toHaveLength(0);
    await q.changeVisibility(a[0]!.receiptHandle, 60); // heartbeat
    t += 30_000;
    expect(await q.receive()).toHaveLength(0);
    t += 31_000;
    const b = await q.receive();
    expect(b).toHaveLength(1);
    expect(b[0]!.receiveCount).toBe(2);
    await q.ack(a[0]!.receiptHandle); // stale receipt: no effect
    await expect(q.changeVisibility(a[0]!.receiptHandle, 5)).rejects.toThrow(/not in flight/);
    t += 11_000;
    expect(await q.receive()).toHaveLength(0);
    expect(await q.depth()).toMatchObject({ visible: 0, inFlight: 0, dead: 1 });
    const dead = await q.readDlq(10, true);
    expect(dead).toEqual([
      { id: a[0]!.id, body: msg(1), reason: "max_receives_exceeded (2)", receiveCount: 2 },
    ]);
    expect((await q.depth()).dead).toBe(0);
    await q.close();
  });

  it("sendToDlq with reason removes the message; malformed bodies are diverted", async () => {
    const q = new EmbeddedQueue({ path: ":memory:" });
    await q.sendBatch([msg(1)]);
    const [m] = await q.receive();
    await q.sendToDlq(m!.body, "unscorable: parent_revision_missing", m!.receiptHandle);
    expect(await q.depth()).toMatchObject({ visible: 0, inFlight: 0, dead: 1 });
    await q.sendBatch([{ v: 2 } as never]);
    expect(await q.receive()).toHaveLength(0);
    const dead = await q.readDlq();
    expect(dead.map((d) => d.reason)).toEqual([
      "unscorable: parent_revision_missing",
      "malformed: queue message: unsupported version 2",
    ]);
    await q.close();
  });

  it("startHeartbeat keeps a message invisible until stopped", async () => {
    const q = new EmbeddedQueue({ path: ":memory:", visibilityTimeoutS: 0.3 });
    await q.sendBatch([msg(9)]);
    const [m] = await q.receive();
    const stop = startHeartbeat(q, m!.receiptHandle, { everyS: 0.1, extendS: 0.3 });
    await sleep(700);
    expect(await q.receive()).toHaveLength(0);
    stop();
    await sleep(400);
    expect(await q.receive()).toHaveLength(1);
    await q.close();
  });

  it("long-polls until a message arrives", async () => {
    const q = new EmbeddedQueue({ path: ":memory:" });
    setTimeout(() => void q.sendBatch([msg(7)]), 150);
    const t0 = Date.now();
    const got = await q.receive({ waitS: 2 });
    expect(got.map((m) => m.body.rev_id)).toEqual([1007]);
    expect(Date.now() - t0).toBeLessThan(1500);
    await q.close();
  });
});

describe("SQS queue against fauxqs", () => {
  let sqs: FauxqsHandle;
  beforeAll(async () => {
    sqs = await startLocalSqs();
  });
  afterAll(async () => {
    await sqs?.stop();
  });

  const open = async (name: string, o: { maxReceiveCount?: number; visibilityTimeoutS?: number } = {}) => {
    const { queueUrl, dlqUrl } = await sqs.createQueue(name, o);
    return new SqsQueue({
      queueUrl,
      dlqUrl,
      endpoint: sqs.endpoint,
      region: sqs.region,
      credentials: sqs.credentials,
    });
  };

  it("sends 25 in batches of 10, receives, acks, reports depth", async () => {
    const q = await open("t-basic");
    const r = await q.sendBatch(Array.from({ length: 25 }, (_, i) => msg(i)));
    expect(r).toEqual({ sent: 25, failed: [] });
    expect(await q.depth()).toMatchObject({ visible: 25, inFlight: 0, dead: 0 });
    const got = await q.receive({ max: 10, visibilityTimeoutS: 30 });
    expect(got).toHaveLength(10);
    expect(got[0]!.receiveCount).toBe(1);
    expect(await q.depth()).toMatchObject({ visible: 15, inFlight: 10, dead: 0 });
    for (const m of got) await q.ack(m.receiptHandle);
    const rest = await drainRevIds(q);
    expect(rest).toHaveLength(15);
    expect(await q.depth()).toMatchObject({ visible: 0, inFlight: 0, dead: 0 });
    await q.close();
  });

  it("reports per-entry failures (oversized message) without failing the rest", async () => {
    const q = await open("t-fail");
    const big = toMessage("enwiki", 1, { blob: "x".repeat(300_000) });
    const r = await q.sendBatch([msg(1), big, msg(2)]);
    expect(r.sent).toBe(2);
    expect(r.failed.map((f) => f.index)).toEqual([1]);
    await q.close();
  });

  it("redelivers after visibility expiry, heartbeat extends, RedrivePolicy moves to the DLQ", async () => {
    const q = await open("t-redrive", { maxReceiveCount: 2 });
    await q.sendBatch([msg(1)]);
    const a = await q.receive({ visibilityTimeoutS: 1 });
    expect(a).toHaveLength(1);
    await q.changeVisibility(a[0]!.receiptHandle, 0);
    const b = await q.receive({ visibilityTimeoutS: 1 });
    expect(b).toHaveLength(1);
    expect(b[0]!.receiveCount).toBe(2);
    await q.changeVisibility(b[0]!.receiptHandle, 0);
    expect(await q.receive({ visibilityTimeoutS: 1 })).toHaveLength(0);
    const dead = await q.readDlq(10, true);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.body).toEqual(msg(1));
    await q.close();
  });

  it("sendToDlq carries a reason and acks the original", async () => {
    const q = await open("t-dlq");
    await q.sendBatch([msg(3)]);
    const [m] = await q.receive();
    await q.sendToDlq(m!.body, "unscorable: parent_revision_missing", m!.receiptHandle);
    const d = await q.depth();
    expect(d.visible + d.inFlight).toBe(0);
    expect(d.dead).toBe(1);
    const dead = await q.readDlq(10, true);
    expect(dead[0]!.reason).toBe("unscorable: parent_revision_missing");
    await q.close();
  });
});

describe("SQS sendBatch retry logic (stub client)", () => {
  it("retries transient entry failures and whole-request errors; reports sender faults", async () => {
    const calls: string[][] = [];
    let n = 0;
    let failed3 = false;
    const client = {
      send: async (cmd: { input: { Entries: Array<{ Id: string; MessageBody: string }> } }) => {
        n++;
        const ids = cmd.input.Entries.map((e) => e.Id);
        calls.push(ids);
        if (n === 1) throw new Error("socket hang up");
        const Failed: Array<{ Id: string; SenderFault: boolean; Code: string; Message?: string }> = [];
        if (ids.includes("3") && !failed3) {
          failed3 = true;
          Failed.push({ Id: "3", SenderFault: false, Code: "InternalError" });
        }
        if (ids.includes("11"))
          Failed.push({ Id: "11", SenderFault: true, Code: "InvalidParameterValue", Message: "too big" });
        return {
          Successful: ids.filter((id) => !Failed.some((f) => f.Id === id)).map((Id) => ({ Id })),
          Failed,
        };
      },
      destroy() {},
    };
    const q = new SqsQueue({ queueUrl: "http://x/q", client: client as unknown as SQSClient });
    const r = await q.sendBatch(Array.from({ length: 12 }, (_, i) => msg(i)));
    expect(r).toEqual({
      sent: 11,
      failed: [{ index: 11, error: "InvalidParameterValue: too big", permanent: true }],
    });
    expect(calls.map((c) => c.length)).toEqual([10, 10, 1, 2]);
    expect(calls[2]).toEqual(["3"]);
  });
});
