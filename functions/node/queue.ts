/**
 * The queue factory of the Node commands: SQS when a queue URL is given, else the embedded durable
 * SQLite queue under the data directory. Takes the option table's queue settings as parsed.
 */
import { join } from "node:path";
import type { Queue } from "../../shared/queue/queue.ts";
import { SqsQueue } from "../../shared/queue/sqs-queue.ts";
import { EmbeddedQueue } from "./embedded-queue.ts";

export interface QueueSettings {
  /** SQS queue URL; when absent the embedded queue is used. */
  queueUrl?: string;
  dlqUrl?: string;
  /** Explicit SQS endpoint (required for fauxqs / local emulators). */
  sqsEndpoint?: string;
  awsRegion?: string;
  /** Embedded queue file. Default `<dataDir>/queue.sqlite`. */
  queuePath?: string;
  dataDir?: string;
  /** Embedded queue: deliveries before the DLQ. Default 5. */
  maxReceives?: number;
}

/** Opens the queue the settings name: SQS when a queue URL is given, else the embedded SQLite queue. */
export function openQueue(s: QueueSettings = {}): Queue {
  if (s.queueUrl) {
    return new SqsQueue({
      queueUrl: s.queueUrl,
      dlqUrl: s.dlqUrl,
      endpoint: s.sqsEndpoint,
      region: s.awsRegion,
    });
  }
  return new EmbeddedQueue({
    path: s.queuePath ?? join(s.dataDir ?? "var", "queue.sqlite"),
    maxReceives: s.maxReceives,
  });
}
