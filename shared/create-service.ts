/**
 * Wires the scoring service from its parts: a loaded model (scorer + health), the MediaWiki client
 * and the featurizer. Runtime-agnostic; the adapters load the model and build the client.
 */
import type { Manifest } from "./bundle.ts";
import { featurize } from "./featurizer.ts";
import type { MediaWikiClient } from "./mediawiki.ts";
import type { Scorer } from "./scorer.ts";
import { BatchingScoringService, type FetchResult } from "./service-impl.ts";
import type { HealthInfo, ScoreError } from "./service.ts";
import { resolveWiki } from "./wikis.ts";

export interface ServiceParts {
  manifest: Manifest;
  scorer: Pick<Scorer, "score">;
  health: () => HealthInfo;
  mediawiki: Pick<MediaWikiClient, "getRevisions">;
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
      const wiki = resolveWiki(lang, { supportedWikis: manifest.supported_wikis });
      const got = await parts.mediawiki.getRevisions(wiki, revIds, { signal });
      const out: FetchResult = new Map();
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
    featurize: (rev) => featurize(rev, manifest.features),
    isSupported: (lang) => supported.has(lang),
    health: parts.health,
    maxBatchTokens: parts.maxBatchTokens,
    maxWaitMs: parts.maxWaitMs,
    fetchWaitMs: parts.fetchWaitMs,
    onBatch: parts.onBatch,
  });
}
