/**
 * Evaluation statistics (shared/model/statistics.ts) against values derived by hand, the threshold
 * optimization language as revscoring parses and applies it, and ORES model_info path selection.
 */
import { describe, expect, it } from "vitest";
import {
  computeStatistics,
  formatCardTable,
  formatOptimization,
  ModelInfoError,
  optimize,
  parseModelInfo,
  parseOptimization,
  parsePath,
  selectModelInfo,
} from "../shared/model/statistics.ts";
import { ClassifierStatisticsSchema } from "../shared/model/bundle.ts";

// Six edits: scores and whether each was reverted. At threshold 0.5: tp 3, fp 1, tn 2, fn 0.
const SCORES = [0.9, 0.8, 0.7, 0.6, 0.4, 0.2];
const LABELS = [true, true, false, true, false, false];
const s = computeStatistics(SCORES, LABELS, { threshold: 0.5 });

describe("computeStatistics", () => {
  it("counts and rates", () => {
    expect(s.counts).toEqual({
      n: 6,
      labels: { true: 3, false: 3 },
      predictions: { true: { true: 3, false: 0 }, false: { true: 1, false: 2 } },
    });
    expect(s.rates).toEqual({ sample: { true: 0.5, false: 0.5 }, population: { true: 0.5, false: 0.5 } });
    expect(s.default_threshold).toBe(0.5);
  });

  it("statistics at the model's threshold, for both labels", () => {
    expect(s.precision).toEqual({ true: 0.75, false: 1 });
    expect(s.recall).toEqual({ true: 1, false: 0.667 });
    expect(s.fpr).toEqual({ true: 0.333, false: 0 });
    expect(s.accuracy).toEqual({ true: 0.833, false: 0.833 });
    expect(s.match_rate).toEqual({ true: 0.667, false: 0.333 });
    expect(s.filter_rate).toEqual({ true: 0.333, false: 0.667 });
    expect(s.f1).toEqual({ true: 0.857, false: 0.8 });
    expect(s["!precision"].true).toBe(1);
    expect(s["!recall"].true).toBe(0.667);
  });

  it("one threshold-table row per distinct score; flagged when score >= threshold", () => {
    expect(s.thresholds.true.map((r) => r.threshold)).toEqual([0.2, 0.4, 0.6, 0.7, 0.8, 0.9]);
    const at08 = s.thresholds.true.find((r) => r.threshold === 0.8)!;
    expect(at08).toMatchObject({ precision: 1, recall: 0.667, match_rate: 0.333, fpr: 0 });
    const at02 = s.thresholds.true[0];
    expect(at02).toMatchObject({ match_rate: 1, recall: 1, precision: 0.5, "!precision": null });
    // The false label's table uses 1 − score.
    expect(s.thresholds.false.map((r) => r.threshold)).toEqual([0.1, 0.2, 0.3, 0.4, 0.6, 0.8]);
  });

  it("ROC-AUC equals the share of (reverted, kept) pairs ranked right (8 of 9); PR-AUC by trapezoids", () => {
    expect(s.roc_auc.true).toBe(0.889);
    expect(s.roc_auc.false).toBe(0.889);
    // (0,1) (1/3,1) (2/3,1) (2/3,2/3) (1,3/4) (1,3/5) (1,1/2): 2/3 + (1/3)(2/3+3/4)/2
    expect(s.pr_auc.true).toBe(0.903);
  });

  it("re-weights the classes to a population rate", () => {
    const p = computeStatistics(SCORES, LABELS, { threshold: 0.5, populationRate: 0.1 });
    // tp 3×0.2, fp 1×1.8: precision 0.6 / 2.4
    expect(p.precision.true).toBe(0.25);
    expect(p.recall.true).toBe(1);
    expect(p.rates.population).toEqual({ true: 0.1, false: 0.9 });
    expect(p.counts.labels).toEqual({ true: 3, false: 3 });
  });

  it("validates against the bundle schema and rejects bad input", () => {
    expect(ClassifierStatisticsSchema.safeParse(s).success).toBe(true);
    expect(() => computeStatistics([0.5], [true, false], { threshold: 0.5 })).toThrow(/length/);
    expect(() => computeStatistics([], [], { threshold: 0.5 })).toThrow(/no labelled/);
    expect(() => computeStatistics([1.5], [true], { threshold: 0.5 })).toThrow(/probability/);
  });

  it("prints the model card's table", () => {
    const t = formatCardTable(s, { en: s });
    expect(t.split("\n")).toHaveLength(3);
    expect(t).toMatch(/^wiki\s+n\s+true rate\s+match_rate/);
    expect(t.split("\n")[1]).toMatch(/^all\s+6\s+0\.500\s+0\.667\s+0\.333\s+1\.000\s+0\.750\s+0\.857/);
  });
});

