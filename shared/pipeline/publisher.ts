/**
 * The one publisher of prediction events, used by the queue scorer (shared/pipeline/message-handler.ts),
 * the API's `{"event"}` input (functions/node/runtime.ts eventEmitter) and the dump backfill
 * (functions/backfill/run.ts): page_change + score → prediction event (shared/events/prediction-event.ts)
 * → EventGate POST (events of all callers share POSTs, at most `maxEventsPerPost` per array) → one
 * outcome per event (the mapping lives beside the client, shared/pipeline/eventgate-client.ts):
 *  - published: EventGate accepted it (`onPublished` then sees the event and its score);
 *  - skipped: no event can be built (not a page_change, no performer): nothing to publish;
 *  - rejected: final (invalid, unknown schema or stream, …): dead-letter it with the reason;
 *  - retry: transient (network, timeout, 5xx): try again later.
 * Runtime-agnostic. docs/events.md describes the outcomes.
 */
import { Batcher, type ItemOutcome } from "../scoring/batcher.ts";
import {
  buildPredictionEvent,
  DEFAULT_PREDICTION_STREAM,
  predictionSchemaUri,
  type BuildOptions,
  type PredictionEvent,
} from "../events/prediction-event.ts";
import type { Manifest } from "../model/bundle.ts";
import type { RevisionScore } from "../model/revertrisk-model.ts";
import type { EventGateClient, EventOutcome } from "./eventgate-client.ts";

export type PublishOutcome =
  | { status: "published"; event: PredictionEvent }
  | { status: "skipped"; reason: string; message: string }
  | { status: "rejected"; reason: string; event: PredictionEvent }
  | { status: "retry"; reason: string; event: PredictionEvent };

/** What the publisher needs of a score: the prediction, and the features for `onPublished`. */
export type PublishedScore = Pick<RevisionScore, "prediction" | "probabilities"> &
  Partial<Pick<RevisionScore, "features">>;

export interface PublisherOptions {
  eventgate: Pick<EventGateClient, "publish">;
  manifest: Pick<Manifest, "model_name" | "model_version">;
  /** Stream, schema version, clock of the built events. */
  build?: BuildOptions;
  /** Called once per event EventGate accepted (e.g. to keep its feature vector). */
  onPublished?: (event: PredictionEvent, score: PublishedScore) => void;
  /** Events per POST. Default 100. */
  maxEventsPerPost?: number;
  /** How long an event waits for companions before its POST. Default 10 ms. */
  postWaitMs?: number;
  /** POSTs in flight at once. Default 4. */
  concurrency?: number;
}

export class Publisher {
  private readonly o: PublisherOptions;
  private readonly posts: Batcher<PredictionEvent, EventOutcome>;

  constructor(options: PublisherOptions) {
    this.o = options;
    this.posts = new Batcher<PredictionEvent, EventOutcome>({
      run: async (events): Promise<ItemOutcome<EventOutcome>[]> =>
        (await options.eventgate.publish(events)).map((value) => ({ ok: true as const, value })),
      maxBatchItems: options.maxEventsPerPost ?? 100,
      maxWaitMs: options.postWaitMs ?? 10,
      concurrency: options.concurrency ?? 4,
    });
  }

  /** Builds the prediction event of a scored page_change event, POSTs it, and says what became of it. */
  async publish(pageChange: Record<string, unknown>, score: PublishedScore): Promise<PublishOutcome> {
    const built = buildPredictionEvent(
      pageChange,
      {
        model_name: this.o.manifest.model_name,
        model_version: this.o.manifest.model_version,
        prediction: score.prediction,
        probability: score.probabilities.true,
      },
      this.o.build,
    );
    if (!built.ok) return { status: "skipped", reason: built.reason, message: built.message };
    const event = built.event;
    let outcome: EventOutcome;
    try {
      outcome = await this.posts.submit(event);
    } catch (err) {
      // Only an unexpected throw gets here (publish maps EventGate's answers): transient.
      return { status: "retry", reason: `EventGate POST failed: ${String(err)}`, event };
    }
    if (outcome.status === "accepted") {
      this.o.onPublished?.(event, score);
      return { status: "published", event };
    }
    return { ...outcome, event };
  }

  /** Waits for the POSTs in flight. */
  close(): Promise<void> {
    return this.posts.close();
  }
}

/**
 * Start-up check: refuses (throws, with EventGate's message) when EventGate does not know the
 * configured prediction schema version or stream, instead of dead-lettering every event later.
 * An unreachable EventGate is only reported (`onUnreachable`): the events will be retried.
 */
export async function checkEventGate(
  eventgate: Pick<EventGateClient, "probe">,
  build: Pick<BuildOptions, "stream" | "schemaVersion"> = {},
  onUnreachable?: (reason: string) => void,
): Promise<void> {
  const schema = predictionSchemaUri(build.schemaVersion);
  const stream = build.stream ?? DEFAULT_PREDICTION_STREAM;
  const r = await eventgate.probe(schema, stream);
  if (r.status === "rejected")
    throw new Error(
      `EventGate refuses prediction events of schema ${schema} on stream ${stream}: ${r.reason} (check --schema-version and --eventgate-stream)`,
    );
  if (r.status === "unreachable") onUnreachable?.(r.reason);
}
