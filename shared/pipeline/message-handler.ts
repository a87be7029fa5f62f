/**
 * The event scorer's core (issue: event pipeline): turns received queue messages into prediction
 * events. Messages from all pollers flow into the shared ScoringService (whose batchers form the
 * micro-batches), finished events are posted to EventGate in arrays, and each message is acknowledged
 * only once its outcome is final:
 *  - event accepted by EventGate → ack;
 *  - event rejected as invalid (400 / 207 invalid) → dead-letter queue with the reason;
 *  - revision unscorable (deleted, missing parent, …) or no performer → ack and count the reason;
 *  - transient failure (MediaWiki, model, EventGate 5xx / timeout) → left for redelivery after the
 *    visibility timeout (SQS redrive moves it to the DLQ after maxReceiveCount).
 * Runtime-agnostic: the queue, the event builder and the EventGate client are injected.
 */
import { Batcher, type ItemOutcome } from "../scoring/batcher.ts";
import type { QueueMessage, ReceivedMessage } from "../queue/queue.ts";
import type { RevisionScore } from "../model/revertrisk-model.ts";
import type { ScoringService } from "../scoring/service.ts";
import { codeForDbName } from "../wikis/wikis.ts";

export type BuildResult = { ok: true; event: Record<string, unknown> } | { ok: false; skip: string };

/** Per-event outcome of an EventGate POST. */
export type PostOutcome = { ok: true } | { ok: false; invalid: boolean; reason: string };

export interface MessageHandlerDeps {
  service: ScoringService;
  /** Builds the prediction event from the source page_change event and the score. */
  buildEvent: (pageChange: Record<string, unknown>, scored: RevisionScore) => BuildResult;
  /** POSTs events to EventGate as one JSON array; one outcome per event, in order. Throws on transport failure. */
  postEvents: (events: Record<string, unknown>[]) => Promise<PostOutcome[]>;
  /** Acknowledges (deletes) a delivered message. */
  ack: (message: ReceivedMessage) => Promise<void>;
  /** Moves a message to the dead-letter queue with a reason (and removes it from the main queue). */
  deadLetter: (message: ReceivedMessage, reason: string) => Promise<void>;
  /** Called once EventGate accepted a prediction event (e.g. to keep its feature vector). */
  onPublished?: (event: Record<string, unknown>, scored: RevisionScore) => void;
  /** Counts outcomes by kind and reason (metrics). */
  count?: (outcome: "published" | "skipped" | "dead_lettered" | "retry", reason: string) => void;
  log?: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
  /** EventGate batching: max events per POST and how long to wait for companions. */
  maxEventsPerPost?: number;
  postWaitMs?: number;
}

export type MessageResult = "acked" | "dead_lettered" | "retry";

export class MessageHandler {
  private readonly deps: MessageHandlerDeps;
  private readonly posts: Batcher<Record<string, unknown>, PostOutcome>;
  private active = 0;
  private drainWaiters: Array<() => void> = [];

  constructor(deps: MessageHandlerDeps) {
    this.deps = deps;
    this.posts = new Batcher<Record<string, unknown>, PostOutcome>({
      run: async (events): Promise<ItemOutcome<PostOutcome>[]> => {
        const outcomes = await deps.postEvents(events);
        return outcomes.map((value) => ({ ok: true as const, value }));
      },
      maxBatchItems: deps.maxEventsPerPost ?? 100,
      maxWaitMs: deps.postWaitMs ?? 10,
      concurrency: 4,
    });
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
      await this.deps.deadLetter(message, `malformed: ${(err as Error).message}`);
      this.deps.count?.("dead_lettered", "malformed");
      return "dead_lettered";
    }
    const [outcome] = await this.deps.service.scoreRevisions([{ lang, revId: body.rev_id }]);
    if (!outcome!.ok) {
      const { error } = outcome!;
      if (error.retryable) {
        this.deps.count?.("retry", error.code);
        this.deps.log?.("warn", "revision not scored; left for redelivery", {
          wiki: body.wiki,
          rev_id: body.rev_id,
          code: error.code,
          message: error.message,
        });
        return "retry";
      }
      await this.deps.ack(message);
      this.deps.count?.("skipped", error.code);
      return "acked";
    }
    const built = this.deps.buildEvent(body.event, outcome!.result);
    if (!built.ok) {
      await this.deps.ack(message);
      this.deps.count?.("skipped", built.skip);
      return "acked";
    }
    let posted: PostOutcome;
    try {
      posted = await this.posts.submit(built.event);
    } catch (err) {
      this.deps.count?.("retry", "eventgate_unavailable");
      this.deps.log?.("warn", "EventGate POST failed; left for redelivery", {
        wiki: body.wiki,
        rev_id: body.rev_id,
        error: String(err),
      });
      return "retry";
    }
    if (posted.ok) {
      this.deps.onPublished?.(built.event, outcome!.result);
      await this.deps.ack(message);
      this.deps.count?.("published", "ok");
      return "acked";
    }
    if (posted.invalid) {
      await this.deps.deadLetter(message, `invalid event: ${posted.reason}`);
      this.deps.count?.("dead_lettered", "invalid_event");
      return "dead_lettered";
    }
    this.deps.count?.("retry", "eventgate_error");
    return "retry";
  }

  async close(): Promise<void> {
    await this.drained();
    await this.posts.close();
  }
}
