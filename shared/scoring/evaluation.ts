/**
 * Evaluation of the model on a labelled set (`revrisk evaluate`): scores every example through the
 * normal scoring service — by revision id (fetched from MediaWiki) or from pre-save revision data —
 * and computes the statistics the bundle carries, overall and per wiki (shared/model/statistics.ts).
 */
import type { ModelStatistics } from "../model/bundle.ts";
import { computeStatistics, type ClassifierStatistics } from "../model/statistics.ts";
import type { RevisionData } from "../mediawiki/revision-data.ts";
import type { RevisionOutcome, ScoreErrorCode, ScoringService } from "./service.ts";

/** One labelled example: a revision to score and whether it was in fact reverted. */
export type LabelledExample = { line: number; label: boolean } & (
  | { lang: string; revId: number; revision?: undefined }
  | { revision: RevisionData; lang?: undefined; revId?: undefined }
);

export interface EvaluationOptions {
  description: string;
  populationRate?: number;
  /** Wikis with fewer scored examples get no per-wiki statistics. Default 50. */
  minWikiExamples?: number;
  /** Examples scored per service call (progress is reported after each). Default 200. */
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
  /** Clock for `computed`. */
  now?: () => Date;
}

export interface EvaluationResult {
  statistics: ModelStatistics;
  /** Examples that could not be scored, with the scoring error code. */
  unscored: Array<{ line: number; code: ScoreErrorCode }>;
}

export async function evaluateLabelled(
  service: ScoringService,
  examples: readonly LabelledExample[],
  o: EvaluationOptions,
): Promise<EvaluationResult> {
  const threshold = service.manifest.threshold;
  const chunk = o.chunk ?? 200;
  const scored: Array<{ lang: string; score: number; label: boolean }> = [];
  const unscored: EvaluationResult["unscored"] = [];
  for (let i = 0; i < examples.length; i += chunk) {
    const part = examples.slice(i, i + chunk);
    const byId = part.filter((e) => e.revision === undefined);
    const byData = part.filter((e) => e.revision !== undefined);
    const [a, b] = await Promise.all([
      service.scoreRevisions(byId.map((e) => ({ lang: e.lang!, revId: e.revId! }))),
      service.scoreRevisionData(byData.map((e) => e.revision!)),
    ]);
    const take = (e: LabelledExample, out: RevisionOutcome) => {
      if (out.ok)
        scored.push({ lang: out.revision.lang, score: out.result.probabilities.true, label: e.label });
      else unscored.push({ line: e.line, code: out.error.code });
    };
    byId.forEach((e, k) => take(e, a[k]));
    byData.forEach((e, k) => take(e, b[k]));
    o.onProgress?.(Math.min(i + chunk, examples.length), examples.length);
  }
  if (!scored.length) throw new Error(`none of the ${examples.length} examples could be scored`);
  const stats = (rows: typeof scored): ClassifierStatistics =>
    computeStatistics(
      rows.map((r) => r.score),
      rows.map((r) => r.label),
      { threshold, populationRate: o.populationRate },
    );
  const byWiki = new Map<string, typeof scored>();
  for (const r of scored) {
    const rows = byWiki.get(r.lang);
    if (rows) rows.push(r);
    else byWiki.set(r.lang, [r]);
  }
  const perWiki: Record<string, ClassifierStatistics> = {};
  for (const [lang, rows] of [...byWiki].sort(([x], [y]) => x.localeCompare(y)))
    if (rows.length >= (o.minWikiExamples ?? 50)) perWiki[lang] = stats(rows);
  return {
    statistics: {
      dataset: {
        description: o.description,
        n: scored.length,
        unscored: unscored.length,
        computed: (o.now?.() ?? new Date()).toISOString(),
      },
      overall: stats(scored),
      per_wiki: perWiki,
    },
    unscored,
  };
}
