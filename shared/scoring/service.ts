/**
 * The scoring service: the runtime-agnostic core behind the on-demand API and the event scorer.
 * Given revisions to score it fetches their MediaWiki data in batches, featurizes them, and submits
 * them to the shared cross-request batcher, which runs the encoders and the classifier.
 */
import type { Manifest } from "../model/bundle.ts";
import type { RevisionData } from "../mediawiki/revision-data.ts";
import type { ScoredItem } from "../model/revertrisk-model.ts";
import { DATA_ERROR_CODES, TRANSPORT_ERROR_CODES } from "../mediawiki/client.ts";

/**
 * Why a revision could not be scored: the one list of revision error codes. The MediaWiki ones
 * (shared/mediawiki/client.ts), then `unavailable` (the caller's deadline passed before the revision
 * was scored) and `model_error` (an encoder or classifier error). What each answers over HTTP is
 * functions/api/errors.ts.
 */
export const SCORE_ERROR_CODES = [
  ...DATA_ERROR_CODES,
  ...TRANSPORT_ERROR_CODES,
  "unavailable",
  "model_error",
] as const;
export type ScoreErrorCode = (typeof SCORE_ERROR_CODES)[number];

export interface ScoreError {
  code: ScoreErrorCode;
  message: string;
  /** Data problems (deleted, suppressed, missing) are final: clients must not retry them. */
  retryable: boolean;
}

export type RevisionOutcome =
  | {
      ok: true;
      revision: RevisionData;
      result: ScoredItem;
      /** false when the wiki is canonical but not one the model was trained on. */
      supported: boolean;
    }
  | { ok: false; lang: string; revId: number; error: ScoreError };

export interface HealthInfo {
  /** Execution provider actually in use by the encoders. */
  provider: "cuda" | "cpu" | "wasm";
  /** Provider asked for in the configuration. */
  requestedProvider: string;
  /** Set when a requested provider could not be used and the service fell back. */
  fallback?: string;
  warmedUp: boolean;
}

export interface ScoreOptions {
  /** Abort (deadline passed, client gone): items not yet scored get `unavailable`. */
  signal?: AbortSignal;
}

export interface ScoringService {
  readonly manifest: Manifest;
  /** True once the model is loaded and warmed up. */
  ready(): boolean;
  health(): HealthInfo;
  /** Fetches, featurizes and scores revisions of any mix of wikis; one outcome per request, in order. */
  scoreRevisions(
    requests: ReadonlyArray<{ lang: string; revId: number }>,
    options?: ScoreOptions,
  ): Promise<RevisionOutcome[]>;
  /** Featurizes and scores revisions whose data the caller already has (pre-save input, XML dumps). */
  scoreRevisionData(
    revisions: ReadonlyArray<RevisionData>,
    options?: ScoreOptions,
  ): Promise<RevisionOutcome[]>;
  close(): Promise<void>;
}
