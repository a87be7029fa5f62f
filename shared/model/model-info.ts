/**
 * The model's description for clients: ORES' `model_info` document (`type`, `version`, `params`,
 * `environment`, `statistics`) and the LiftWing-side statistics answer, both from the bundle
 * manifest. Statistics are the wiki's own where the labelled set had enough of its edits, else the
 * overall ones (the answer says which). Pure; the API routes call it (docs/api.md, "Model statistics").
 */
import type { Manifest } from "./bundle.ts";
import type { ClassifierStatistics } from "./statistics.ts";
import {
  formatOptimization,
  optimize,
  parseOptimization,
  ModelInfoError,
  type Label,
  type ThresholdRow,
} from "./statistics.ts";

/** The statistics that apply to a wiki (by language code), and whose they are. */
export function statisticsFor(
  manifest: Manifest,
  lang?: string,
): { scope: string; statistics: ClassifierStatistics } | undefined {
  const s = manifest.statistics;
  if (!s) return undefined;
  if (lang && s.per_wiki[lang]) return { scope: lang, statistics: s.per_wiki[lang] };
  return { scope: "overall", statistics: s.overall };
}

/** ORES' model_info document for one wiki (undefined: all wikis). */
export function modelInfoDocument(
  manifest: Manifest,
  lang?: string,
  environment: Record<string, unknown> = {},
): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    type: "RevertRiskMultilingual",
    version: manifest.model_version,
    params: {
      threshold: manifest.threshold,
      encoders: Object.fromEntries(
        Object.entries(manifest.encoders).map(([k, e]) => [k, { input: e.input, max_length: e.max_length }]),
      ),
      classifier: manifest.classifier.format,
      features: manifest.features.length,
      supported_wikis: manifest.supported_wikis,
    },
    environment,
  };
  const st = statisticsFor(manifest, lang);
  if (st) doc.statistics = st.statistics;
  return doc;
}

/** The threshold that a query selects on a wiki's statistics (LiftWing side, `?optimize=`). */
export function optimalThreshold(
  manifest: Manifest,
  query: string,
  lang?: string,
  label: Label = "true",
): { scope: string; optimization: string; row: ThresholdRow | null } {
  const opt = parseOptimization(query);
  if (!opt)
    throw new ModelInfoError(
      `${JSON.stringify(query)} does not match "(maximum|minimum) <stat> @ <stat> (>=|<=) <number>"`,
    );
  const st = statisticsFor(manifest, lang);
  if (!st) throw new ModelInfoError(`model ${manifest.model_version} carries no evaluation statistics`);
  try {
    return {
      scope: st.scope,
      optimization: formatOptimization(opt),
      row: optimize(st.statistics.thresholds[label], opt),
    };
  } catch (e) {
    throw new ModelInfoError((e as Error).message);
  }
}
