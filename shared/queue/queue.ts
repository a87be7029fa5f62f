/**
 * The job queue between ingest and the scorer: an SQS-shaped interface (at-least-once delivery,
 * visibility timeouts, per-message ack, dead-letter queue) with two backends:
 * - `queue-sqs.ts`: Amazon SQS (or fauxqs) through @aws-sdk/client-sqs; runs on Node and in workerd;
 * - `queue-embedded.ts`: a durable local queue in a SQLite WAL file (Node only, local default).
 * Runtime-agnostic (types and pure helpers only).
 */
import { MAX_JSON_DEPTH, tooDeep } from "../events/json-depth.ts";

/** Version 1 of the message body every backend carries (JSON). */
export interface QueueMessageV1 {
  v: 1;
  /** Wiki id, e.g. "enwiki". */
  wiki: string;
  rev_id: number;
  /** The page_change event as received (all fields kept; the scorer builds the prediction event from it). */
  event: Record<string, unknown>;
}
export type QueueMessage = QueueMessageV1;

/** One received message. `receiptHandle` identifies this delivery for ack / visibility changes. */
export interface ReceivedMessage {
  id: string;
  receiptHandle: string;
  body: QueueMessage;
  /** 1 on first delivery. */
  receiveCount: number;
}

export interface SendResult {
  /** Number of messages accepted by the queue. */
  sent: number;
  /**
   * Messages that could not be enqueued (index into the input array). `permanent`: the message
   * itself is refused (too large, too deep, contents the queue rejects) and would fail on every
   * retry; otherwise the failure was transient (network, throttling) and a retry may succeed.
   */
  failed: Array<{ index: number; error: string; permanent?: boolean }>;
}

export interface ReceiveOptions {
  /** Max messages to return (1..10 for SQS). Default 10. */
  max?: number;
  /** Seconds the messages stay invisible to other receivers. Default: the queue's setting. */
  visibilityTimeoutS?: number;
  /** Long-poll wait in seconds (0..20). Default 0. */
  waitS?: number;
}

export interface QueueDepth {
  /** Messages ready to be received (SQS ApproximateNumberOfMessages). */
  visible: number;
  /** Received and not yet acked (SQS ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
  /** Messages in the dead-letter queue (undefined when the backend cannot tell). */
  dead?: number;
  /**
   * Seconds since the oldest message still in the queue was sent (0 when empty); undefined where
   * the backend cannot tell (SQS publishes it only as the CloudWatch metric
   * ApproximateAgeOfOldestMessage, alarmed in terraform/sqs.tf).
   */
  oldestAgeS?: number;
}

export interface DeadLetter {
  id: string;
  body: unknown;
  reason: string;
  receiveCount?: number;
}

