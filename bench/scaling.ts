/**
 * Autoscaling simulation: replays a month-sized arrival curve through a queue served by GPU scorer
 * workers, once with revrisk's policy (shared/pipeline/autoscaling.ts `desiredWorkers`) and once with the
 * Application Auto Scaling target-tracking rule on backlog per task (`targetTrackingDesired`), and
 * prints workers over time, lag percentiles and worker-hours for both.
 *
 *   npm run bench -- scaling [--per-worker 400] [--max 20] [--target-lag 60] [--startup 180] ...
 *   node bench/scaling.ts --help
 *
 * Model (deterministic for a given --seed):
 * - live edits: a diurnal curve with mean ≈ 16/s and a daily peak ≈ 50/s (Wikimedia's published edit rates for the 47 Wikipedias),
 *   Poisson noise, plus a few short bot bursts a day (≈ 200/s for minutes);
 * - a backfill: 16 M revisions enqueued at --backfill-rate starting on --backfill-day;
 * - one FIFO queue; each ready worker processes --per-worker messages/s (± 5 % noise per step) and
 *   holds up to --inflight messages received but not deleted (counted as in flight);
 * - a new worker is billed from the moment it is requested and serves after --startup seconds
 *   (instance/image/model start); a removed worker stops at once;
 * - revrisk's policy polls every --poll seconds (KEDA's pollingInterval role) with EWMA arrival rate
 *   and EWMA measured throughput; target tracking sees one datapoint a minute of
 *   (visible + in flight) / max(running, 1) — the metric math of terraform/autoscaling.tf — and acts
 *   on the AWS alarm rules (3 high / 15 low datapoints).
 */
import { parseArgs } from "node:util";
import { mulberry32 } from "../models/rng.ts";
import {
  backlogPerTaskMetric,
  createAutoscaler,
  ewma,
  targetBacklogPerWorker,
  targetTrackingDesired,
  throughputSample,
  type ScalingConfig,
  type TargetTrackingConfig,
} from "../shared/pipeline/autoscaling.ts";

export interface SimParams {
  days: number;
  dt: number;
  seed: number;
  meanRate: number;
  peakRate: number;
  burstsPerDay: number;
  burstRate: number;
  burstSeconds: number;
  backfill: number;
  backfillDay: number;
  backfillRate: number;
  perWorker: number;
  inflightPerWorker: number;
  startup: number;
  targetLag: number;
  min: number;
  max: number;
  scaleInCooldown: number;
  scaleOutCooldown: number;
  idle: number;
  poll: number;
}

export const defaults: SimParams = {
  days: 30,
  dt: 5,
  seed: 42,
  meanRate: 16,
  peakRate: 50,
  burstsPerDay: 2,
  burstRate: 200,
  burstSeconds: 600,
  backfill: 16_000_000,
  backfillDay: 12,
  backfillRate: 20_000,
  perWorker: 400,
  inflightPerWorker: 64,
  startup: 180,
  targetLag: 60,
  min: 1,
  max: 20,
  scaleInCooldown: 300,
  scaleOutCooldown: 180,
  idle: 900,
  poll: 15,
};

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Diurnal live-edit rate (messages/s) at time t: base + 6·sin over the day + a Gaussian peak at 14:00
 * UTC (σ 1.5 h) sized so that the daily mean is `mean` and the peak is `peak`.
 */
export function liveRate(t: number, mean: number, peak: number): number {
  const amp = 6;
  const sigmaH = 1.5;
  const bumpShare = (sigmaH * Math.sqrt(2 * Math.PI)) / 24; // mean of the bump over a day per unit height
  const bump = (peak - mean - amp) / (1 - bumpShare);
  const base = mean - bump * bumpShare;
  const h = (t / 3600) % 24;
  return Math.max(
    0,
    base +
      amp * Math.sin((2 * Math.PI * (h - 8)) / 24) +
      bump * Math.exp(-((h - 14) ** 2) / (2 * sigmaH ** 2)),
  );
}

interface Arrivals {
  live: Float64Array;
  backfill: Float64Array;
}

