/**
 * The feature side file (Node): one JSON line `{meta_id, wiki_id, rev_id, model_version, features}`
 * per published prediction, appended through one write stream (no synchronous file I/O on the
 * scoring path), for `revrisk sql --export --with-features`. Used as the publisher's `onPublished`
 * by the queue scorer (`<data-dir>/features/<pid>.jsonl`) and the dump backfill.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { PredictionEvent } from "../../shared/events/prediction-event.ts";
import type { PublishedScore } from "../../shared/pipeline/publisher.ts";

export interface FeatureWriter {
  write(event: PredictionEvent, score: PublishedScore): void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export function featureWriter(path: string): FeatureWriter {
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(path, { flags: "a" });
  out.on("error", (err) => console.error(`features file ${path}: ${err.message}`));
  return {
    write(event, score) {
      const line = {
        meta_id: event.meta.id,
        wiki_id: event.wiki_id,
        rev_id: event.revision.rev_id,
        model_version: event.predicted_classification.model_version,
        features: score.features,
      };
      out.write(JSON.stringify(line) + "\n");
    },
    close: () => new Promise<void>((resolve) => out.end(resolve)),
  };
}