export interface Queue {
  /** Backend name, for logs and /healthz. */
  readonly kind: "sqs" | "embedded";
  /** Enqueues messages (in batches of 10 for SQS); per-message failures are reported, not thrown. */
  sendBatch(messages: readonly QueueMessage[]): Promise<SendResult>;
  /** Receives messages. Bodies that are not v1 messages are moved to the DLQ ("malformed: …"), not returned. */
  receive(options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Acknowledges (deletes) one delivered message. */
  ack(receiptHandle: string): Promise<void>;
  /** Heartbeat: extend (or with 0, end) the invisibility of a delivered message. */
  changeVisibility(receiptHandle: string, timeoutS: number): Promise<void>;
  depth(): Promise<QueueDepth>;
  /**
   * Deliveries after which the queue moves a message to the DLQ by itself (SQS RedrivePolicy
   * maxReceiveCount; the embedded queue's maxReceives); undefined when there is no such limit.
   */
  maxReceives(): Promise<number | undefined>;
  /**
   * Moves a message to the dead-letter queue with a reason (e.g. "unscorable: parent_revision_missing").
   * Pass the receipt handle to remove it from the main queue in the same step.
   */
  sendToDlq(message: QueueMessage | { raw: string }, reason: string, receiptHandle?: string): Promise<void>;
  /** Reads (and with `remove`, deletes) up to `max` dead letters. For tools and tests. */
  readDlq?(max?: number, remove?: boolean): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

/** Parses a queue message body; throws with a precise message when it is not a v1 message. */
export function decodeMessage(raw: string): QueueMessage {
  const m = JSON.parse(raw) as Partial<QueueMessageV1> | null;
  if (!m || typeof m !== "object") throw new Error("queue message: not a JSON object");
  if (m.v !== 1) throw new Error(`queue message: unsupported version ${JSON.stringify(m.v)}`);
  if (typeof m.wiki !== "string" || !m.wiki) throw new Error("queue message: wiki missing");
  if (typeof m.rev_id !== "number" || !Number.isInteger(m.rev_id))
    throw new Error("queue message: rev_id missing");
  if (!m.event || typeof m.event !== "object") throw new Error("queue message: event missing");
  return m as QueueMessageV1;
}

/**
 * Largest message body in UTF-8 bytes: SQS's MaximumMessageSize (256 KiB). The embedded queue keeps
 * the same limit so that an event is accepted or refused alike on both backends.
 */
export const MAX_MESSAGE_BYTES = 262_144;
/** Deepest nesting of objects and arrays in a message's event (JSON.stringify is recursive). */
export const MAX_MESSAGE_DEPTH = MAX_JSON_DEPTH;

/**
 * Characters escaped as \\uXXXX in bodies (same JSON value): U+FFFE/U+FFFF, which SQS refuses, and
 * the UTF-16 halves of characters above U+FFFF, which SQS allows but emulators such as fauxqs refuse.
 */
const SQS_ESCAPED = /[\uD800-\uDFFF\uFFFE\uFFFF]/g;

export type EncodedMessage = { ok: true; body: string } | { ok: false; error: string };

/**
 * Encodes a message body, or says why the queue would refuse it (every time: a permanent error).
 * Errors name the path in the event and the limit, like the ingest validation errors ("a.b[0]: …").
 */
export function encodeMessage(m: QueueMessage): EncodedMessage {
  const deep = tooDeep(m.event, MAX_MESSAGE_DEPTH);
  if (deep !== undefined)
    return { ok: false, error: `${deep}: nested deeper than ${MAX_MESSAGE_DEPTH} levels (the limit)` };
  let body: string;
  try {
    body = JSON.stringify(m).replace(SQS_ESCAPED, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  } catch (e) {
    return { ok: false, error: `(root): cannot be encoded as JSON: ${(e as Error).message}` };
  }
  const bytes = new TextEncoder().encode(body).length;
  if (bytes > MAX_MESSAGE_BYTES)
    return {
      ok: false,
      error: `(root): the event makes a ${bytes}-byte queue message, over the limit of ${MAX_MESSAGE_BYTES} bytes`,
    };
  return { ok: true, body };
}

/** encodeMessage for messages that were accepted once already (DLQ moves): throws on refusal. */
export function encodeAccepted(m: QueueMessage): string {
  const e = encodeMessage(m);
  if (!e.ok) throw new Error(`queue message: ${e.error}`);
  return e.body;
}

/** Builds a v1 message from an accepted page_change event. */
export function toMessage(wiki: string, revId: number, event: Record<string, unknown>): QueueMessage {
  return { v: 1, wiki, rev_id: revId, event };
}

/**
 * Keeps a received message invisible while it is being worked on: every `everyS` seconds extends
 * its visibility to `extendS` seconds. Call the returned function when done (before ack / DLQ).
 * Failures are passed to `onError` (e.g. the receipt expired: stop and let the message be redelivered).
 */
export function startHeartbeat(
  queue: Queue,
  receiptHandle: string,
  options: { everyS?: number; extendS?: number; onError?: (e: Error) => void } = {},
): () => void {
  const everyS = options.everyS ?? 20;
  const extendS = options.extendS ?? 60;
  const timer = setInterval(() => {
    queue.changeVisibility(receiptHandle, extendS).catch((e: unknown) => {
      clearInterval(timer);
      options.onError?.(e as Error);
    });
  }, everyS * 1000);
  return () => clearInterval(timer);
}
