/**
 * Queue-depth autoscaling for the GPU scorer workers. Pure functions, no I/O, no clock: the caller
 * passes the time and the observed queue state, and keeps the few timestamps the policy needs.
 *
 * Two rules live here:
 *
 * - `desiredWorkers`: revrisk's policy. It is AWS's "backlog per task" rule (target backlog per
 *   worker = acceptable lag × measured per-worker throughput) counted the way KEDA's `aws-sqs-queue`
 *   scaler counts (`ApproximateNumberOfMessages + ApproximateNumberOfMessagesNotVisible`, i.e.
 *   in-flight messages included), plus an optional arrival-rate term so that a steady stream alone
 *   keeps enough workers. Scale-out is immediate; scale-in waits for a cooldown and has a hysteresis
 *   band; an idle queue goes to `minWorkers` after `idleToMinSeconds`.
 * - `targetTrackingDesired`: what Application Auto Scaling's target-tracking policy would do with the
 *   metric-math backlog per task (AWS's example: `m1 / IF(m2 > 0, m2, 1)`, m1 =
 *   ApproximateNumberOfMessagesVisible, m2 = RunningTaskCount; terraform/autoscaling.tf adds the
 *   in-flight count m3 to m1), its 1-minute datapoints, its alarm rules (3 datapoints above target to
 *   scale out, 15 datapoints below 90 % of target to scale in) and its cooldowns. It exists to compare
 *   against (bench/scaling.ts) and documents what the Terraform deployment actually runs.
 */

export interface ScalingConfig {
  /** Lower bound on workers. 0 allows scale to zero (a cold start on the next message). */
  minWorkers: number;
  /** Upper bound on workers (GPU quota, budget). */
  maxWorkers: number;
  /** Acceptable queueing lag in seconds: the target is `targetLagSeconds × per-worker throughput` messages per worker. */
  targetLagSeconds: number;
  /** Per-worker throughput (messages/s) assumed while no measurement exists yet (cold start). Must be > 0. */
  defaultThroughputPerWorker: number;
  /** Minimum time between any scaling action and a following scale-in. Scale-out never waits. */
  scaleInCooldownSeconds: number;
  /** The queue (visible + in flight) must be empty this long before the policy drops to `minWorkers`. */
  idleToMinSeconds: number;
  /**
   * Scale-in hysteresis, 0 ≤ h < 1: scale in only to a count that would run at ≤ (1 - h) of the target
   * load (backlog per worker ≤ (1 - h) × target, arrivals ≤ (1 - h) × throughput). Scale-out uses the
   * plain target, so inputs between the two thresholds change nothing. Default 0.2.
   */
  scaleInHysteresis?: number;
  /** KEDA's activationQueueLength: backlog needed to go from 0 to 1 worker. Default 1. */
  activationBacklog?: number;
}

export interface QueueObservation {
  /** Seconds on any monotonic clock. */
  now: number;
  /** ApproximateNumberOfMessages (visible). */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible (received, not yet deleted). */
  inFlight: number;
  /** Arrival rate, messages/s (an EWMA of sends); 0 or undefined to ignore. */
  arrivalRate?: number;
  /** Measured per-worker throughput, messages per busy second (EWMA); 0, NaN or undefined while cold. */
  throughputPerWorker?: number;
}

export interface ScalingState extends QueueObservation {
  /** The worker count currently requested (running + starting). */
  currentWorkers: number;
  /** Time of the last change of the requested count (either direction); undefined if none yet. */
  lastScaleAt?: number;
  /** Since when the queue (visible + in flight) has been empty; undefined while it is not. */
  idleSince?: number;
}

export type ScalingReason =
  | "scale-out"
  | "scale-out (capped at max)"
  | "scale-in"
  | "idle → min"
  | "activate from zero"
  | "hold: within target"
  | "hold: hysteresis band"
  | "hold: scale-in cooldown"
  | "hold: below activation backlog"
  | "raise to min"
  | "lower to max";