/** Arrivals per step, generated once so both policies see exactly the same curve. */
export function makeArrivals(p: SimParams): Arrivals {
  const steps = Math.ceil((p.days * 86_400) / p.dt);
  const rand = mulberry32(p.seed);
  const live = new Float64Array(steps);
  const backfill = new Float64Array(steps);
  const bursts: Array<[number, number]> = [];
  for (let d = 0; d < p.days; d++)
    for (let b = 0; b < p.burstsPerDay; b++) {
      const start = d * 86_400 + rand() * 86_400;
      bursts.push([start, start + p.burstSeconds * (0.5 + rand())]);
    }
  // bursts are part of the mean rate: the diurnal curve carries the rest
  const burstMean = (p.burstsPerDay * p.burstSeconds * p.burstRate) / 86_400;
  const bfStart = p.backfillDay * 86_400;
  let bfLeft = p.backfill;
  for (let i = 0; i < steps; i++) {
    const t = i * p.dt;
    let rate = liveRate(t, p.meanRate - burstMean, p.peakRate - burstMean);
    for (const [s, e] of bursts) if (t >= s && t < e) rate += p.burstRate;
    const lambda = rate * p.dt;
    live[i] = Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(rand)));
    if (t >= bfStart && bfLeft > 0) {
      const n = Math.min(bfLeft, p.backfillRate * p.dt);
      backfill[i] = n;
      bfLeft -= n;
    }
  }
  return { live, backfill };
}

type PolicyName = "revrisk" | "target-tracking";

export interface SimResult {
  policy: PolicyName;
  workerHours: number;
  liveP50: number;
  liveP99: number;
  livePeak: number;
  backfillPeak: number;
  allP99: number;
  backfillDrainedAt: number | undefined;
  scaleActions: number;
  maxWorkers: number;
  leftInQueue: number;
  /** Requested workers per step (for charts). */
  workers: Uint16Array;
  /** Messages in the queue (visible + in flight) per step. */
  backlog: Float64Array;
}

const LAG_BINS = 6 * 3600; // 1-s bins up to 6 h; longer lags go to the last bin (the peak is kept exactly)

class LagHistogram {
  readonly bins = new Float64Array(LAG_BINS + 1);
  total = 0;
  peak = 0;
  add(lag: number, count: number): void {
    if (count <= 0) return;
    this.bins[Math.min(LAG_BINS, Math.max(0, Math.floor(lag)))]! += count;
    this.total += count;
    if (lag > this.peak) this.peak = lag;
  }
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const want = q * this.total;
    let acc = 0;
    for (let i = 0; i <= LAG_BINS; i++) {
      acc += this.bins[i]!;
      if (acc >= want) return i === LAG_BINS ? this.peak : i + 1;
    }
    return this.peak;
  }
  merge(o: LagHistogram): LagHistogram {
    const m = new LagHistogram();
    for (let i = 0; i <= LAG_BINS; i++) m.bins[i] = this.bins[i]! + o.bins[i]!;
    m.total = this.total + o.total;
    m.peak = Math.max(this.peak, o.peak);
    return m;
  }
}

