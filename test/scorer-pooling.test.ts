import { describe, expect, it } from "vitest";
import { ENCODER_FEATURES, logitRow, poolRows } from "../shared/model/revertrisk-model.ts";

describe("encoder pooling (the model's pooling, docs/mlcore.md)", () => {
  it("turns logits into [s0, s1, p0, p1] with a softmax (training sample check)", () => {
    const [s0, s1, p0, p1] = logitRow(2.3568, -2.5051);
    expect(s0).toBe(2.3568);
    expect(s1).toBe(-2.5051);
    expect(p0).toBeCloseTo(0.99232, 5);
    expect(p0 + p1).toBeCloseTo(1, 12);
  });

  it("is stable for large logits", () => {
    const [, , p0, p1] = logitRow(1000, -1000);
    expect(p0).toBe(1);
    expect(p1).toBe(0);
  });

  it("takes max and mean per column independently", () => {
    const pooled = poolRows([
      [1, -3, 0.2, 0.8],
      [-2, 5, 0.9, 0.1],
    ]);
    expect(pooled).toEqual([1, 5, 0.9, 0.8, -0.5, 1, 0.55, 0.45]);
  });

  it("gives eight −1 for an empty list", () => {
    expect(poolRows([])).toEqual([-1, -1, -1, -1, -1, -1, -1, -1]);
  });

  it("names 25 encoder features", () => {
    expect(ENCODER_FEATURES).toHaveLength(25);
    expect(ENCODER_FEATURES[0]).toBe("bert_insert_s0_max");
    expect(ENCODER_FEATURES.at(-1)).toBe("bert_title_score");
  });
});
