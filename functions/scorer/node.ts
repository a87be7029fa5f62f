/**
 * Container adapter of the scorer function (Node): consumes the queue with several pollers feeding
 * one MessageHandler (whose ScoringService batches across all of them), posts prediction events to
 * EventGate, and drains in-flight work on stop (SIGTERM).
 *  - SQS: `sqs-consumer` Consumers (handleMessageBatch, visibility heartbeat), each handling up to
 *    10 messages per poll; the messages a handler returns are the ones acknowledged (per message).
 *  - Embedded queue: shared/poller.ts pollers with heartbeats; each message is acked when final.
 */
import type { Message } from "@aws-sdk/client-sqs";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Consumer } from "sqs-consumer";
import type { Manifest } from "../../shared/model/bundle.ts";
import type { EventGateClient } from "../../shared/pipeline/eventgate-client.ts";
import {
  MessageHandler,
  type MessageResult,
  type PostOutcome,
} from "../../shared/pipeline/message-handler.ts";
import { Poller } from "../../shared/queue/poller.ts";
import { buildPredictionEvent } from "../../shared/events/prediction-event.ts";
import { decodeMessage, type Queue, type ReceivedMessage } from "../../shared/queue/queue.ts";
import type { SqsQueue } from "../../shared/queue/sqs-queue.ts";
import type { RevisionScore } from "../../shared/model/revertrisk-model.ts";
import type { ScoringService } from "../../shared/scoring/service.ts";

export interface ScorerWorkerOptions {
  service: ScoringService;
  queue: Queue;
  eventgate: Pick<EventGateClient, "post">;
  manifest: Pick<Manifest, "model_name" | "model_version">;
  stream?: string;
  schemaVersion?: string;
  /** Concurrent pollers (each ≤ 10 messages in hand). Default 4. */
  pollers?: number;
  /** Visibility timeout given at receive and renewed by heartbeats. Default 60 s. */
  visibilityTimeoutS?: number;
  /** Long-poll wait. Default 20 s for SQS, 1 s embedded. */
  waitS?: number;
  /** Append `{meta_id, wiki_id, rev_id, model_version, features}` per published event to `<dir>/<pid>.jsonl`. */
  featuresDir?: string;
  count?: (outcome: string, reason: string) => void;
  log?: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
}

export interface ScorerWorker {
  readonly handler: MessageHandler;
  /** Pollers running now. */
  pollers(): number;
  /** Grows or shrinks the poller pool (autoscaling inside one process). */
  setPollers(n: number): Promise<void>;
  /** Stops polling and resolves once every message in hand is final. */
  stop(): Promise<void>;
}

interface PollerLike {
  start(): void;
  stop(): Promise<void>;
}

export function toPostOutcomes(
  count: number,
  failed: ReadonlyArray<{ index: number; status: "invalid" | "error"; reason: string }>,
): PostOutcome[] {
  const out: PostOutcome[] = Array.from({ length: count }, () => ({ ok: true as const }));
  for (const f of failed) {
    if (f.index >= 0 && f.index < count)
      out[f.index] = { ok: false, invalid: f.status === "invalid", reason: f.reason };
  }
  // A failure EventGate reported without a position cannot be matched: retry every event then.
  if (failed.some((f) => f.index < 0))
    return out.map((o) => (o.ok ? { ok: false, invalid: false, reason: "unmatched EventGate failure" } : o));
  return out;
}

/** Appends each published prediction's features as a JSON line (for Parquet export with features). */
export function featureWriter(dir: string): {
  write: (event: Record<string, unknown>, scored: RevisionScore) => void;
  close: () => Promise<void>;
} {
  mkdirSync(dir, { recursive: true });
  // One append stream per process: no synchronous file I/O on the scoring path.
  const out = createWriteStream(join(dir, `${process.pid}.jsonl`), { flags: "a" });
  out.on("error", (err) => console.error(`features file: ${err.message}`));
  const write = (event: Record<string, unknown>, scored: RevisionScore) => {
    const meta = event.meta as { id?: string } | undefined;
    const pc = event.predicted_classification as { model_version?: string } | undefined;
    const line = {
      meta_id: meta?.id,
      wiki_id: event.wiki_id,
      rev_id: (event.revision as { rev_id?: number } | undefined)?.rev_id,
      model_version: pc?.model_version,
      features: scored.features,
    };
    out.write(JSON.stringify(line) + "\n");
  };
  return { write, close: () => new Promise<void>((resolve) => out.end(resolve)) };
}

