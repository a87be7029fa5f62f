/**
 * What the pipeline published, as the prediction feed and the dashboard read it: a source of stored
 * prediction events with gap-free positions. standins/results-db/results-db.ts implements it over
 * the results table; functions/api/feed.ts serves it.
 */

/** Which predictions a feed or a listing asks for. */
export interface PredictionQuery {
  /** wiki ids (e.g. "enwiki"); empty or absent: all. */
  wikis?: readonly string[];
  /** Only events with probability_true at least this. */
  minProbability?: number;
  /** Only events published (meta.dt) at or after this time. */
  since?: Date;
}

/** One published prediction event and its position in the feed (1, 2, 3…, gap-free, durable). */
export interface StoredPrediction {
  seq: number;
  event: Record<string, unknown>;
}

/** Where the feed reads published predictions. */
export interface PredictionSource {
  /** The highest position stored (0: none). */
  readonly lastSeq: number;
  after(seq: number, q: PredictionQuery, limit: number): Promise<StoredPrediction[]>;
  recent(q: PredictionQuery, limit: number): Promise<StoredPrediction[]>;
  /** Calls the listener after new rows were stored; returns the unsubscribe. */
  onInsert(listener: (head: number) => void): () => void;
}