export interface ScalingDecision {
  workers: number;
  reason: ScalingReason;
  /** The per-worker backlog target in messages used for this decision. */
  targetBacklogPerWorker: number;
  /** Backlog counted (visible + in flight). */
  backlog: number;
  /** Workers the plain rule asks for before cooldown, hysteresis and bounds. */
  raw: number;
}

function finitePositive(x: number | undefined): x is number {
  return typeof x === "number" && Number.isFinite(x) && x > 0;
}

/** Throws on a configuration the policy cannot work with. */
export function validateScalingConfig(c: ScalingConfig): void {
  const problems: string[] = [];
  if (!Number.isInteger(c.minWorkers) || c.minWorkers < 0) problems.push("minWorkers must be an integer ≥ 0");
  if (!Number.isInteger(c.maxWorkers) || c.maxWorkers < Math.max(1, c.minWorkers))
    problems.push("maxWorkers must be an integer ≥ max(1, minWorkers)");
  if (!finitePositive(c.targetLagSeconds)) problems.push("targetLagSeconds must be > 0");
  if (!finitePositive(c.defaultThroughputPerWorker)) problems.push("defaultThroughputPerWorker must be > 0");
  if (!(c.scaleInCooldownSeconds >= 0)) problems.push("scaleInCooldownSeconds must be ≥ 0");
  if (!(c.idleToMinSeconds >= 0)) problems.push("idleToMinSeconds must be ≥ 0");
  const h = c.scaleInHysteresis ?? 0.2;
  if (!(h >= 0 && h < 1)) problems.push("scaleInHysteresis must be in [0, 1)");
  if (problems.length) throw new Error(`invalid scaling config: ${problems.join("; ")}`);
}

/** AWS "acceptable backlog per task": acceptable latency × messages per second one worker handles (≥ 1). */
export function targetBacklogPerWorker(targetLagSeconds: number, throughputPerWorker: number): number {
  return Math.max(1, targetLagSeconds * throughputPerWorker);
}

/** The throughput to plan with: the measurement when there is a usable one, otherwise the configured prior. */
export function effectiveThroughput(measured: number | undefined, fallback: number): number {
  return finitePositive(measured) ? measured : fallback;
}

/**
 * revrisk's scaling rule. Returns the worker count to request now and why.
 *
 * raw = ceil(backlog / targetBacklog + arrivalRate / throughput), backlog = visible + in flight.
 * The first term drains the backlog within the target lag (AWS backlog per task, KEDA queueLength);
 * the second keeps pace with arrivals.
 */
export function desiredWorkers(state: ScalingState, config: ScalingConfig): ScalingDecision {
  const h = config.scaleInHysteresis ?? 0.2;
  const activation = config.activationBacklog ?? 1;
  const throughput = effectiveThroughput(state.throughputPerWorker, config.defaultThroughputPerWorker);
  const target = targetBacklogPerWorker(config.targetLagSeconds, throughput);
  const backlog = Math.max(0, state.visible) + Math.max(0, state.inFlight);
  const arrival = finitePositive(state.arrivalRate) ? state.arrivalRate : 0;
  const load = backlog / target + arrival / throughput; // workers' worth of work
  const raw = Math.ceil(load - 1e-9);
  const current = Math.max(0, Math.floor(state.currentWorkers));
  const clamp = (n: number) => Math.min(config.maxWorkers, Math.max(config.minWorkers, n));
  const out = (workers: number, reason: ScalingReason): ScalingDecision => ({
    workers,
    reason,
    targetBacklogPerWorker: target,
    backlog,
    raw,
  });

  if (current < config.minWorkers) return out(clamp(Math.max(raw, config.minWorkers)), "raise to min");
  if (current > config.maxWorkers) return out(config.maxWorkers, "lower to max");

  // From zero: KEDA-style activation, then the normal rule.
  if (current === 0) {
    if (backlog < activation) return out(0, "hold: below activation backlog");
    const n = clamp(Math.max(1, raw));
    return out(n, n < Math.max(1, raw) ? "scale-out (capped at max)" : "activate from zero");
  }

  if (raw > current) {
    if (current >= config.maxWorkers) return out(current, "scale-out (capped at max)");
    const n = clamp(raw);
    return out(n, n < raw ? "scale-out (capped at max)" : "scale-out");
  }

  // Idle long enough: straight to the minimum (scale to zero when min = 0).
  const idleFor = state.idleSince === undefined ? 0 : state.now - state.idleSince;
  // "Quiet": fewer than one arrival expected over the idle window (an arrival EWMA never reaches 0 exactly).
  const quiet = arrival * Math.max(1, config.idleToMinSeconds) < 1;
  if (backlog === 0 && quiet && state.idleSince !== undefined && idleFor >= config.idleToMinSeconds) {
    return current > config.minWorkers
      ? out(config.minWorkers, "idle → min")
      : out(current, "hold: within target");
  }

  // Scale-in candidate, with hysteresis: the count that would run at ≤ (1 - h) of the target load.
  // Never below 1 here: only the idle rule may reach 0.
  const inTarget = Math.max(1, clamp(Math.ceil(load / (1 - h) - 1e-9)));
  if (inTarget >= current) {
    return out(current, raw < current ? "hold: hysteresis band" : "hold: within target");
  }
  if (state.lastScaleAt !== undefined && state.now - state.lastScaleAt < config.scaleInCooldownSeconds) {
    return out(current, "hold: scale-in cooldown");
  }
  return out(inTarget, "scale-in");
}