export function startScorerWorker(o: ScorerWorkerOptions): ScorerWorker {
  const isSqs = o.queue.kind === "sqs";
  const visibilityTimeoutS = o.visibilityTimeoutS ?? 60;
  const features = o.featuresDir ? featureWriter(o.featuresDir) : undefined;
  const handler = new MessageHandler({
    service: o.service,
    buildEvent: (pageChange, scored) => {
      const r = buildPredictionEvent(
        pageChange,
        {
          model_name: o.manifest.model_name,
          model_version: o.manifest.model_version,
          prediction: scored.prediction,
          probability: scored.probabilities.true,
        },
        { stream: o.stream, schemaVersion: o.schemaVersion },
      );
      return r.ok ? { ok: true, event: r.event } : { ok: false, skip: r.reason };
    },
    postEvents: async (events) => {
      const r = await o.eventgate.post(events);
      return toPostOutcomes(events.length, r.failed);
    },
    // SQS: sqs-consumer deletes the messages the batch handler returns; embedded: ack at once.
    ack: isSqs ? async () => {} : (m) => o.queue.ack(m.receiptHandle),
    deadLetter: (m, reason) => o.queue.sendToDlq(m.body, reason, m.receiptHandle),
    onPublished: features?.write,
    count: o.count,
    log: o.log,
  });

  const makePoller = (): PollerLike => {
    if (isSqs) {
      const q = o.queue as SqsQueue;
      const consumer = Consumer.create({
        queueUrl: q.queueUrl,
        sqs: q.client,
        batchSize: 10,
        visibilityTimeout: visibilityTimeoutS,
        heartbeatInterval: Math.max(1, Math.floor(visibilityTimeoutS / 3)),
        waitTimeSeconds: o.waitS ?? 20,
        pollingCompleteWaitTimeMs: 10 * 60_000,
        messageSystemAttributeNames: ["ApproximateReceiveCount"],
        handleMessageBatch: async (messages: Message[]) => {
          const done: Message[] = [];
          await Promise.all(
            messages.map(async (m) => {
              let body;
              try {
                body = decodeMessage(m.Body ?? "");
              } catch (err) {
                await o.queue.sendToDlq(
                  { raw: m.Body ?? "" },
                  `malformed: ${(err as Error).message}`,
                  m.ReceiptHandle,
                );
                o.count?.("dead_lettered", "malformed");
                return;
              }
              const rm: ReceivedMessage = {
                id: m.MessageId ?? "",
                receiptHandle: m.ReceiptHandle ?? "",
                body,
                receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
              };
              const result: MessageResult = await handler.handleOne(rm);
              if (result === "acked") done.push(m);
            }),
          );
          return done;
        },
      });
      consumer.on("error", (err) => o.log?.("error", "sqs-consumer error", { error: String(err) }));
      consumer.on("processing_error", (err) =>
        o.log?.("error", "sqs-consumer processing error", { error: String(err) }),
      );
      return {
        start: () => consumer.start(),
        stop: () =>
          new Promise<void>((resolve) => {
            consumer.once("stopped", () => resolve());
            consumer.stop();
          }),
      };
    }
    return new Poller({
      queue: o.queue,
      handle: (m) => handler.handleOne(m),
      visibilityTimeoutS,
      waitS: o.waitS ?? 1,
      onError: (err) => o.log?.("error", "poller error", { error: String(err) }),
    });
  };

  const pool: PollerLike[] = [];
  const setPollers = async (n: number) => {
    const want = Math.max(0, Math.floor(n));
    while (pool.length < want) {
      const p = makePoller();
      pool.push(p);
      p.start();
    }
    const removed = pool.splice(want);
    await Promise.all(removed.map((p) => p.stop()));
  };
  setPollers(o.pollers ?? 4).catch((err: unknown) =>
    o.log?.("error", "starting the pollers failed", { error: String(err) }),
  );

  return {
    handler,
    pollers: () => pool.length,
    setPollers,
    async stop() {
      await setPollers(0);
      await handler.close();
      await features?.close();
    },
  };
}
