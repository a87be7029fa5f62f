/**
 * How the dump source of `revrisk backfill` emits what it scored: each revision's synthesized
 * page_change event and score go through the one publisher (shared/pipeline/publisher.ts, outcomes
 * in docs/events.md) to the sink (EventGate); the outcomes are counted (`done` = accepted), and with
 * `featuresFile` the classifier features of the accepted events are appended as JSON lines keyed by
 * the event's `meta.id` (functions/node/feature-writer.ts; joined by `revrisk sql --export --with-features`).
 */
import type { RevisionScore } from "../../shared/model/revertrisk-model.ts";
import type { EventGateClient } from "../../shared/pipeline/eventgate-client.ts";
import { Publisher } from "../../shared/pipeline/publisher.ts";
import { featureWriter, type FeatureWriter } from "../node/feature-writer.ts";
import { bump, type Counters } from "./checkpoint.ts";
import type { BackfillOptions } from "./run.ts";

/** Where the dump path sends prediction events: an EventGateClient (one outcome per event). */
export type PredictionSink = Pick<EventGateClient, "publish">;

export interface ScoredRevision {
  pageChange: Record<string, unknown>;
  score: RevisionScore;
}

export class DumpEmitter {
  private readonly o: Pick<
    BackfillOptions,
    "service" | "sink" | "predictionOptions" | "featuresFile" | "now"
  >;
  private publisher: Publisher | undefined;
  private features: FeatureWriter | undefined;

  constructor(o: DumpEmitter["o"]) {
    this.o = o;
  }

  /**
   * Publishes and counts the prediction events of one unit. A transient EventGate failure throws
   * once the unit's events are settled: the unit fails, the checkpoint stays before it.
   */
  async emit(counters: Counters, scored: readonly ScoredRevision[]): Promise<void> {
    // Opened on the first unit: a dry run never opens the feature file.
    if (!this.publisher) {
      this.features = this.o.featuresFile ? featureWriter(this.o.featuresFile) : undefined;
      this.publisher = new Publisher({
        eventgate: this.o.sink!,
        manifest: this.o.service!.manifest,
        build: { now: this.o.now, ...this.o.predictionOptions },
        onPublished: this.features?.write,
      });
    }
    const publisher = this.publisher;
    const outcomes = await Promise.all(scored.map((s) => publisher.publish(s.pageChange, s.score)));
    let retry: string | undefined;
    for (const p of outcomes) {
      if (p.status === "published") counters.done++;
      else if (p.status === "skipped") bump(counters.failed, p.reason);
      else if (p.status === "rejected") bump(counters.failed, "eventgate_rejected");
      else retry ??= p.reason;
    }
    if (retry) throw new Error(`EventGate: ${retry}`);
  }

  /** Waits for the POSTs in flight and closes the feature file. */
  async close(): Promise<void> {
    await this.publisher?.close();
    await this.features?.close();
  }
}
