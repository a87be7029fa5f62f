/**
 * The scoring service: the runtime-agnostic core behind the on-demand API, the queue scorer, the
 * dump backfill and `revrisk evaluate`. Given revisions to score (by id, or with their data) it
 * fetches their MediaWiki data, featurizes them and scores them with the revert-risk model, through
 * two cross-request batchers (shared/scoring/batcher.ts) that feed each other:
 *  1. MediaWiki fetches: requests for the same wiki arriving within a short window share batched
 *     Action API calls (the fetch, not the model, dominates latency);
 *  2. scoring: featurized revisions from all callers share encoder batches bounded by a token budget.
 * A revision that fails (missing data, deleted, model error) fails alone.
 */
import { AbortedError, Batcher, type ItemOutcome } from "./batcher.ts";
import type { Manifest } from "../model/bundle.ts";
import type { RevisionData } from "../mediawiki/revision-data.ts";
import type { MediaWikiClient } from "../mediawiki/client.ts";
import type { FeaturizedRevision } from "../model/model-input.ts";
import type { RevertRiskModel, RevisionScore } from "../model/revertrisk-model.ts";
import { featurize } from "../featurize/featurizer.ts";
import { tryResolveWiki } from "../wikis/wikis.ts";
import { DATA_ERROR_CODES, TRANSPORT_ERROR_CODES } from "../mediawiki/errors.ts";

/**
 * Why a revision could not be scored: the one list of revision error codes. The MediaWiki ones
 * (shared/mediawiki/errors.ts), then `unavailable` (the caller's deadline passed before the revision
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
      result: RevisionScore;
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

/** What the service is built from: the loaded model, the MediaWiki client, and batching settings. */
export interface ServiceParts {
  manifest: Manifest;
  /** Scores a batch of featurized revisions (all texts of the batch share encoder runs). */
  model: Pick<RevertRiskModel, "score">;
  health: () => HealthInfo;
  mediawiki: Pick<MediaWikiClient, "getRevisions">;
  /** Featurizer to use instead of the in-thread one (e.g. a worker-thread pool); a throw is a model_error. */
  featurize?: (revision: RevisionData) => FeaturizedRevision | Promise<FeaturizedRevision>;
  ready?: () => boolean;
  /** Token budget per encoder batch (sum over the items' estimated tokens). Default 16384. */
  maxBatchTokens?: number;
  maxBatchItems?: number;
  /** How long a batch waits for companions. Default 5 ms. */
  maxWaitMs?: number;
  /** How long MediaWiki fetches wait for companions of the same wiki. Default 5 ms. */
  fetchWaitMs?: number;
  /** Max revisions per MediaWiki batch. Default 50. */
  fetchBatchSize?: number;
  onBatch?: (info: { items: number; cost: number; ms: number; failed: boolean }) => void;
}

/** Rough token count of an item's encoder inputs (≈ 4 characters per WordPiece token, capped at 512 each). */
export function estimateTokens(item: FeaturizedRevision): number {
  const t = (s: string) => Math.min(512, 2 + Math.ceil(s.length / 4));
  let n = item.title ? t(item.title) : 0;
  for (const s of item.inserts) n += t(s);
  for (const s of item.removes) n += t(s);
  for (const [a, b] of item.changes) n += Math.min(512, t(a) + t(b));
  return n;
}

function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function unavailable(): ScoreError {
  return {
    code: "unavailable",
    message: "the deadline passed before the revision was scored",
    retryable: true,
  };
}

/** A revision that failed at a stage: `unavailable` when its caller gave up, else `code`. */
function failure(
  lang: string,
  revId: number,
  err: unknown,
  code: ScoreErrorCode,
  retryable: boolean,
  prefix = "",
): RevisionOutcome {
  if (err instanceof AbortedError) return { ok: false, lang, revId, error: unavailable() };
  return { ok: false, lang, revId, error: { code, message: prefix + errorOf(err).message, retryable } };
}

interface FetchKey {
  lang: string;
  revId: number;
}

export class BatchingScoringService implements ScoringService {
  readonly manifest: Manifest;
  private readonly parts: ServiceParts;
  private readonly supported: Set<string>;
  private readonly scoring: Batcher<FeaturizedRevision, RevisionScore>;
  private readonly fetchers = new Map<string, Batcher<FetchKey, RevisionData | ScoreError>>();

  constructor(parts: ServiceParts) {
    this.parts = parts;
    this.manifest = parts.manifest;
    this.supported = new Set(parts.manifest.supported_wikis);
    this.scoring = new Batcher<FeaturizedRevision, RevisionScore>({
      run: (items) => this.runScoring(items),
      cost: estimateTokens,
      maxBatchCost: this.parts.maxBatchTokens ?? 16384,
      maxBatchItems: this.parts.maxBatchItems ?? 256,
      maxWaitMs: this.parts.maxWaitMs ?? 5,
      onBatch: this.parts.onBatch,
    });
  }

  /** Batches run by the scoring batcher so far. */
  get scoringBatches(): number {
    return this.scoring.batches;
  }