export function simulate(p: SimParams, arrivals: Arrivals, policy: PolicyName): SimResult {
  const steps = arrivals.live.length;
  const rand = mulberry32(p.seed ^ 0x9e3779b9);
  // FIFO of cohorts: arrival time, remaining count, kind (0 live, 1 backfill)
  const qt: number[] = [];
  const qn: number[] = [];
  const qk: number[] = [];
  let head = 0;
  let queued = 0;
  const lagLive = new LagHistogram();
  const lagBf = new LagHistogram();
  let bfRemaining = 0;
  let bfSeen = 0;
  let backfillDrainedAt: number | undefined;

  // workers: ready times of requested workers, sorted ascending
  let readyAt: number[] = Array.from({ length: p.min }, () => 0);
  let workerSeconds = 0;
  let scaleActions = 0;
  let maxWorkers = readyAt.length;
  const workers = new Uint16Array(steps);
  const backlog = new Float64Array(steps);

  const ours: ScalingConfig = {
    minWorkers: p.min,
    maxWorkers: p.max,
    targetLagSeconds: p.targetLag,
    defaultThroughputPerWorker: p.perWorker,
    scaleInCooldownSeconds: p.scaleInCooldown,
    idleToMinSeconds: p.idle,
  };
  const scaler = createAutoscaler(ours, p.min);
  const tt: TargetTrackingConfig = {
    minCapacity: p.min,
    maxCapacity: p.max,
    targetValue: targetBacklogPerWorker(p.targetLag, p.perWorker),
    scaleOutCooldownSeconds: p.scaleOutCooldown,
    scaleInCooldownSeconds: p.scaleInCooldown,
  };
  const datapoints: number[] = [];
  let lastOut: number | undefined;
  let lastIn: number | undefined;
  let arrivalEwma: number | undefined;
  let tputEwma: number | undefined;

  const setWorkers = (n: number, now: number) => {
    if (n === readyAt.length) return;
    scaleActions++;
    if (n > readyAt.length) {
      while (readyAt.length < n) readyAt.push(now + p.startup);
    } else {
      // stop the youngest (still starting) first
      readyAt = readyAt.slice(0, n);
    }
    if (n > maxWorkers) maxWorkers = n;
  };

  for (let i = 0; i < steps; i++) {
    const t0 = i * p.dt;
    const t1 = t0 + p.dt;
    const nLive = arrivals.live[i]!;
    const nBf = arrivals.backfill[i]!;
    const tMid = t0 + p.dt / 2;
    if (nLive > 0) {
      qt.push(tMid);
      qn.push(nLive);
      qk.push(0);
      queued += nLive;
    }
    if (nBf > 0) {
      qt.push(tMid);
      qn.push(nBf);
      qk.push(1);
      queued += nBf;
      bfRemaining += nBf;
      bfSeen += nBf;
    }
    arrivalEwma = ewma(arrivalEwma, (nLive + nBf) / p.dt, p.dt, 60);

    // serve
    let ready = 0;
    for (const r of readyAt) if (r <= t0) ready++;
    const perWorker = p.perWorker * Math.max(0.5, 1 + 0.05 * gaussian(rand));
    let capacity = ready * perWorker * p.dt;
    let done = 0;
    while (capacity > 0 && head < qn.length) {
      const take = Math.min(capacity, qn[head]!);
      qn[head]! -= take;
      capacity -= take;
      done += take;
      queued -= take;
      if (qk[head] === 0) lagLive.add(t1 - qt[head]!, take);
      else {
        lagBf.add(t1 - qt[head]!, take);
        bfRemaining -= take;
      }
      if (qn[head]! <= 1e-9) head++;
    }
    if (head > 65_536) {
      qt.splice(0, head);
      qn.splice(0, head);
      qk.splice(0, head);
      head = 0;
    }
    if (bfSeen > 0 && bfRemaining <= 1e-6 && backfillDrainedAt === undefined && bfSeen >= p.backfill)
      backfillDrainedAt = t1;
    tputEwma = ewma(tputEwma, throughputSample(done, done / perWorker), p.dt, 120);

    const inFlight = Math.min(queued, ready * p.inflightPerWorker);
    const visible = queued - inFlight;

    // decide
    if (policy === "revrisk") {
      if (i % Math.max(1, Math.round(p.poll / p.dt)) === 0) {
        const d = scaler.step({
          now: t1,
          visible,
          inFlight,
          arrivalRate: arrivalEwma,
          throughputPerWorker: tputEwma,
        });
        setWorkers(d.workers, t1);
      }
    } else if (i % Math.round(60 / p.dt) === 0) {
      datapoints.push(backlogPerTaskMetric(visible + inFlight, ready)); // terraform: (m1 + m3) / IF(m2 > 0, m2, 1)
      if (datapoints.length > 15) datapoints.shift();
      const d = targetTrackingDesired(
        {
          now: t1,
          desiredCapacity: readyAt.length,
          datapoints,
          lastScaleOutAt: lastOut,
          lastScaleInAt: lastIn,
        },
        tt,
      );
      if (d.capacity > readyAt.length) lastOut = t1;
      if (d.capacity < readyAt.length) lastIn = t1;
      setWorkers(d.capacity, t1);
    }
    workerSeconds += readyAt.length * p.dt;
    workers[i] = readyAt.length;
    backlog[i] = queued;
  }

  return {
    policy,
    workerHours: workerSeconds / 3600,
    liveP50: lagLive.quantile(0.5),
    liveP99: lagLive.quantile(0.99),
    livePeak: lagLive.peak,
    backfillPeak: lagBf.peak,
    allP99: lagLive.merge(lagBf).quantile(0.99),
    backfillDrainedAt,
    scaleActions,
    maxWorkers,
    leftInQueue: queued,
    workers,
    backlog,
  };
}

