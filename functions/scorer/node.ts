/**
 * Container adapter of the scorer function (Node): consumes the queue with several pollers feeding
 * one MessageHandler (whose ScoringService batches across all of them), publishes prediction events
 * through the one Publisher (shared/pipeline/publisher.ts), and drains in-flight work on stop (SIGTERM).
 *  - SQS: `sqs-consumer` Consumers (handleMessageBatch, visibility heartbeat), each handling up to
 *    10 messages per poll; the messages a handler returns are the ones acknowledged (per message).
 *  - Embedded queue: shared/queue/poller.ts pollers with heartbeats; each message is acked when final.
 */
import type { Message } from "@aws-sdk/client-sqs";
import { join } from "node:path";
import { Consumer } from "sqs-consumer";
import type { Manifest } from "../../shared/model/bundle.ts";
import type { EventGateClient } from "../../shared/pipeline/eventgate-client.ts";
import { MessageHandler, type MessageResult } from "../../shared/pipeline/message-handler.ts";
import { Publisher } from "../../shared/pipeline/publisher.ts";
import { Poller } from "../../shared/queue/poller.ts";
import { decodeMessage, type Queue, type ReceivedMessage } from "../../shared/queue/queue.ts";
import type { SqsQueue } from "../../shared/queue/sqs-queue.ts";
import type { ScoringService } from "../../shared/scoring/service.ts";
import { featureWriter } from "../node/feature-writer.ts";

export interface ScorerWorkerOptions {
  service: ScoringService;
  queue: Queue;
  eventgate: Pick<EventGateClient, "publish">;
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
  /** Milliseconds each message took to its outcome (the monitor's latency percentiles). */
  timed?: (ms: number) => void;
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

export function startScorerWorker(o: ScorerWorkerOptions): ScorerWorker {
  const isSqs = o.queue.kind === "sqs";
  const visibilityTimeoutS = o.visibilityTimeoutS ?? 60;
  const features = o.featuresDir ? featureWriter(join(o.featuresDir, `${process.pid}.jsonl`)) : undefined;
  const publisher = new Publisher({
    eventgate: o.eventgate,
    manifest: o.manifest,
    build: { stream: o.stream, schemaVersion: o.schemaVersion },
    onPublished: features?.write,
  });
  const handler = new MessageHandler({
    service: o.service,
    publisher,
    // SQS: sqs-consumer deletes the messages the batch handler returns; embedded: ack at once.
    ack: isSqs ? async () => {} : (m) => o.queue.ack(m.receiptHandle),
    deadLetter: (m, reason) => o.queue.sendToDlq(m.body, reason, m.receiptHandle),
    maxReceives: () => o.queue.maxReceives(),
    count: o.count,
    timed: o.timed,
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
        // sqs-consumer wants the heartbeat strictly shorter than the visibility timeout (whole seconds).
        heartbeatInterval:
          visibilityTimeoutS > 1 ? Math.max(1, Math.floor(visibilityTimeoutS / 3)) : undefined,
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
                o.log?.("error", "message dead-lettered", {
                  id: m.MessageId,
                  reason: `malformed: ${(err as Error).message}`,
                });
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
      await publisher.close();
      await features?.close();
    },
  };
}
