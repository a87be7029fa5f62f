/**
 * How the dump source of `revrisk backfill` emits what it scored: a prediction event per revision
 * (from its synthesized page_change event and the score) POSTed to the sink (EventGate), the sink's
 * per-event answers counted, and, with `featuresFile`, the classifier features appended as JSON
 * lines keyed by the event's `meta.id` (joined by `revrisk sql --export --with-features`).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { buildPredictionEvent } from "../../shared/events/prediction-event.ts";
import type { RevisionScore } from "../../shared/model/revertrisk-model.ts";
import { bump, type Counters } from "./checkpoint.ts";
import type { BackfillOptions } from "./run.ts";

/** Where the dump path sends prediction events (an EventGateClient fits). */
export interface PredictionSink {
  post(events: readonly object[]): Promise<{
    accepted: number;
    failed: ReadonlyArray<{ index: number; status: string; reason: string }>;
  }>;
}

export interface ScoredRevision {
  pageChange: Record<string, unknown>;
  score: RevisionScore;
}

/** Builds, sends and counts (`done` = accepted by the sink) the prediction events of one unit. */
export async function emitPredictions(
  o: Pick<BackfillOptions, "service" | "sink" | "predictionOptions" | "featuresFile" | "now">,
  counters: Counters,
  scored: readonly ScoredRevision[],
): Promise<void> {
  const manifest = o.service!.manifest;
  const now = o.now?.() ?? new Date();
  const events: Record<string, unknown>[] = [];
  const featureLines: string[] = [];
  for (const { pageChange, score } of scored) {
    const built = buildPredictionEvent(
      pageChange,
      {
        model_name: manifest.model_name,
        model_version: manifest.model_version,
        prediction: score.prediction,
        probability: score.probabilities.true,
      },
      { now: () => now, ...o.predictionOptions },
    );
    if (!built.ok) {
      bump(counters.failed, built.reason);
      continue;
    }
    events.push(built.event);
    if (o.featuresFile)
      featureLines.push(
        JSON.stringify({
          meta_id: built.event.meta.id,
          wiki_id: pageChange.wiki_id,
          rev_id: (pageChange.revision as { rev_id: number }).rev_id,
          model_version: manifest.model_version,
          features: score.features,
        }),
      );
  }
  if (events.length) {
    const res = await o.sink!.post(events);
    for (const f of res.failed) bump(counters.failed, `sink_${f.status}`);
    counters.done += res.accepted;
  }
  if (featureLines.length) {
    mkdirSync(dirname(o.featuresFile!), { recursive: true });
    appendFileSync(o.featuresFile!, featureLines.join("\n") + "\n");
  }
}
