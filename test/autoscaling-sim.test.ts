import { describe, expect, it } from "vitest";
import { defaults, liveRate, makeArrivals, parseSimArgs, report, simulate } from "../bench/scaling.ts";

const small = { ...defaults, days: 6, backfillDay: 3, backfill: 2_000_000 };

describe("scaling simulation (bench/scaling.ts)", () => {
  it("arrival curve: daily mean ≈ mean rate, peak ≈ peak rate", () => {
    let sum = 0;
    let peak = 0;
    for (let t = 0; t < 86_400; t += 60) {
      const r = liveRate(t, 16, 50);
      sum += r;
      peak = Math.max(peak, r);
    }
    expect(sum / 1440).toBeCloseTo(16, 0);
    expect(peak).toBeCloseTo(50, 0);
  });

  it("is deterministic for a seed and drains the backfill under both policies", () => {
    const a1 = makeArrivals(small);
    const a2 = makeArrivals(small);
    expect(a1.live).toEqual(a2.live);
    const ours = simulate(small, a1, "revrisk");
    const tt = simulate(small, a1, "target-tracking");
    expect(simulate(small, a2, "revrisk").workerHours).toBe(ours.workerHours);
    for (const r of [ours, tt]) {
      expect(r.backfillDrainedAt).toBeDefined();
      expect(r.maxWorkers).toBe(small.max);
      expect(r.leftInQueue).toBeLessThan(1_000);
    }
    // scale-out without alarm delay and scale-in without the 15-minute low alarm: faster and cheaper
    expect(ours.backfillDrainedAt!).toBeLessThanOrEqual(tt.backfillDrainedAt!);
    expect(ours.workerHours).toBeLessThan(tt.workerHours);
    expect(report(small, [ours, tt], a1)).toMatch(/difference \(revrisk vs target tracking\)/);
  });

  it("parses flags and rejects bad values", () => {
    expect(parseSimArgs(["--per-worker", "20", "--max", "60"])).toMatchObject({ perWorker: 20, max: 60 });
    expect(() => parseSimArgs(["--dt", "7"])).toThrow(/dt/);
    expect(() => parseSimArgs(["--max", "x"])).toThrow(/max/);
  });
});
