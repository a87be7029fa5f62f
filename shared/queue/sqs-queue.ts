/**
 * Amazon SQS backend (standard queue + DLQ through RedrivePolicy) on @aws-sdk/client-sqs.
 * Runtime-agnostic: works on Node and in workerd. Always pass an explicit `endpoint` for emulators
 * (fauxqs returns queue URLs on `sqs.<region>.localhost`, which may not resolve).
 */
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type SQSClientConfig,
} from "@aws-sdk/client-sqs";
import {
  decodeMessage,
  encodeAccepted,
  encodeMessage,
  type DeadLetter,
  type Queue,
  type QueueDepth,
  type QueueMessage,
  type ReceivedMessage,
  type ReceiveOptions,
  type SendResult,
} from "./queue.ts";

export interface SqsQueueOptions {
  queueUrl: string;
  /** Dead-letter queue URL (for sendToDlq / readDlq / depth.dead). */
  dlqUrl?: string;
  /** Explicit endpoint, e.g. http://127.0.0.1:4566 (required for fauxqs). */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Retries of failed batch entries (transient failures only). Default 3. */
  sendRetries?: number;
  /** A ready client (overrides endpoint/region/credentials). */
  client?: SQSClient;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SendMessageBatch limits: 10 entries and 256 KiB of bodies per request (kept under, with margin). */
const MAX_BATCH_BYTES = 250_000;

function batchBySize<T extends { body: string }>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const it of items) {
    const n = new TextEncoder().encode(it.body).length;
    if (cur.length > 0 && (cur.length === 10 || bytes + n > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

export function makeSqsClient(options: {
  endpoint?: string;
  region?: string;
  credentials?: SqsQueueOptions["credentials"];
}): SQSClient {
  const config: SQSClientConfig = { region: options.region ?? "us-east-1" };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    config.useQueueUrlAsEndpoint = false;
  }
  if (options.credentials) config.credentials = options.credentials;
  return new SQSClient(config);
}

export class SqsQueue implements Queue {
  readonly kind = "sqs" as const;
  readonly queueUrl: string;
  readonly dlqUrl: string | undefined;
  readonly client: SQSClient;
  private retries: number;
  private ownsClient: boolean;

  constructor(options: SqsQueueOptions) {
    this.queueUrl = options.queueUrl;
    this.dlqUrl = options.dlqUrl;
    this.retries = options.sendRetries ?? 3;
    this.ownsClient = !options.client;
    this.client = options.client ?? makeSqsClient(options);
  }

  async sendBatch(messages: readonly QueueMessage[]): Promise<SendResult> {
    const failed: SendResult["failed"] = [];
    let sent = 0;
    const indexed: Array<{ index: number; body: string }> = [];
    messages.forEach((m, index) => {
      const e = encodeMessage(m);
      if (e.ok) indexed.push({ index, body: e.body });
      else failed.push({ index, error: e.error, permanent: true });
    });
    for (const group of batchBySize(indexed)) {
      let pending = group;
      for (let attempt = 0; pending.length > 0; attempt++) {
        let res;
        try {
          res = await this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: pending.map((p) => ({ Id: String(p.index), MessageBody: p.body })),
            }),
          );
        } catch (e) {
          // Whole request failed (network, throttling): retry the whole chunk.
          if (attempt < this.retries) {
            await sleep(100 * 2 ** attempt);
            continue;
          }
          for (const p of pending) failed.push({ index: p.index, error: (e as Error).message });
          break;
        }
        sent += res.Successful?.length ?? 0;
        const retry: typeof pending = [];
        for (const f of res.Failed ?? []) {
          const p = pending.find((x) => String(x.index) === f.Id)!;
          // SenderFault entries (e.g. too large) will fail again; server faults are retried.
          if (!f.SenderFault && attempt < this.retries) retry.push(p);
          else
            failed.push({
              index: p.index,
              error: `${f.Code}: ${f.Message ?? ""}`.trim(),
              ...(f.SenderFault ? { permanent: true } : {}),
            });
        }
        pending = retry;
        if (pending.length) await sleep(100 * 2 ** attempt);
      }
    }
    failed.sort((a, b) => a.index - b.index);
    return { sent, failed };
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const res = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(10, Math.max(1, options.max ?? 10)),
        WaitTimeSeconds: options.waitS ?? 0,
        VisibilityTimeout: options.visibilityTimeoutS,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
    );
    const out: ReceivedMessage[] = [];
    for (const m of res.Messages ?? []) {
      const raw = m.Body ?? "";
      try {
        out.push({
          id: m.MessageId!,
          receiptHandle: m.ReceiptHandle!,
          body: decodeMessage(raw),
          receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
        });
      } catch (e) {
        await this.sendToDlq({ raw }, `malformed: ${(e as Error).message}`, m.ReceiptHandle);
      }
    }
    return out;
  }

  async ack(receiptHandle: string): Promise<void> {
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle }),
    );
  }

  async changeVisibility(receiptHandle: string, timeoutS: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: timeoutS,
      }),
    );
  }

  private async counts(url: string): Promise<QueueDepth> {
    const res = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return {
      visible: Number(res.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  async maxReceives(): Promise<number | undefined> {
    const res = await this.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ["RedrivePolicy"] }),
    );
    const policy = res.Attributes?.RedrivePolicy;
    if (!policy) return undefined;
    const n = Number((JSON.parse(policy) as { maxReceiveCount?: unknown }).maxReceiveCount);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  }

  async depth(): Promise<QueueDepth> {
    const main = await this.counts(this.queueUrl);
    if (this.dlqUrl) {
      const d = await this.counts(this.dlqUrl);
      main.dead = d.visible + d.inFlight;
    }
    return main;
  }

  async sendToDlq(
    message: QueueMessage | { raw: string },
    reason: string,
    receiptHandle?: string,
  ): Promise<void> {
    if (!this.dlqUrl) throw new Error("sendToDlq: no dlqUrl configured");
    const body = "raw" in message ? message.raw : encodeAccepted(message);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.dlqUrl,
        MessageBody: body,
        MessageAttributes: { reason: { DataType: "String", StringValue: reason.slice(0, 1000) } },
      }),
    );
    if (receiptHandle) await this.ack(receiptHandle);
  }

  /** Reads dead letters (messages moved by RedrivePolicy carry reason "max_receives_exceeded"). */
  async readDlq(max = 10, remove = false): Promise<DeadLetter[]> {
    if (!this.dlqUrl) throw new Error("readDlq: no dlqUrl configured");
    const res = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.dlqUrl,
        MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
        WaitTimeSeconds: 0,
        VisibilityTimeout: remove ? 30 : 0,
        MessageAttributeNames: ["reason"],
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
    );
    const out: DeadLetter[] = [];
    for (const m of res.Messages ?? []) {
      let body: unknown = m.Body;
      try {
        body = JSON.parse(m.Body ?? "");
      } catch {
        /* keep raw */
      }
      out.push({
        id: m.MessageId!,
        body,
        reason: m.MessageAttributes?.reason?.StringValue ?? "max_receives_exceeded",
      });
      if (remove)
        await this.client.send(
          new DeleteMessageCommand({ QueueUrl: this.dlqUrl, ReceiptHandle: m.ReceiptHandle! }),
        );
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

export interface CreateQueuesOptions {
  name: string;
  endpoint?: string;
  region?: string;
  credentials?: SqsQueueOptions["credentials"];
  client?: SQSClient;
  /** RedrivePolicy maxReceiveCount. Default 5. */
  maxReceiveCount?: number;
  visibilityTimeoutS?: number;
  /** Default 262144 (256 KiB). */
  maximumMessageSize?: number;
}

/** Creates (idempotently) `<name>` and `<name>-dlq` with a RedrivePolicy. For tests and development. */
export async function createQueueWithDlq(
  options: CreateQueuesOptions,
): Promise<{ queueUrl: string; dlqUrl: string; dlqArn: string }> {
  const client = options.client ?? makeSqsClient(options);
  try {
    const dlq = await client.send(
      new CreateQueueCommand({
        QueueName: `${options.name}-dlq`,
        Attributes: { MessageRetentionPeriod: "1209600" },
      }),
    );
    const dlqUrl = dlq.QueueUrl!;
    const attrs = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
    );
    const dlqArn = attrs.Attributes!.QueueArn!;
    const main = await client.send(
      new CreateQueueCommand({
        QueueName: options.name,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutS ?? 300),
          MaximumMessageSize: String(options.maximumMessageSize ?? 262144),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn,
            maxReceiveCount: options.maxReceiveCount ?? 5,
          }),
        },
      }),
    );
    return { queueUrl: main.QueueUrl!, dlqUrl, dlqArn };
  } finally {
    if (!options.client) client.destroy();
  }
}