/**
 * A small stateful wrapper that keeps `lastScaleAt` and `idleSince` for callers that poll the queue
 * periodically (the scorer's own autoscaler loop, the simulation). The decision itself stays in
 * `desiredWorkers`.
 */
export interface Autoscaler {
  step(obs: QueueObservation): ScalingDecision;
  readonly workers: number;
}

export function createAutoscaler(config: ScalingConfig, initialWorkers = config.minWorkers): Autoscaler {
  validateScalingConfig(config);
  let workers = initialWorkers;
  let lastScaleAt: number | undefined;
  let idleSince: number | undefined;
  return {
    get workers() {
      return workers;
    },
    step(obs) {
      const empty = obs.visible + obs.inFlight <= 0;
      if (!empty) idleSince = undefined;
      else if (idleSince === undefined) idleSince = obs.now;
      const d = desiredWorkers({ ...obs, currentWorkers: workers, lastScaleAt, idleSince }, config);
      if (d.workers !== workers) {
        workers = d.workers;
        lastScaleAt = obs.now;
      }
      return d;
    },
  };
}

/**
 * Time-aware exponentially weighted moving average. `halfLifeSeconds` is the age at which an old value
 * weighs half. Invalid samples (NaN, infinite, negative) leave the average unchanged; the first valid
 * sample initialises it.
 */
export function ewma(
  previous: number | undefined,
  sample: number,
  dtSeconds: number,
  halfLifeSeconds: number,
): number | undefined {
  if (!Number.isFinite(sample) || sample < 0) return previous;
  if (previous === undefined || !Number.isFinite(previous)) return sample;
  const dt = Math.max(0, dtSeconds);
  const keep = halfLifeSeconds > 0 ? Math.pow(0.5, dt / halfLifeSeconds) : 0;
  return keep * previous + (1 - keep) * sample;
}

/**
 * Per-worker throughput sample: messages finished per busy worker-second. Returns NaN (ignored by
 * `ewma`) when nobody was busy — a cold start or an idle period says nothing about capacity.
 */
export function throughputSample(messagesDone: number, busyWorkerSeconds: number): number {
  return busyWorkerSeconds > 0 && messagesDone >= 0 ? messagesDone / busyWorkerSeconds : Number.NaN;
}

// ---------------------------------------------------------------------------------------------
// Application Auto Scaling target tracking, for comparison
// ---------------------------------------------------------------------------------------------

