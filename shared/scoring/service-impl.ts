/**
 * The ScoringService implementation. Two cross-request batchers feed each other:
 *  1. MediaWiki fetches: requests for the same wiki arriving within a short window share batched
 *     Action API calls (the fetch, not the model, dominates latency);
 *  2. scoring: featurized revisions from all callers share encoder batches bounded by a token budget.
 * A revision that fails (missing data, deleted, model error) fails alone.
 */
import { AbortedError, Batcher, type ItemOutcome } from "./batcher.ts";
import type { Manifest } from "../model/bundle.ts";
import type { RevisionData } from "../mediawiki/revision-data.ts";
import type { ScoreItem } from "../model/model-input.ts";
import type { ScoredItem } from "../model/revertrisk-model.ts";
import type { HealthInfo, RevisionOutcome, ScoreError, ScoreOptions, ScoringService } from "./service.ts";

export type FetchResult = Map<number, RevisionData | ScoreError>;

export interface ServiceDeps {
  manifest: Manifest;
  /** Scores a batch of featurized items (all texts of the batch share encoder runs). */
  scoreBatch: (items: ScoreItem[]) => Promise<ScoredItem[]>;
  /** Fetches many revisions of one wiki at once; one entry per requested id. */
  fetchRevisions: (lang: string, revIds: number[], signal?: AbortSignal) => Promise<FetchResult>;
  /** Featurizes one revision (never throws on data; a thrown error is reported as model_error). */
  featurize: (revision: RevisionData) => ScoreItem | Promise<ScoreItem>;
  /** Whether a language is one the model was trained on. */
  isSupported: (lang: string) => boolean;
  health: () => HealthInfo;
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
export function estimateTokens(item: ScoreItem): number {
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

interface FetchKey {
  lang: string;
  revId: number;
}

export class BatchingScoringService implements ScoringService {
  readonly manifest: Manifest;
  private readonly deps: ServiceDeps;
  private readonly scoring: Batcher<ScoreItem, ScoredItem>;
  private readonly fetchers = new Map<string, Batcher<FetchKey, RevisionData | ScoreError>>();

  constructor(deps: ServiceDeps) {
    this.deps = deps;
    this.manifest = deps.manifest;
    this.scoring = new Batcher<ScoreItem, ScoredItem>({
      run: (items) => this.runScoring(items),
      cost: estimateTokens,
      maxBatchCost: deps.maxBatchTokens ?? 16384,
      maxBatchItems: deps.maxBatchItems ?? 256,
      maxWaitMs: deps.maxWaitMs ?? 5,
      onBatch: deps.onBatch,
    });
  }

  /** Batches run by the scoring batcher so far. */
  get scoringBatches(): number {
    return this.scoring.batches;
  }

  ready(): boolean {
    return this.deps.ready ? this.deps.ready() : true;
  }

  health(): HealthInfo {
    return this.deps.health();
  }

  private fetcher(lang: string): Batcher<FetchKey, RevisionData | ScoreError> {
    let f = this.fetchers.get(lang);
    if (!f) {
      f = new Batcher<FetchKey, RevisionData | ScoreError>({
        run: async (keys) => {
          const ids = [...new Set(keys.map((k) => k.revId))];
          const got = await this.deps.fetchRevisions(lang, ids);
          return keys.map((k) => {
            const v = got.get(k.revId);
            return v === undefined
              ? { ok: false as const, error: new Error(`MediaWiki client returned nothing for ${k.revId}`) }
              : { ok: true as const, value: v };
          });
        },
        maxBatchItems: this.deps.fetchBatchSize ?? 50,
        maxWaitMs: this.deps.fetchWaitMs ?? 5,
        // Two batches in flight per wiki: while they run, newcomers accumulate into the next one.
        concurrency: 2,
      });
      this.fetchers.set(lang, f);
    }
    return f;
  }

  private async runScoring(items: ScoreItem[]): Promise<ItemOutcome<ScoredItem>[]> {
    try {
      const scored = await this.deps.scoreBatch(items);
      return scored.map((value) => ({ ok: true as const, value }));
    } catch (err) {
      if (items.length === 1) return [{ ok: false, error: errorOf(err) }];
      // Isolate the failing item(s): score one by one so neighbours still get their results.
      const out: ItemOutcome<ScoredItem>[] = [];
      for (const item of items) {
        try {
          out.push({ ok: true, value: (await this.deps.scoreBatch([item]))[0]! });
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
          if (err instanceof AbortedError) return { ok: false, lang, revId, error: unavailable() };
          return {
            ok: false,
            lang,
            revId,
            error: { code: "mediawiki_unavailable", message: errorOf(err).message, retryable: true },
          };
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
    let item: ScoreItem;
    try {
      item = await this.deps.featurize(revision);
    } catch (err) {
      return {
        ok: false,
        lang,
        revId,
        error: { code: "model_error", message: `featurizer: ${errorOf(err).message}`, retryable: false },
      };
    }
    try {
      const result = await this.withDeadline(this.scoring.submit(item, options.signal), options);
      return { ok: true, revision, result, supported: this.deps.isSupported(lang) };
    } catch (err) {
      if (err instanceof AbortedError) return { ok: false, lang, revId, error: unavailable() };
      return {
        ok: false,
        lang,
        revId,
        error: { code: "model_error", message: errorOf(err).message, retryable: true },
      };
    }
  }

  /** Resolves with the promise, or rejects with AbortedError as soon as the caller's signal fires. */
  private withDeadline<T>(p: Promise<T>, options: ScoreOptions): Promise<T> {
    const signal = options.signal;
    if (!signal) return p;
    if (signal.aborted) return Promise.reject(new AbortedError());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new AbortedError());
      signal.addEventListener("abort", onAbort, { once: true });
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
