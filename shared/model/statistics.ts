/**
 * Evaluation statistics of the binary revert-risk classifier, in the shape ORES (revscoring's
 * `model_info.statistics`) answered and Wikimedia's model cards print ("Test data performance"):
 * counts, rates, the statistics at the model's threshold, ROC-AUC and PR-AUC, and a threshold table
 * for each label. Also the two query languages clients use on them: revscoring's threshold
 * optimizations (`maximum recall @ precision >= 0.9`) and ORES' `model_info` paths
 * (`statistics.thresholds.true."maximum recall @ precision >= 0.9"`, `|`-separated). Pure functions
 * over plain data, so the bundle can carry the result and any runtime can answer from it
 * (docs/api.md, "Model statistics").
 */

/** The per-threshold statistics, in revscoring's order. "!x" is x for the other class. */
export const THRESHOLD_FIELDS = [
  "match_rate",
  "filter_rate",
  "precision",
  "!precision",
  "recall",
  "!recall",
  "accuracy",
  "fpr",
  "f1",
  "!f1",
] as const;
export type ThresholdField = (typeof THRESHOLD_FIELDS)[number];

/** One row of a threshold table: flag an edit for this label when its score is ≥ `threshold`. */
export type ThresholdRow = { threshold: number } & { [K in ThresholdField]: number | null };

export type Label = "true" | "false";
export const LABELS: readonly Label[] = ["true", "false"];
type PerLabel<T> = { true: T; false: T };

export type ClassifierStatistics = {
  counts: {
    n: number;
    labels: PerLabel<number>;
    /** Keyed by actual label, then predicted label (at the model's threshold). */
    predictions: PerLabel<PerLabel<number>>;
  };
  rates: { sample: PerLabel<number>; population: PerLabel<number> };
  /** The model's decision threshold, at which the per-label statistics below are taken. */
  default_threshold: number;
  roc_auc: PerLabel<number | null>;
  pr_auc: PerLabel<number | null>;
  thresholds: PerLabel<ThresholdRow[]>;
} & { [K in ThresholdField]: PerLabel<number | null> };

export interface StatisticsOptions {
  /** The model's decision threshold: predicted true when probability > threshold. */
  threshold: number;
  /**
   * Rate of the true label in the population the model is used on, when the labelled set was
   * sampled differently; counts are re-weighted to it (as revscoring's population_rate does).
   */
  populationRate?: number;
  /** Digits the threshold table's thresholds are rounded to (one row per distinct rounded score). */
  thresholdDigits?: number;
  /** Digits of the statistics in the output. */
  digits?: number;
}

interface Counts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

