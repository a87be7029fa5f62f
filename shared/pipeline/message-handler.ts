/**
 * The queue scorer's message handling: turns received queue messages into published prediction
 * events. Messages from all pollers flow into the shared ScoringService (whose batchers form the
 * micro-batches), each scored revision goes through the one Publisher (shared/pipeline/publisher.ts),
 * and each message is acknowledged only once its outcome is final:
 *  - event accepted by EventGate → ack;
 *  - event rejected for good by EventGate (invalid, unknown schema or stream, …) → dead-letter queue
 *    at once, with EventGate's message as the reason;
 *  - revision unscorable (deleted, missing parent, …) or no event to build (no performer) → ack and
 *    count the reason;
 *  - transient failure (MediaWiki, model, EventGate 5xx / timeout) → left for redelivery after the
 *    visibility timeout; on the queue's last allowed delivery (`maxReceives`) it is dead-lettered
 *    here with the last reason instead of by the queue's redrive, which would not say why.
 * Every dead-lettered message is logged once with its reason. Runtime-agnostic: the queue operations
 * and the publisher are injected.
 */
import type { QueueMessage, ReceivedMessage } from "../queue/queue.ts";
import type { ScoringService } from "../scoring/service.ts";
import { codeForDbName } from "../wikis/wikis.ts";
import type { Publisher } from "./publisher.ts";

export interface MessageHandlerDeps {
  service: ScoringService;
  publisher: Pick<Publisher, "publish">;
  /** Acknowledges (deletes) a delivered message. */
  ack: (message: ReceivedMessage) => Promise<void>;
  /** Moves a message to the dead-letter queue with a reason (and removes it from the main queue). */
  deadLetter: (message: ReceivedMessage, reason: string) => Promise<void>;
  /** Deliveries after which the queue dead-letters a message by itself (SQS maxReceiveCount), when known. */
  maxReceives?: () => Promise<number | undefined>;
  /** Counts outcomes by kind and reason (metrics, status). */
  count?: (outcome: "published" | "skipped" | "dead_lettered" | "retry", reason: string) => void;
  /** Milliseconds each message took, from the start of its processing to its outcome. */
  timed?: (ms: number) => void;
  log?: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
}

export type MessageResult = "acked" | "dead_lettered" | "retry";

export class MessageHandler {
  private readonly deps: MessageHandlerDeps;
  private active = 0;
  private drainWaiters: Array<() => void> = [];
  private maxReceives: Promise<number | undefined> | undefined;

  constructor(deps: MessageHandlerDeps) {
    this.deps = deps;
  }

  /** Messages currently being processed. */
  get inFlight(): number {
    return this.active;
  }

  /** Resolves once no message is being processed. */
  drained(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  /** Processes one message; resolves once its outcome is final. */
  async handleOne(message: ReceivedMessage): Promise<MessageResult> {
    this.active++;
    const started = performance.now();
    try {
      return await this.process(message);
    } catch (err) {
      this.deps.count?.("retry", "internal_error");
      this.deps.log?.("error", "message processing failed; left for redelivery", {
        id: message.id,
        error: String(err),
      });
      return "retry";
    } finally {
      this.deps.timed?.(performance.now() - started);
      this.active--;
      if (this.active === 0) {
        const w = this.drainWaiters;
        this.drainWaiters = [];
        for (const f of w) f();
      }
    }
  }

  private async process(message: ReceivedMessage): Promise<MessageResult> {
    const body: QueueMessage = message.body;
    let lang: string;
    try {
      const code = codeForDbName(body.wiki);
      if (code === undefined) throw new Error(`not the database name of a canonical Wikipedia: ${body.wiki}`);
      lang = code;
    } catch (err) {
      return this.deadLetter(message, "malformed", `malformed: ${(err as Error).message}`);
    }
    const [outcome] = await this.deps.service.scoreRevisions([{ lang, revId: body.rev_id }]);
    if (!outcome!.ok) {
      const { error } = outcome!;
      if (error.retryable) return this.retry(message, error.code, error.message);
      await this.deps.ack(message);
      this.deps.count?.("skipped", error.code);
      return "acked";
    }
    const published = await this.deps.publisher.publish(body.event, outcome!.result);
    switch (published.status) {
      case "published":
        await this.deps.ack(message);
        this.deps.count?.("published", "ok");
        return "acked";
      case "skipped":
        await this.deps.ack(message);
        this.deps.count?.("skipped", published.reason);
        return "acked";
      case "rejected":
        return this.deadLetter(message, "eventgate_rejected", `eventgate_rejected: ${published.reason}`);
      case "retry":
        return this.retry(message, "eventgate_unavailable", published.reason);
    }
  }

  /** A transient failure: redelivery later, unless this was the last delivery the queue allows. */
  private async retry(message: ReceivedMessage, code: string, reason: string): Promise<MessageResult> {
    this.maxReceives ??= this.deps.maxReceives?.().catch(() => undefined) ?? Promise.resolve(undefined);
    const max = await this.maxReceives;
    if (max !== undefined && message.receiveCount >= max)
      return this.deadLetter(
        message,
        "max_receives_exceeded",
        `max_receives_exceeded (${message.receiveCount}): ${code}: ${reason}`,
      );
    this.deps.count?.("retry", code);
    this.deps.log?.("warn", "message not finished; left for redelivery", {
      wiki: message.body.wiki,
      rev_id: message.body.rev_id,
      receive_count: message.receiveCount,
      code,
      reason,
    });
    return "retry";
  }

  private async deadLetter(message: ReceivedMessage, kind: string, reason: string): Promise<MessageResult> {
    await this.deps.deadLetter(message, reason);
    this.deps.count?.("dead_lettered", kind);
    this.deps.log?.("error", "message dead-lettered", {
      id: message.id,
      wiki: message.body?.wiki,
      rev_id: message.body?.rev_id,
      receive_count: message.receiveCount,
      reason,
    });
    return "dead_lettered";
  }

  /** Waits for the messages in hand. */
  close(): Promise<void> {
    return this.drained();
  }
}