export interface TargetTrackingConfig {
  minCapacity: number;
  maxCapacity: number;
  /** target_value: acceptable backlog per task (target lag × per-task throughput, fixed at deploy time). */
  targetValue: number;
  /** scale_out_cooldown, seconds (Terraform default in this repo: 60). */
  scaleOutCooldownSeconds: number;
  /** scale_in_cooldown, seconds (300). */
  scaleInCooldownSeconds: number;
  /** Consecutive datapoints above target that fire the high alarm (AWS: 3 × 1 min). */
  highDatapoints?: number;
  /** Consecutive datapoints below `lowThresholdRatio × target` that fire the low alarm (AWS: 15 × 1 min). */
  lowDatapoints?: number;
  /** AWS creates the low alarm at 90 % of the target. */
  lowThresholdRatio?: number;
}

export interface TargetTrackingState {
  now: number;
  /** The scalable target's current desired capacity (running + pending tasks). */
  desiredCapacity: number;
  /**
   * 1-minute datapoints of the metric-math expression e1 = m1 / IF(m2 > 0, m2, 1), oldest first
   * (m1 = ApproximateNumberOfMessagesVisible, + ApproximateNumberOfMessagesNotVisible in this
   * repository's Terraform; m2 = RunningTaskCount).
   */
  datapoints: number[];
  lastScaleOutAt?: number;
  lastScaleInAt?: number;
}

export interface TargetTrackingDecision {
  capacity: number;
  reason: "alarm-high scale-out" | "alarm-low scale-in" | "cooldown" | "no alarm" | "capped";
}

/** The metric math of the Terraform policy: backlog per running task, defined when no task runs. */
export function backlogPerTaskMetric(messages: number, runningTasks: number): number {
  return messages / (runningTasks > 0 ? runningTasks : 1);
}

/**
 * One evaluation of a target-tracking policy on the backlog-per-task metric.
 *
 * When an alarm fires, the new capacity is proportional, ceil(capacity × metric / target), with the
 * capacity taken as at least 1 (the metric math already divides by 1 when no task runs). A scale-out
 * during the scale-out cooldown happens only if it asks for more than the capacity set by the last one;
 * scale-in waits for both cooldowns. Scale-in never goes more than to the proportional value.
 */
export function targetTrackingDesired(
  s: TargetTrackingState,
  c: TargetTrackingConfig,
): TargetTrackingDecision {
  const hi = c.highDatapoints ?? 3;
  const lo = c.lowDatapoints ?? 15;
  const ratio = c.lowThresholdRatio ?? 0.9;
  const cap = s.desiredCapacity;
  const clamp = (n: number) => Math.min(c.maxCapacity, Math.max(c.minCapacity, n));
  if (cap < c.minCapacity) return { capacity: c.minCapacity, reason: "alarm-high scale-out" };
  const pts = s.datapoints;
  const last = pts.length ? pts[pts.length - 1]! : 0;
  const tail = (k: number) => (pts.length >= k ? pts.slice(pts.length - k) : undefined);
  const high = tail(hi)?.every((v) => v > c.targetValue) ?? false;
  const low = tail(lo)?.every((v) => v < ratio * c.targetValue) ?? false;
  const proportional = Math.ceil((Math.max(1, cap) * last) / c.targetValue - 1e-9);
  const since = (t: number | undefined) => (t === undefined ? Infinity : s.now - t);

  if (high) {
    const n = clamp(proportional);
    if (n <= cap) return { capacity: cap, reason: cap >= c.maxCapacity ? "capped" : "no alarm" };
    // Within the scale-out cooldown the metric still reflects tasks that are starting; AWS counts the
    // capacity added by the last scale-out and does not add more until the cooldown has passed.
    if (since(s.lastScaleOutAt) < c.scaleOutCooldownSeconds) return { capacity: cap, reason: "cooldown" };
    return { capacity: n, reason: "alarm-high scale-out" };
  }
  if (low) {
    const n = clamp(proportional);
    if (n >= cap) return { capacity: cap, reason: "no alarm" };
    if (
      since(s.lastScaleInAt) < c.scaleInCooldownSeconds ||
      since(s.lastScaleOutAt) < c.scaleInCooldownSeconds
    )
      return { capacity: cap, reason: "cooldown" };
    return { capacity: n, reason: "alarm-low scale-in" };
  }
  return { capacity: cap, reason: "no alarm" };
}
