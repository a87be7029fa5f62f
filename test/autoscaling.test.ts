import { describe, expect, it } from "vitest";
import {
  backlogPerTaskMetric,
  createAutoscaler,
  desiredWorkers,
  effectiveThroughput,
  ewma,
  targetBacklogPerWorker,
  targetTrackingDesired,
  throughputSample,
  validateScalingConfig,
  type ScalingConfig,
  type ScalingState,
  type TargetTrackingConfig,
} from "../shared/pipeline/autoscaling.ts";

const config: ScalingConfig = {
  minWorkers: 1,
  maxWorkers: 10,
  targetLagSeconds: 10,
  defaultThroughputPerWorker: 100, // → 1,000 messages per worker
  scaleInCooldownSeconds: 300,
  idleToMinSeconds: 900,
};

const state = (over: Partial<ScalingState>): ScalingState => ({
  now: 10_000,
  visible: 0,
  inFlight: 0,
  currentWorkers: 1,
  throughputPerWorker: 100,
  ...over,
});

describe("backlog-per-task target", () => {
  it("is target lag × per-worker throughput, at least 1", () => {
    expect(targetBacklogPerWorker(10, 0.1)).toBe(1);
    expect(targetBacklogPerWorker(10, 500)).toBe(5000);
    expect(targetBacklogPerWorker(0.001, 1)).toBe(1);
  });
  it("matches AWS's worked example: 1500 messages, target 100 per instance → 15", () => {
    const d = desiredWorkers(state({ visible: 1500, currentWorkers: 10, throughputPerWorker: 10 }), {
      ...config,
      maxWorkers: 50,
    });
    expect(d.targetBacklogPerWorker).toBe(100);
    expect(d.workers).toBe(15);
    expect(d.reason).toBe("scale-out");
  });
  it("counts in-flight messages like KEDA's queueLength (30 with target 10 → 3)", () => {
    const c = { ...config, targetLagSeconds: 1, defaultThroughputPerWorker: 10 };
    expect(
      desiredWorkers(state({ visible: 10, inFlight: 20, throughputPerWorker: undefined }), c).workers,
    ).toBe(3);
  });
});