describe("threshold optimizations", () => {
  it("parses revscoring's form, case-insensitively, and nothing else", () => {
    expect(parseOptimization("Maximum recall @ precision >= 0.9")).toEqual({
      maximize: true,
      target: "recall",
      condition: "precision",
      greater: true,
      value: 0.9,
    });
    expect(parseOptimization("minimum match_rate @ recall <= .5")?.value).toBe(0.5);
    for (const bad of [
      "maximum recall",
      "max recall @ precision >= 0.9",
      "maximum recall @ precision > 0.9",
      "",
    ])
      expect(parseOptimization(bad), bad).toBeUndefined();
    expect(formatOptimization(parseOptimization("maximum recall @ precision >= 0.9")!)).toBe(
      "maximum recall @ precision >= 0.9",
    );
  });

  it("picks the optimal row among those meeting the condition", () => {
    const t = s.thresholds.true;
    expect(optimize(t, parseOptimization("maximum recall @ precision >= 0.9")!)?.threshold).toBe(0.8);
    expect(optimize(t, parseOptimization("minimum match_rate @ recall >= 0.9")!)?.threshold).toBe(0.6);
    expect(optimize(t, parseOptimization("maximum precision @ recall >= 2")!)).toBeNull();
    // precision 1 at 0.9 and 0.8: maximizing prefers the higher threshold, minimizing fpr the lower.
    expect(optimize(t, parseOptimization("maximum precision @ recall >= 0")!)?.threshold).toBe(0.9);
    expect(optimize(t, parseOptimization("minimum fpr @ recall >= 0")!)?.threshold).toBe(0.8);
    expect(() => optimize(t, parseOptimization("maximum bogus @ recall >= 0.5")!)).toThrow(
      /unknown statistic/,
    );
  });
});

describe("ORES model_info paths", () => {
  it("splits dotted paths, keeping quoted parts with dots whole", () => {
    expect(parsePath('statistics.thresholds.true."maximum recall @ precision >= 0.9"')).toEqual([
      "statistics",
      "thresholds",
      "true",
      "maximum recall @ precision >= 0.9",
    ]);
    expect(parsePath("statistics.thresholds.true.'minimum fpr @ recall >= 0.75'")[3]).toBe(
      "minimum fpr @ recall >= 0.75",
    );
    expect(() => parsePath('statistics."maximum recall @ precision >= 0.9')).toThrow(ModelInfoError);
  });

  it("selects fields, and optimal rows under statistics.thresholds.<label>", () => {
    const doc = { version: "1", type: "t", statistics: s };
    expect(selectModelInfo(doc, parseModelInfo("version|type"))).toEqual({ version: "1", type: "t" });
    const q = selectModelInfo(
      doc,
      parseModelInfo('statistics.thresholds.true."maximum recall @ precision >= 0.9"|statistics.roc_auc'),
    ) as {
      statistics: { thresholds: { true: Array<{ threshold: number; recall: number }> }; roc_auc: unknown };
    };
    expect(q.statistics.thresholds.true).toHaveLength(1);
    expect(q.statistics.thresholds.true[0]).toMatchObject({ threshold: 0.8, recall: 0.667 });
    expect(q.statistics.roc_auc).toEqual({ true: 0.889, false: 0.889 });
    const all = selectModelInfo(doc, parseModelInfo("statistics.thresholds.true")) as typeof q;
    expect(all.statistics.thresholds.true).toHaveLength(6);
    expect(() => selectModelInfo(doc, parseModelInfo("statistics.bogus"))).toThrow(
      /unknown model_info field/,
    );
    expect(() => selectModelInfo(doc, parseModelInfo('statistics.thresholds.true."best threshold"'))).toThrow(
      /does not match/,
    );
  });
});