function fmtDuration(s: number | undefined): string {
  if (s === undefined) return "—";
  if (s < 120) return `${s.toFixed(0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}
function lpad(s: string, n: number): string {
  return s.length >= n ? s : " ".repeat(n - s.length) + s;
}

function clock(t: number): string {
  const d = Math.floor(t / 86_400);
  const h = Math.floor((t % 86_400) / 3600);
  const m = Math.floor((t % 3600) / 60);
  return `d${String(d).padStart(2, "0")} ${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

export function report(p: SimParams, results: SimResult[], arrivals: Arrivals): string {
  const out: string[] = [];
  const totalLive = arrivals.live.reduce((a, b) => a + b, 0);
  const target = targetBacklogPerWorker(p.targetLag, p.perWorker);
  out.push(
    `revrisk autoscaling simulation — ${p.days} days, dt ${p.dt} s, seed ${p.seed}`,
    `live edits: ${(totalLive / 1e6).toFixed(1)} M (mean ${(totalLive / (p.days * 86_400)).toFixed(1)}/s, daily peak ≈ ${p.peakRate}/s, ${p.burstsPerDay} bot bursts/day at +${p.burstRate}/s); ` +
      `backfill: ${(p.backfill / 1e6).toFixed(1)} M enqueued at ${p.backfillRate}/s on day ${p.backfillDay}`,
    `workers: ${p.perWorker} msg/s each, start-up ${p.startup} s, min ${p.min}, max ${p.max}; target lag ${p.targetLag} s → ` +
      `target backlog per worker ${target}; scale-in cooldown ${p.scaleInCooldown} s, scale-out cooldown (AWS) ${p.scaleOutCooldown} s`,
    "",
  );
  const cols = [
    "policy",
    "live p50",
    "live p99",
    "live peak",
    "all p99",
    "backfill peak",
    "backfill drained",
    "worker-h",
    "max W",
    "actions",
  ];
  const widths = [16, 9, 9, 10, 9, 13, 16, 9, 6, 8];
  out.push(cols.map((c, i) => (i === 0 ? pad(c, widths[i]!) : lpad(c, widths[i]!))).join(" "));
  const bfStart = p.backfillDay * 86_400;
  for (const r of results) {
    const row = [
      r.policy,
      fmtDuration(r.liveP50),
      fmtDuration(r.liveP99),
      fmtDuration(r.livePeak),
      fmtDuration(r.allP99),
      fmtDuration(r.backfillPeak),
      r.backfillDrainedAt === undefined ? "not drained" : `+${fmtDuration(r.backfillDrainedAt - bfStart)}`,
      r.workerHours.toFixed(1),
      String(r.maxWorkers),
      String(r.scaleActions),
    ];
    out.push(row.map((c, i) => (i === 0 ? pad(c, widths[i]!) : lpad(c, widths[i]!))).join(" "));
  }
  if (results.length === 2) {
    const [a, b] = results as [SimResult, SimResult];
    const base = p.min * p.days * 24;
    const pct = (x: number, y: number) => (y === 0 ? "n/a" : `${(((x - y) / y) * 100).toFixed(1)} %`);
    out.push(
      "",
      `difference (revrisk vs target tracking): worker-hours ${(a.workerHours - b.workerHours).toFixed(1)} h (${pct(a.workerHours, b.workerHours)}; ` +
        `above the always-on minimum: ${(a.workerHours - base).toFixed(1)} vs ${(b.workerHours - base).toFixed(1)} h, ${pct(a.workerHours - base, b.workerHours - base)}), ` +
        `backfill peak lag ${pct(a.backfillPeak, b.backfillPeak)}, live peak lag ${pct(a.livePeak, b.livePeak)}, ` +
        `live p99 ${fmtDuration(a.liveP99)} vs ${fmtDuration(b.liveP99)}, ` +
        `drain ${a.backfillDrainedAt && b.backfillDrainedAt ? fmtDuration(a.backfillDrainedAt - b.backfillDrainedAt) : "—"}`,
    );
  }

  // Chart around the backfill: requested workers, ≤ 40 rows, bars ≤ 40 characters.
  const from = Math.max(0, Math.floor((bfStart - 900) / p.dt));
  const drained = Math.max(...results.map((r) => r.backfillDrainedAt ?? bfStart + 3 * 3600));
  const to = Math.min(results[0]!.workers.length, Math.ceil((drained + 1800) / p.dt));
  const rowSeconds = Math.max(300, Math.ceil(((to - from) * p.dt) / 40 / 300) * 300);
  const stepsPerRow = Math.max(1, Math.round(rowSeconds / p.dt));
  const perChar = Math.max(1, Math.ceil(p.max / 40));
  const bar = (n: number, ch: string) => ch.repeat(Math.ceil(n / perChar));
  out.push(
    "",
    `workers around the backfill (every ${rowSeconds / 60} min; R = revrisk, T = target tracking; 1 char = ${perChar} worker${perChar > 1 ? "s" : ""})`,
  );
  out.push(`${pad("time", 9)} ${lpad("backlog R", 11)} ${lpad("backlog T", 11)}  workers`);
  for (let i = from; i < to; i += stepsPerRow) {
    const [r, t] = results;
    const wr = r!.workers[i]!;
    const wt = t ? t.workers[i]! : 0;
    out.push(
      `${clock(i * p.dt)} ${lpad(Math.max(0, Math.round(r!.backlog[i]!)).toLocaleString("en-US"), 11)} ${lpad(t ? Math.max(0, Math.round(t.backlog[i]!)).toLocaleString("en-US") : "", 11)}  ` +
        `R ${lpad(String(wr), 2)} ${pad(bar(wr, "█"), Math.ceil(p.max / perChar))}  T ${lpad(String(wt), 2)} ${bar(wt, "▒")}`,
    );
  }

  // Month overview: max requested workers per day.
  out.push("", "max workers per day (R / T):");
  const perDay = Math.round(86_400 / p.dt);
  const days: string[] = [];
  for (let d = 0; d < p.days; d++) {
    const m = results.map((r) => {
      let x = 0;
      for (let i = d * perDay; i < Math.min(r.workers.length, (d + 1) * perDay); i++)
        x = Math.max(x, r.workers[i]!);
      return x;
    });
    days.push(`d${String(d).padStart(2, "0")} ${m.join("/")}`);
  }
  for (let i = 0; i < days.length; i += 10)
    out.push(
      "  " +
        days
          .slice(i, i + 10)
          .map((s) => pad(s, 11))
          .join(" "),
    );
  return out.join("\n");
}

const numeric = Object.keys(defaults) as Array<keyof SimParams>;

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

export function parseSimArgs(args: string[]): SimParams | "help" {
  const options = Object.fromEntries(numeric.map((k) => [kebab(k), { type: "string" as const }]));
  const { values } = parseArgs({
    args,
    options: { ...options, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) return "help";
  const p = { ...defaults };
  for (const k of numeric) {
    const v = (values as Record<string, string | undefined>)[kebab(k)];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`--${kebab(k)} must be a non-negative number, got ${v}`);
    p[k] = n;
  }
  if (p.dt <= 0 || 60 % p.dt !== 0) throw new Error("--dt must divide 60");
  return p;
}

export async function run(args: string[]): Promise<void> {
  const p = parseSimArgs(args);
  if (p === "help") {
    console.log(
      "usage: npm run bench -- scaling [options]\n" +
        numeric.map((k) => `  --${pad(kebab(k), 20)} default ${defaults[k]}`).join("\n"),
    );
    return;
  }
  const t0 = performance.now();
  const arrivals = makeArrivals(p);
  const results = [simulate(p, arrivals, "revrisk"), simulate(p, arrivals, "target-tracking")];
  console.log(report(p, results, arrivals));
  console.log(`\nsimulated in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}

if (import.meta.main) await run(process.argv.slice(2));