function roundTo(x: number | null, digits: number): number | null {
  if (x === null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const div = (a: number, b: number): number | null => (b > 0 ? a / b : null);

function f1(p: number | null, r: number | null): number | null {
  return p !== null && r !== null && p + r > 0 ? (2 * p * r) / (p + r) : null;
}

/** The ten statistics of a confusion matrix whose positive class is the label looked at. */
function statsOf({ tp, fp, tn, fn }: Counts): { [K in ThresholdField]: number | null } {
  const n = tp + fp + tn + fn;
  const matchRate = div(tp + fp, n);
  const precision = div(tp, tp + fp);
  const recall = div(tp, tp + fn);
  const nPrecision = div(tn, tn + fn);
  const nRecall = div(tn, tn + fp);
  return {
    match_rate: matchRate,
    filter_rate: matchRate === null ? null : 1 - matchRate,
    precision,
    "!precision": nPrecision,
    recall,
    "!recall": nRecall,
    accuracy: div(tp + tn, n),
    fpr: div(fp, fp + tn),
    f1: f1(precision, recall),
    "!f1": f1(nPrecision, nRecall),
  };
}

/** Trapezoid area under y(x) for points sorted by x (duplicates allowed). */
function area(points: Array<[number, number]>): number | null {
  if (points.length < 2) return null;
  let a = 0;
  for (let i = 1; i < points.length; i++)
    a += (points[i][0] - points[i - 1][0]) * (points[i][1] + points[i - 1][1]) * 0.5;
  return a;
}

/**
 * The statistics of scored, labelled examples. `scores[i]` is the probability of the true label,
 * `labels[i]` whether the edit was in fact reverted. Throws on mismatched or empty input.
 */
export function computeStatistics(
  scores: readonly number[],
  labels: readonly boolean[],
  o: StatisticsOptions,
): ClassifierStatistics {
  if (scores.length !== labels.length) throw new Error("scores and labels differ in length");
  if (scores.length === 0) throw new Error("no labelled examples");
  for (const s of scores)
    if (!(s >= 0 && s <= 1)) throw new Error(`score ${s} is not a probability in [0, 1]`);
  const tDigits = o.thresholdDigits ?? 3;
  const digits = o.digits ?? 3;
  const n = scores.length;
  const nTrue = labels.filter(Boolean).length;
  const sampleTrue = nTrue / n;
  const popTrue = o.populationRate ?? sampleTrue;
  if (!(popTrue >= 0 && popTrue <= 1)) throw new Error(`population rate ${popTrue} is not in [0, 1]`);
  // Weights re-scaling each class to the population rate; 1 without one.
  const wTrue = nTrue > 0 ? (popTrue * n) / nTrue : 0;
  const wFalse = n - nTrue > 0 ? ((1 - popTrue) * n) / (n - nTrue) : 0;

  const counts = (lbl: Label, flagged: (i: number) => boolean): Counts => {
    const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
    for (let i = 0; i < n; i++) {
      const positive = labels[i] === (lbl === "true");
      const w = labels[i] ? wTrue : wFalse;
      const cell = flagged(i) ? (positive ? "tp" : "fp") : positive ? "fn" : "tn";
      c[cell] += w;
    }
    return c;
  };
  const rowOf = (s: { [K in ThresholdField]: number | null }) =>
    Object.fromEntries(THRESHOLD_FIELDS.map((f) => [f, roundTo(s[f], digits)])) as {
      [K in ThresholdField]: number | null;
    };

  const tables = {} as PerLabel<ThresholdRow[]>;
  const roc = {} as PerLabel<number | null>;
  const pr = {} as PerLabel<number | null>;
  for (const lbl of LABELS) {
    const score = (i: number) => (lbl === "true" ? scores[i] : 1 - scores[i]);
    const rounded = scores.map((_, i) => roundTo(score(i), tDigits)!);
    const cuts = [...new Set(rounded)].sort((a, b) => a - b);
    const rows: ThresholdRow[] = [];
    const rocPts: Array<[number, number]> = [[0, 0]];
    // The PR curve starts at recall 0, precision 1 (as scikit-learn's precision_recall_curve does).
    const prPts: Array<[number, number]> = [[0, 1]];
    for (const t of cuts) {
      const s = statsOf(counts(lbl, (i) => rounded[i] >= t));
      rows.push({ threshold: t, ...rowOf(s) });
      if (s.fpr !== null && s.recall !== null) rocPts.push([s.fpr, s.recall]);
      if (s.recall !== null && s.precision !== null) prPts.push([s.recall, s.precision]);
    }
    rocPts.push([1, 1]);
    tables[lbl] = rows;
    roc[lbl] = roundTo(area(rocPts.sort((a, b) => a[0] - b[0] || a[1] - b[1])), digits);
    pr[lbl] = roundTo(area(prPts.sort((a, b) => a[0] - b[0] || b[1] - a[1])), digits);
  }

  // At the model's threshold: predicted true when probability > threshold.
  const predTrue = (i: number) => scores[i] > o.threshold;
  const atTrue = statsOf(counts("true", predTrue));
  const atFalse = statsOf(counts("false", (i) => !predTrue(i)));
  const at = {} as { [K in ThresholdField]: PerLabel<number | null> };
  for (const f of THRESHOLD_FIELDS)
    at[f] = { true: roundTo(atTrue[f], digits), false: roundTo(atFalse[f], digits) };
  const pred = { true: { true: 0, false: 0 }, false: { true: 0, false: 0 } };
  for (let i = 0; i < n; i++) pred[labels[i] ? "true" : "false"][predTrue(i) ? "true" : "false"]++;

  return {
    counts: { n, labels: { true: nTrue, false: n - nTrue }, predictions: pred },
    rates: {
      sample: { true: roundTo(sampleTrue, digits)!, false: roundTo(1 - sampleTrue, digits)! },
      population: { true: roundTo(popTrue, digits)!, false: roundTo(1 - popTrue, digits)! },
    },
    default_threshold: o.threshold,
    ...at,
    roc_auc: roc,
    pr_auc: pr,
    thresholds: tables,
  };
}

// ---------------------------------------------------------------- threshold optimizations

export interface ThresholdOptimization {
  maximize: boolean;
  target: string;
  condition: string;
  greater: boolean;
  value: number;
}

const OPTIMIZATION = /^(maximum|minimum) ([^\W\d]\w*) @ ([^\W\d]\w*) (>=|<=) ([-+]?(?:\d*\.\d+|\d+))$/u;

/**
 * Parses `maximum|minimum <stat> @ <stat> >=|<= <value>` (case-insensitive, as revscoring does);
 * undefined when the text is not one. The statistics must be threshold-table fields.
 */
export function parseOptimization(text: string): ThresholdOptimization | undefined {
  const m = OPTIMIZATION.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  return {
    maximize: m[1] === "maximum",
    target: m[2],
    condition: m[3],
    greater: m[4] === ">=",
    value: Number(m[5]),
  };
}

export function formatOptimization(o: ThresholdOptimization): string {
  return `${o.maximize ? "maximum" : "minimum"} ${o.target} @ ${o.condition} ${o.greater ? ">=" : "<="} ${o.value}`;
}

const isField = (s: string): s is ThresholdField => (THRESHOLD_FIELDS as readonly string[]).includes(s);

/**
 * The row of `table` that optimizes the target statistic among the rows meeting the condition
 * (ties go to the higher threshold when maximizing, the lower when minimizing, as revscoring's
 * tuple comparison does), or null when no row meets it. Throws on an unknown statistic.
 */
export function optimize(table: readonly ThresholdRow[], o: ThresholdOptimization): ThresholdRow | null {
  for (const f of [o.target, o.condition])
    if (!isField(f)) throw new Error(`unknown statistic '${f}'; one of ${THRESHOLD_FIELDS.join(", ")}`);
  const target = o.target as ThresholdField;
  const cond = o.condition as ThresholdField;
  let best: ThresholdRow | null = null;
  for (const row of table) {
    const c = row[cond];
    const v = row[target];
    if (c === null || v === null || !(o.greater ? c >= o.value : c <= o.value)) continue;
    if (best === null) best = row;
    else {
      const bv = best[target]!;
      const better = o.maximize
        ? v > bv || (v === bv && row.threshold > best.threshold)
        : v < bv || (v === bv && row.threshold < best.threshold);
      if (better) best = row;
    }
  }
  return best;
}

// ---------------------------------------------------------------- ORES model_info paths

/** Splits one dotted path, keeping "…"/'…'-quoted parts (which may contain dots) whole. */
export function parsePath(text: string): string[] {
  const out: string[] = [];
  let buf: string[] = [];
  let quote = "";
  for (const part of text.split(".")) {
    if (buf.length) {
      buf.push(part);
      if (part.endsWith(quote)) {
        out.push(buf.join(".").slice(1, -1));
        buf = [];
      }
    } else if (part.length && (part[0] === '"' || part[0] === "'")) {
      quote = part[0];
      if (part.length > 1 && part.endsWith(quote)) out.push(part.slice(1, -1));
      else buf.push(part);
    } else out.push(part);
  }
  if (buf.length) throw new ModelInfoError(`unmatched quote in model_info path ${JSON.stringify(text)}`);
  return out;
}

export class ModelInfoError extends Error {}

type Tree = Map<string, Tree>;

/** `model_info` (`|`-separated dotted paths) as a tree of keys, in the order asked. */
export function parseModelInfo(param: string): Tree {
  const tree: Tree = new Map();
  for (const p of param.split("|")) {
    if (!p.trim()) continue;
    let node = tree;
    for (const k of parsePath(p.trim())) {
      if (!node.has(k)) node.set(k, new Map());
      node = node.get(k)!;
    }
  }
  return tree;
}

/**
 * Selects the asked fields of a model-info document. Under `statistics.thresholds.<label>`, a key
 * is a threshold optimization and selects the optimal row (null when none meets the condition);
 * elsewhere keys are field names. Throws ModelInfoError naming an unknown field.
 */
export function selectModelInfo(doc: unknown, tree: Tree, path: string[] = []): unknown {
  if (tree.size === 0) return doc;
  const here = path.join(".");
  if (path.length === 3 && path[0] === "statistics" && path[1] === "thresholds" && Array.isArray(doc)) {
    return [...tree.keys()].map((k) => {
      const opt = parseOptimization(k);
      if (!opt)
        throw new ModelInfoError(
          `${JSON.stringify(k)} under ${here} does not match "(maximum|minimum) <stat> @ <stat> (>=|<=) <number>"`,
        );
      try {
        return optimize(doc as ThresholdRow[], opt);
      } catch (e) {
        throw new ModelInfoError(`${JSON.stringify(k)}: ${(e as Error).message}`);
      }
    });
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    throw new ModelInfoError(`model_info field ${here} has no sub-fields`);
  const out: Record<string, unknown> = {};
  for (const [k, sub] of tree) {
    if (!Object.hasOwn(doc, k))
      throw new ModelInfoError(
        `unknown model_info field ${[...path, k].join(".")}; known: ${Object.keys(doc).join(", ")}`,
      );
    out[k] = selectModelInfo((doc as Record<string, unknown>)[k], sub, [...path, k]);
  }
  return out;
}

// ---------------------------------------------------------------- the model card's table

/** Columns of the model cards' "Test data performance" table (the true label, at the threshold). */
const CARD_COLUMNS = ["match_rate", "filter_rate", "recall", "precision", "f1", "accuracy", "fpr"] as const;

/**
 * The model card table: one line overall and one per wiki, statistics of the true label at the
 * model's threshold, with ROC-AUC, PR-AUC and the population rate of the true label.
 */
export function formatCardTable(
  overall: ClassifierStatistics,
  perWiki: Record<string, ClassifierStatistics> = {},
): string {
  const head = ["wiki", "n", "true rate", ...CARD_COLUMNS, "roc_auc", "pr_auc"];
  const fmt = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));
  const line = (name: string, s: ClassifierStatistics) => [
    name,
    String(s.counts.n),
    fmt(s.rates.population.true),
    ...CARD_COLUMNS.map((c) => fmt(s[c].true)),
    fmt(s.roc_auc.true),
    fmt(s.pr_auc.true),
  ];
  const rows = [head, line("all", overall), ...Object.entries(perWiki).map(([w, s]) => line(w, s))];
  const widths = head.map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  return rows
    .map((r) => r.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join("  "))
    .join("\n");
}