describe("desiredWorkers", () => {
  it("burst: scales out immediately, even right after a scale-in", () => {
    const d = desiredWorkers(state({ visible: 5_500, currentWorkers: 2, lastScaleAt: 9_999 }), config);
    expect(d.workers).toBe(6);
    expect(d.reason).toBe("scale-out");
  });

  it("max capacity: caps at maxWorkers and says so", () => {
    const d = desiredWorkers(state({ visible: 16_000_000, currentWorkers: 3 }), config);
    expect(d.workers).toBe(10);
    expect(d.reason).toBe("scale-out (capped at max)");
    const again = desiredWorkers(state({ visible: 16_000_000, currentWorkers: 10 }), config);
    expect(again).toMatchObject({ workers: 10, reason: "scale-out (capped at max)" });
  });

  it("drain: scales in step by step, one step per cooldown", () => {
    const a = createAutoscaler(config, 1);
    let t = 0;
    // burst arrives
    expect(a.step({ now: t, visible: 9_500, inFlight: 0 }).workers).toBe(10);
    // backlog drains linearly over 20 minutes, polled every 15 s
    const seen: Array<[number, number]> = [[0, 10]];
    for (t = 15; t <= 1_200; t += 15) {
      const left = Math.max(0, 9_500 * (1 - t / 1_200));
      const d = a.step({ now: t, visible: left, inFlight: 0, throughputPerWorker: 100 });
      if (seen[seen.length - 1]![1] !== d.workers) seen.push([t, d.workers]);
    }
    // every change is a decrease, at least a cooldown apart
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]![1]).toBeLessThan(seen[i - 1]![1]);
      expect(seen[i]![0] - seen[i - 1]![0]).toBeGreaterThanOrEqual(300);
    }
    expect(seen.length).toBeGreaterThan(1);
    expect(a.workers).toBeGreaterThanOrEqual(1);
  });

  it("idle → min only after the idle period; min = 0 scales to zero", () => {
    const c = { ...config, minWorkers: 0 };
    const a = createAutoscaler(c, 3);
    a.step({ now: 0, visible: 2_000, inFlight: 500 });
    expect(a.workers).toBe(3);
    // queue empty from t = 100 on: the hysteresis rule keeps ≥ 1 worker, the idle rule drops to 0
    let d = a.step({ now: 400, visible: 0, inFlight: 0 });
    expect(d.workers).toBe(1);
    d = a.step({ now: 1_000, visible: 0, inFlight: 0 });
    expect(d.workers).toBe(1);
    d = a.step({ now: 1_299, visible: 0, inFlight: 0 });
    expect(d.workers).toBe(1);
    d = a.step({ now: 1_300, visible: 0, inFlight: 0 });
    expect(d).toMatchObject({ workers: 0, reason: "idle → min" });
    // and wakes on the first message (activation)
    d = a.step({ now: 1_400, visible: 1, inFlight: 0 });
    expect(d).toMatchObject({ workers: 1, reason: "activate from zero" });
  });

  it("idle → min with min = 1 keeps one warm worker", () => {
    const d = desiredWorkers(state({ currentWorkers: 4, idleSince: 0, now: 900, lastScaleAt: 850 }), config);
    expect(d).toMatchObject({ workers: 1, reason: "idle → min" });
  });

  it("a steady arrival rate is not 'idle' and keeps enough workers for the stream", () => {
    const d = desiredWorkers(
      state({ arrivalRate: 250, currentWorkers: 3, idleSince: 0, now: 5_000 }),
      config,
    );
    expect(d.workers).toBe(3);
    const up = desiredWorkers(state({ arrivalRate: 350, currentWorkers: 3 }), config);
    expect(up).toMatchObject({ workers: 4, reason: "scale-out" });
  });

  it("cold start: zero, NaN or missing throughput uses the configured prior, never divides by zero", () => {
    for (const tp of [0, Number.NaN, undefined, -5, Infinity]) {
      const d = desiredWorkers(state({ visible: 3_000, currentWorkers: 0, throughputPerWorker: tp }), config);
      expect(d.targetBacklogPerWorker).toBe(1_000);
      expect(d.workers).toBe(3);
      expect(Number.isFinite(d.raw)).toBe(true);
    }
    expect(effectiveThroughput(0, 42)).toBe(42);
    expect(effectiveThroughput(7, 42)).toBe(7);
  });

  it("min = 0 with an empty queue stays at zero; below the activation backlog too", () => {
    const c = { ...config, minWorkers: 0, activationBacklog: 10 };
    expect(desiredWorkers(state({ currentWorkers: 0 }), c)).toMatchObject({ workers: 0 });
    expect(desiredWorkers(state({ currentWorkers: 0, visible: 9 }), c)).toMatchObject({
      workers: 0,
      reason: "hold: below activation backlog",
    });
    expect(desiredWorkers(state({ currentWorkers: 0, visible: 10 }), c).workers).toBe(1);
  });

  it("lowers to max when the bounds changed under a running fleet", () => {
    expect(desiredWorkers(state({ currentWorkers: 15, visible: 1e6 }), config)).toMatchObject({
      workers: 10,
      reason: "lower to max",
    });
  });

  it("raises to min when the current count is below it", () => {
    expect(desiredWorkers(state({ currentWorkers: 0 }), { ...config, minWorkers: 2 })).toMatchObject({
      workers: 2,
      reason: "raise to min",
    });
  });

  it("flapping: noisy backlog around the boundary does not oscillate", () => {
    // Deterministic noise: backlog per worker swings ±15 % around 95 % of target with 4 workers.
    let seed = 7;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const a = createAutoscaler(config, 4);
    let changes = 0;
    let prev = a.workers;
    for (let t = 0; t < 6 * 3600; t += 15) {
      const backlog = 4 * 1_000 * (0.95 + 0.15 * rand());
      const d = a.step({ now: t, visible: backlog * 0.9, inFlight: backlog * 0.1, throughputPerWorker: 100 });
      if (d.workers !== prev) changes++;
      prev = d.workers;
    }
    // Without hysteresis/cooldown this would change roughly every other poll (≈ 700 times).
    expect(changes).toBeLessThanOrEqual(4);
  });

  it("hysteresis: a count inside the band holds; below the band scales in once the cooldown has passed", () => {
    const inBand = desiredWorkers(state({ visible: 3_500, currentWorkers: 5 }), config); // raw 4, 3500/0.8k → 5
    expect(inBand).toMatchObject({ workers: 5, reason: "hold: hysteresis band" });
    const cool = desiredWorkers(state({ visible: 1_000, currentWorkers: 5, lastScaleAt: 9_900 }), config);
    expect(cool).toMatchObject({ workers: 5, reason: "hold: scale-in cooldown" });
    const down = desiredWorkers(state({ visible: 1_000, currentWorkers: 5, lastScaleAt: 9_000 }), config);
    expect(down).toMatchObject({ workers: 2, reason: "scale-in" });
  });

  it("rejects unusable configurations", () => {
    expect(() => validateScalingConfig({ ...config, defaultThroughputPerWorker: 0 })).toThrow(
      /defaultThroughput/,
    );
    expect(() => validateScalingConfig({ ...config, maxWorkers: 0 })).toThrow(/maxWorkers/);
    expect(() => validateScalingConfig({ ...config, scaleInHysteresis: 1 })).toThrow(/Hysteresis/);
    expect(() => validateScalingConfig(config)).not.toThrow();
  });
});