  ready(): boolean {
    return this.parts.ready ? this.parts.ready() : true;
  }

  health(): HealthInfo {
    return this.parts.health();
  }

  private fetcher(lang: string): Batcher<FetchKey, RevisionData | ScoreError> {
    let f = this.fetchers.get(lang);
    if (!f) {
      f = new Batcher<FetchKey, RevisionData | ScoreError>({
        run: async (keys) => {
          const ids = [...new Set(keys.map((k) => k.revId))];
          const got = await this.fetchRevisions(lang, ids);
          return keys.map((k) => {
            const v = got.get(k.revId);
            return v === undefined
              ? { ok: false as const, error: new Error(`MediaWiki client returned nothing for ${k.revId}`) }
              : { ok: true as const, value: v };
          });
        },
        maxBatchItems: this.parts.fetchBatchSize ?? 50,
        maxWaitMs: this.parts.fetchWaitMs ?? 5,
        // Two batches in flight per wiki: while they run, newcomers accumulate into the next one.
        concurrency: 2,
      });
      this.fetchers.set(lang, f);
    }
    return f;
  }

  /** Fetches many revisions of one wiki at once; one entry per requested id. */
  private async fetchRevisions(
    lang: string,
    revIds: number[],
  ): Promise<Map<number, RevisionData | ScoreError>> {
    const out = new Map<number, RevisionData | ScoreError>();
    const resolved = tryResolveWiki(lang, { supportedWikis: this.manifest.supported_wikis });
    if (!resolved.ok) {
      // Not a canonical Wikipedia: no MediaWiki call, and a retry will not help.
      for (const id of revIds)
        out.set(id, { code: "mediawiki_error", message: resolved.error.message, retryable: false });
      return out;
    }
    const got = await this.parts.mediawiki.getRevisions(resolved.wiki, revIds);
    for (const id of revIds) {
      const r = got.get(id);
      if (!r)
        out.set(id, { code: "mediawiki_error", message: `no result for revision ${id}`, retryable: true });
      else if (r.ok) out.set(id, r.data);
      else out.set(id, { code: r.error.code, message: r.error.message, retryable: r.error.retryable });
    }
    return out;
  }

  private async runScoring(items: FeaturizedRevision[]): Promise<ItemOutcome<RevisionScore>[]> {
    try {
      const scored = await this.parts.model.score(items);
      return scored.map((value) => ({ ok: true as const, value }));
    } catch (err) {
      if (items.length === 1) return [{ ok: false, error: errorOf(err) }];
      // Isolate the failing item(s): score one by one so neighbours still get their results.
      const out: ItemOutcome<RevisionScore>[] = [];
      for (const item of items) {
        try {
          out.push({ ok: true, value: (await this.parts.model.score([item]))[0]! });
        } catch (e) {
          out.push({ ok: false, error: errorOf(e) });
        }
      }
      return out;
    }
  }

  async scoreRevisions(
    requests: ReadonlyArray<{ lang: string; revId: number }>,
    options: ScoreOptions = {},
  ): Promise<RevisionOutcome[]> {
    return Promise.all(
      requests.map(async ({ lang, revId }): Promise<RevisionOutcome> => {
        let data: RevisionData | ScoreError;
        try {
          data = await this.withDeadline(this.fetcher(lang).submit({ lang, revId }, options.signal), options);
        } catch (err) {
          return failure(lang, revId, err, "mediawiki_unavailable", true);
        }
        if ("code" in data) return { ok: false, lang, revId, error: data };
        return this.scoreOne(data, options);
      }),
    );
  }

  async scoreRevisionData(
    revisions: ReadonlyArray<RevisionData>,
    options: ScoreOptions = {},
  ): Promise<RevisionOutcome[]> {
    return Promise.all(revisions.map((r) => this.scoreOne(r, options)));
  }

  private async scoreOne(revision: RevisionData, options: ScoreOptions): Promise<RevisionOutcome> {
    const { lang, revId } = revision;
    let item: FeaturizedRevision;
    try {
      item = await (this.parts.featurize ?? ((r) => featurize(r, this.manifest.features)))(revision);
    } catch (err) {
      return failure(lang, revId, err, "model_error", false, "featurizer: ");
    }
    try {
      const result = await this.withDeadline(this.scoring.submit(item, options.signal), options);
      return { ok: true, revision, result, supported: this.supported.has(lang) };
    } catch (err) {
      return failure(lang, revId, err, "model_error", true);
    }
  }

  /**
   * Resolves with the promise, or rejects with AbortedError as soon as the caller's signal fires.
   * `p` is observed on every path (also when the signal has already fired): the batcher rejects a
   * submission whose caller gave up, and nobody else would be listening to that rejection.
   */
  private withDeadline<T>(p: Promise<T>, options: ScoreOptions): Promise<T> {
    const signal = options.signal;
    if (!signal) return p;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new AbortedError());
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  }

  async close(): Promise<void> {
    await this.scoring.close();
    await Promise.all([...this.fetchers.values()].map((f) => f.close()));
  }
}
