/**
 * Wires the scoring service from its parts: a loaded model (scorer + health), the MediaWiki client
 * and the featurizer. Runtime-agnostic; the adapters load the model and build the client.
 */
import type { Manifest } from "../model/bundle.ts";
import type { RevisionData } from "../mediawiki/revision-data.ts";
import type { ScoreItem } from "../model/model-input.ts";
import { featurize } from "../featurize/featurizer.ts";
import type { MediaWikiClient } from "../mediawiki/client.ts";
import type { Scorer } from "../model/revertrisk-model.ts";
import { BatchingScoringService, type FetchResult } from "./service-impl.ts";
import type { HealthInfo, ScoreError } from "./service.ts";
import { tryResolveWiki } from "../wikis/wikis.ts";

export interface ServiceParts {
  manifest: Manifest;
  scorer: Pick<Scorer, "score">;
  health: () => HealthInfo;
  mediawiki: Pick<MediaWikiClient, "getRevisions">;
  /** Featurizer to use instead of the in-thread one (e.g. a worker-thread pool). */
  featurize?: (revision: RevisionData) => ScoreItem | Promise<ScoreItem>;
  maxBatchTokens?: number;
  maxWaitMs?: number;
  fetchWaitMs?: number;
  onBatch?: (info: { items: number; cost: number; ms: number; failed: boolean }) => void;
}

export function createScoringService(parts: ServiceParts): BatchingScoringService {
  const { manifest } = parts;
  const supported = new Set(manifest.supported_wikis);
  return new BatchingScoringService({
    manifest,
    scoreBatch: (items) => parts.scorer.score(items),
    fetchRevisions: async (lang, revIds, signal): Promise<FetchResult> => {
      const out: FetchResult = new Map();
      const resolved = tryResolveWiki(lang, { supportedWikis: manifest.supported_wikis });
      if (!resolved.ok) {
        // Not a canonical Wikipedia: no MediaWiki call, and a retry will not help.
        for (const id of revIds)
          out.set(id, { code: "mediawiki_error", message: resolved.error.message, retryable: false });
        return out;
      }
      const got = await parts.mediawiki.getRevisions(resolved.wiki, revIds, { signal });
      for (const id of revIds) {
        const r = got.get(id);
        if (!r) {
          out.set(id, { code: "mediawiki_error", message: `no result for revision ${id}`, retryable: true });
        } else if (r.ok) {
          out.set(id, r.data);
        } else {
          const e: ScoreError = {
            code: r.error.code,
            message: r.error.message,
            retryable: r.error.retryable,
          };
          out.set(id, e);
        }
      }
      return out;
    },
    featurize: parts.featurize ?? ((rev) => featurize(rev, manifest.features)),
    isSupported: (lang) => supported.has(lang),
    health: parts.health,
    maxBatchTokens: parts.maxBatchTokens,
    maxWaitMs: parts.maxWaitMs,
    fetchWaitMs: parts.fetchWaitMs,
    onBatch: parts.onBatch,
  });
}