describe("ewma and throughput samples", () => {
  it("initialises on the first sample, halves the weight after one half-life, ignores invalid samples", () => {
    expect(ewma(undefined, 10, 5, 60)).toBe(10);
    expect(ewma(10, 20, 60, 60)).toBeCloseTo(15);
    expect(ewma(10, Number.NaN, 60, 60)).toBe(10);
    expect(ewma(10, 30, 0, 60)).toBe(10);
    expect(ewma(10, 30, 5, 0)).toBe(30);
  });
  it("a sample needs busy time: cold or idle workers give NaN, which ewma ignores", () => {
    expect(throughputSample(500, 2)).toBe(250);
    expect(throughputSample(0, 0)).toBeNaN();
    expect(ewma(250, throughputSample(0, 0), 30, 60)).toBe(250);
  });
});

describe("Application Auto Scaling target tracking (comparison rule)", () => {
  const tt: TargetTrackingConfig = {
    minCapacity: 1,
    maxCapacity: 10,
    targetValue: 1_000,
    scaleOutCooldownSeconds: 60,
    scaleInCooldownSeconds: 300,
  };
  it("metric math divides by 1 when no task runs", () => {
    expect(backlogPerTaskMetric(500, 0)).toBe(500);
    expect(backlogPerTaskMetric(500, 4)).toBe(125);
  });
  it("needs 3 datapoints above target, then scales proportionally", () => {
    expect(
      targetTrackingDesired({ now: 0, desiredCapacity: 2, datapoints: [3_000, 3_000] }, tt).capacity,
    ).toBe(2);
    expect(
      targetTrackingDesired({ now: 0, desiredCapacity: 2, datapoints: [3_000, 3_000, 3_000] }, tt),
    ).toEqual({
      capacity: 6,
      reason: "alarm-high scale-out",
    });
  });
  it("respects the scale-out cooldown and the max", () => {
    const s = { now: 100, desiredCapacity: 6, datapoints: [3e4, 3e4, 3e4], lastScaleOutAt: 60 };
    expect(targetTrackingDesired(s, tt).reason).toBe("cooldown");
    expect(targetTrackingDesired({ ...s, now: 200 }, tt).capacity).toBe(10);
  });
  it("scales in only after 15 low datapoints (< 90 % of target) and the scale-in cooldown", () => {
    const low = new Array(15).fill(100);
    expect(targetTrackingDesired({ now: 0, desiredCapacity: 8, datapoints: low.slice(1) }, tt).capacity).toBe(
      8,
    );
    expect(
      targetTrackingDesired({ now: 0, desiredCapacity: 8, datapoints: low, lastScaleInAt: -100 }, tt).reason,
    ).toBe("cooldown");
    expect(targetTrackingDesired({ now: 0, desiredCapacity: 8, datapoints: low }, tt)).toEqual({
      capacity: 1,
      reason: "alarm-low scale-in",
    });
    // 95 % of target is inside the band: no alarm
    expect(
      targetTrackingDesired({ now: 0, desiredCapacity: 8, datapoints: new Array(15).fill(950) }, tt).reason,
    ).toBe("no alarm");
  });
  it("from zero capacity, one minute of metric over target per task scales out", () => {
    const c = { ...tt, minCapacity: 0 };
    expect(
      targetTrackingDesired({ now: 0, desiredCapacity: 0, datapoints: [2_500, 2_500, 2_500] }, c).capacity,
    ).toBe(3);
  });
});
