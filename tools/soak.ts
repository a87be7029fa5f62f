/**
 * Fault soak of the deployed shape (docs/reliability.md): page_change events POSTed at a steady rate
 * to a real `revrisk ingest` process → SQS (fauxqs) → two real `revrisk scorer` processes → a real
 * `revrisk eventgate-sink` process (DuckDB), against the MediaWiki fixture server answering a share
 * of requests with 429 + Retry-After, 503 or a hang past the client's timeout. While events flow it
 * SIGKILLs a scorer holding messages and starts another, and stops the sink for a while. At the end
 * it accounts for every event: published exactly once (duplicates counted on meta.id), nothing left
 * in the queue, the DLQ holding only the invalid messages with their reasons; and it reports each
 * process' RSS and open file descriptors at start, peak and end (/proc). Used by test/soak.test.ts
 * (CI size) and `npm run bench -- soak` (long size).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { DuckDBInstance } from "@duckdb/node-api";
import { startLocalSqs } from "../standins/sqs-fauxqs/fauxqs.ts";
import { startMwFixtureServer, type MwFaultShares } from "../standins/mediawiki-fixture/server.ts";
import { PARITY_FILES, seededStore } from "../standins/mediawiki-fixture/store.ts";
import { pageChangeEventsFromStore } from "../standins/mediawiki-fixture/replay.ts";
import { SqsQueue } from "../shared/queue/sqs-queue.ts";

const ROOT = resolve(import.meta.dirname, "..");

export interface SoakOptions {
  /** Where the processes keep their files. */
  dir: string;
  /** Valid page_change events to ingest (≥ 5,000 for the soak). */
  events: number;
  /** Events per second, steady. */
  rate: number;
  /** How long the sink stays down. */
  sinkDownS: number;
  faults?: MwFaultShares;
  /** Scorer visibility timeout (s): how soon a killed scorer's messages come back. Default 10. */
  visibilityTimeoutS?: number;
  log?: (line: string) => void;
}

export interface ProcessResources {
  name: string;
  pid: number;
  /** After start-up (ready). */
  startRssMiB: number;
  startFds: number;
  /** VmHWM at the end: the most the process ever held. */
  peakRssMiB: number;
  endRssMiB: number;
  endFds: number;
}

export interface SoakReport {
  ingested: number;
  /** Events the ingest answered for with a per-event rejection or filter, by reason. */
  droppedByReason: Record<string, number>;
  /** Poison messages put on the queue directly (not through ingest). */
  poisonSent: number;
  published: number;
  /** Re-sent events the sink recognised by meta.id (stored once). */
  duplicates: number;
  /** Scorable events missing from the results table. */
  lost: number;
  unexpected: number;
  queueLeft: { visible: number; inFlight: number };
  deadLettered: Array<{ reason: string }>;
  faults: {
    mediawiki: Record<string, number>;
    scorersKilled: number;
    sinkDownS: number;
  };
  seconds: { ingest: number; total: number };
  resources: ProcessResources[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** RSS (MiB), VmHWM (MiB) and open fds of a process, from /proc. */
export function procStats(pid: number): { rssMiB: number; hwmMiB: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return {
    rssMiB: Math.round(kb("VmRSS") / 1024),
    hwmMiB: Math.round(kb("VmHWM") / 1024),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

interface Child {
  name: string;
  proc: ChildProcess;
  output: () => string;
  start?: { rssMiB: number; fds: number };
}

/** Spawns `node bin/revrisk.ts …` and resolves once its output matches `ready`. */
async function revrisk(
  name: string,
  args: string[],
  ready: RegExp,
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<Child & { match: RegExpExecArray }> {
  const proc = spawn(process.execPath, ["bin/revrisk.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, REVRISK_LOG_FORMAT: "json", REVRISK_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  // Keep the tail only: a long soak must not grow the harness' memory either.
  const add = (b: Buffer) => (out = (out + b.toString()).slice(-200_000));
  proc.stdout!.on("data", add);
  proc.stderr!.on("data", add);
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const m = ready.exec(out);
    if (m) return { name, proc, output: () => out, match: m };
    if (proc.exitCode !== null)
      throw new Error(`${name} exited (${proc.exitCode}) before it was ready:\n${out}`);
    await sleep(100);
  }
  proc.kill("SIGKILL");
  throw new Error(`${name} not ready within ${timeoutMs} ms:\n${out}`);
}

async function stop(child: Child, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return child.proc.exitCode;
  const exited = new Promise<number | null>((r) => child.proc.once("exit", (code) => r(code)));
  child.proc.kill(signal);
  const timer = setTimeout(() => child.proc.kill("SIGKILL"), 60_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  mkdirSync(o.dir, { recursive: true });
  const children: Child[] = [];
  const resources: ProcessResources[] = [];
  const sqs = await startLocalSqs();
  const mwFiles = PARITY_FILES.filter((f) => !f.includes("real-articles")); // small edits: many per second
  // Events of the wikis the model scores (the others are filtered at ingest, by design).
  const manifest = JSON.parse(readFileSync(join(ROOT, "models/fixture/manifest.json"), "utf8")) as {
    supported_wikis: string[];
  };
  const supported = new Set(manifest.supported_wikis.map((l) => `${l.replace(/-/g, "_")}wiki`));
  const scorable = (store: ReturnType<typeof seededStore>) =>
    pageChangeEventsFromStore(store).filter((e) => supported.has(e.wiki_id as string));
  const rounds = Math.ceil(o.events / scorable(seededStore(mwFiles)).length);
  const store = seededStore(mwFiles, rounds);
  const mw = await startMwFixtureServer({ store, faultShares: o.faults, recordRequests: false });
  const events = scorable(store).slice(0, o.events);
  if (events.length < o.events) throw new Error(`only ${events.length} scorable events in ${rounds} rounds`);
  try {
    const { queueUrl, dlqUrl } = await sqs.createQueue("soak", { maxReceiveCount: 5 });
    const awsEnv = {
      AWS_ACCESS_KEY_ID: sqs.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sqs.credentials.secretAccessKey,
      AWS_REGION: sqs.region,
    };
    const queueArgs = ["--queue-url", queueUrl, "--dlq-url", dlqUrl, "--sqs-endpoint", sqs.endpoint];
    const queue = new SqsQueue({
      queueUrl,
      dlqUrl,
      endpoint: sqs.endpoint,
      region: sqs.region,
      credentials: sqs.credentials,
    });

    const sinkPort = await freePort();
    const dbPath = join(o.dir, "results.duckdb");
    const startSink = () =>
      revrisk(
        "eventgate-sink",
        ["eventgate-sink", "--port", String(sinkPort), "--db", dbPath, "--data-dir", o.dir],
        /eventgate-sink listening/,
        {},
      );
    // Start-up in parallel (each loads its own runtime).
    const sinkStarting = startSink();
    const ingestStarting = revrisk(
      "ingest",
      ["ingest", "--port", "0", "--data-dir", join(o.dir, "ingest"), ...queueArgs],
      /ingest listening on (http:\/\/\S+)/,
      awsEnv,
    );

    let scorerN = 0;
    const startScorer = async () => {
      const n = ++scorerN;
      const c = await revrisk(
        `scorer-${n}`,
        [
          "scorer",
          ...queueArgs,
          "--eventgate-url",
          `http://127.0.0.1:${sinkPort}/v1/events`,
          "--mediawiki-url",
          mw.apiBase,
          "--model",
          "models/fixture",
          "--provider",
          "cpu",
          "--pollers",
          "2",
          "--visibility-timeout",
          String(o.visibilityTimeoutS ?? 10),
          "--wait",
          "1",
          "--data-dir",
          join(o.dir, `scorer-${n}`),
          "--no-api",
        ],
        /scorer running/,
        { ...awsEnv, REVRISK_LOG_LEVEL: "info", REVRISK_MW_TIMEOUT_MS: "1500", REVRISK_MW_RETRIES: "4" },
      );
      children.push(c);
      return c;
    };
    const scorers = await Promise.all([startScorer(), startScorer()]);
    let sink: Child = await sinkStarting;
    const ingest = await ingestStarting;
    children.push(sink, ingest);
    const ingestUrl = ingest.match[1]!;
    for (const c of children) {
      const s = procStats(c.proc.pid!);
      c.start = { rssMiB: s.rssMiB, fds: s.fds };
    }
    log(`soak: ${events.length} events at ${o.rate}/s; sink :${sinkPort}; ingest ${ingestUrl}`);

    // Poison put on the queue directly (a foreign producer): each must end in the DLQ with its reason.
    const poison = ["not json at all", '{"v":9,"wiki":"enwiki","rev_id":1}'];
    for (const body of poison)
      await queue.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));

    // The fault schedule, by ingest progress.
    const ingestS = events.length / o.rate;
    let killed = 0;
    const faultsDone = (async () => {
      await sleep(ingestS * 250);
      // SIGKILL a scorer while it holds messages (mid-batch), then start another.
      const victim = scorers[0]!;
      for (let i = 0; i < 100 && (await queue.depth()).inFlight === 0; i++) await sleep(100);
      log(`soak: SIGKILL ${victim.name} (queue ${JSON.stringify(await queue.depth())})`);
      resources.push(final(victim));
      victim.proc.kill("SIGKILL");
      killed++;
      scorers.push(await startScorer());
      const fresh = scorers.at(-1)!;
      const s = procStats(fresh.proc.pid!);
      fresh.start = { rssMiB: s.rssMiB, fds: s.fds };
      await sleep(ingestS * 150);
      log(`soak: sink down for ${o.sinkDownS} s`);
      await stop(sink);
      await sleep(o.sinkDownS * 1000);
      const old = sink;
      sink = await startSink();
      children.splice(children.indexOf(old), 1, sink);
      const ss = procStats(sink.proc.pid!);
      sink.start = { rssMiB: ss.rssMiB, fds: ss.fds };
      log("soak: sink back");
    })();

    // Steady producer: a batch every 250 ms; a few events the ingest must refuse, by reason.
    const dropped: Record<string, number> = {};
    let ingested = 0;
    const perTick = Math.max(1, Math.round(o.rate / 4));
    const tIngest = performance.now();
    for (let i = 0, tick = 0; i < events.length; i += perTick, tick++) {
      const batch: unknown[] = events.slice(i, i + perTick);
      // Now and then a talk-page edit (filtered) and an event that is not a page_change (invalid).
      if (tick % 20 === 0)
        batch.push({ ...events[i]!, page: { ...(events[i]!.page as object), namespace_id: 1 } });
      if (tick % 50 === 0) batch.push({ meta: { stream: "mediawiki.page_change.v1" }, bogus: true });
      const res = await fetch(`${ingestUrl}/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(batch),
      });
      const body = (await res.json()) as {
        accepted?: number;
        invalid?: number;
        skipped?: Record<string, number>;
      };
      if (res.status >= 500) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(body)}`);
      ingested += body.accepted ?? 0;
      if (body.invalid) dropped.invalid = (dropped.invalid ?? 0) + body.invalid;
      for (const [k, v] of Object.entries(body.skipped ?? {})) dropped[k] = (dropped[k] ?? 0) + v;
      const due = tIngest + ((tick + 1) * 1000) / 4;
      await sleep(Math.max(0, due - performance.now()));
    }
    const ingestSeconds = (performance.now() - tIngest) / 1000;
    log(`soak: ingested ${ingested} in ${ingestSeconds.toFixed(1)} s`);
    await faultsDone;

    // Drain: the queue empties (the scorers' in-flight messages included).
    const drainEnd = Date.now() + 600_000;
    let depth = await queue.depth();
    while (Date.now() < drainEnd) {
      depth = await queue.depth();
      if (depth.visible === 0 && depth.inFlight === 0) break;
      await sleep(1000);
    }
    for (const c of children)
      if (c.proc.exitCode === null && c.proc.signalCode === null) resources.push(final(c));
    for (const c of children.filter((c) => c.name.startsWith("scorer"))) await stop(c);
    await stop(ingest);
    await stop(sink);

    const dead = (await queue.readDlq?.(100, false)) ?? [];
    await queue.close();

    const db = await DuckDBInstance.create(dbPath);
    const conn = await db.connect();
    const rows = (
      await conn.runAndReadAll("SELECT wiki_id, rev_id, duplicates::INTEGER AS d FROM predictions")
    ).getRowObjectsJson() as Array<{ wiki_id: string; rev_id: string | number; d: number }>;
    conn.closeSync();
    db.closeSync();
    const stored = new Set(rows.map((r) => `${r.wiki_id}:${r.rev_id}`));
    const expected = new Set(
      events.map((e) => `${e.wiki_id as string}:${(e.revision as { rev_id: number }).rev_id}`),
    );
    let lost = 0;
    for (const k of expected) if (!stored.has(k)) lost++;
    let unexpected = 0;
    for (const k of stored) if (!expected.has(k)) unexpected++;
    return {
      ingested,
      droppedByReason: dropped,
      poisonSent: poison.length,
      published: rows.length,
      duplicates: rows.reduce((s, r) => s + Number(r.d), 0),
      lost,
      unexpected,
      queueLeft: { visible: depth.visible, inFlight: depth.inFlight },
      deadLettered: dead.map((d) => ({ reason: d.reason })),
      faults: { mediawiki: { ...mw.faultCounts }, scorersKilled: killed, sinkDownS: o.sinkDownS },
      seconds: { ingest: ingestSeconds, total: (performance.now() - t0) / 1000 },
      resources,
    };
  } finally {
    for (const c of children)
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await mw.close();
    await sqs.stop();
  }

  function final(c: Child): ProcessResources {
    const s = procStats(c.proc.pid!);
    return {
      name: c.name,
      pid: c.proc.pid!,
      startRssMiB: c.start?.rssMiB ?? 0,
      startFds: c.start?.fds ?? 0,
      peakRssMiB: s.hwmMiB,
      endRssMiB: s.rssMiB,
      endFds: s.fds,
    };
  }
}

/** The report as the lines the bench and the test print. */
export function formatSoak(r: SoakReport): string {
  const lines = [
    `ingested ${r.ingested} · published ${r.published} · duplicates ${r.duplicates} · lost ${r.lost} · unexpected ${r.unexpected}`,
    `dead-lettered ${r.deadLettered.length}: ${r.deadLettered.map((d) => d.reason).join(" | ")}`,
    `dropped by reason (ingest): ${JSON.stringify(r.droppedByReason)}`,
    `queue left: ${JSON.stringify(r.queueLeft)}`,
    `faults: MediaWiki ${JSON.stringify(r.faults.mediawiki)}, ${r.faults.scorersKilled} scorer SIGKILLed, sink down ${r.faults.sinkDownS} s`,
    `time: ingest ${r.seconds.ingest.toFixed(1)} s (${(r.ingested / r.seconds.ingest).toFixed(1)} events/s), total ${r.seconds.total.toFixed(1)} s`,
    ...r.resources.map(
      (p) =>
        `${p.name.padEnd(15)} rss start ${p.startRssMiB} MiB, peak ${p.peakRssMiB} MiB, end ${p.endRssMiB} MiB · fds start ${p.startFds}, end ${p.endFds}`,
    ),
  ];
  return lines.join("\n");
}

export interface EmbeddedKillReport {
  /** Events sent, all accepted in the end. */
  events: number;
  /** Right after `kill -9`: what the DuckDB file and the embedded queue file held. */
  /** Events the client had sent (and seen accepted) before the kill. */
  afterKill: { rows: number; queued: number; sent: number; missingFromBoth: number; dbOpened: boolean };
  published: number;
  duplicates: number;
  lost: number;
  queueLeft: number;
  deadLettered: number;
  seconds: number;
}

async function readResults(dbPath: string): Promise<Array<{ key: string; d: number }>> {
  const db = await DuckDBInstance.create(dbPath);
  const conn = await db.connect();
  try {
    const rows = (
      await conn.runAndReadAll("SELECT wiki_id, rev_id, duplicates::INTEGER AS d FROM predictions")
    ).getRowObjectsJson() as Array<{ wiki_id: string; rev_id: string | number; d: number }>;
    return rows.map((r) => ({ key: `${r.wiki_id}:${r.rev_id}`, d: Number(r.d) }));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

async function readQueueFile(path: string): Promise<{ keys: string[]; dead: number }> {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db.prepare("SELECT body FROM messages").all() as Array<{ body: string }>;
    const dead = (db.prepare("SELECT COUNT(*) AS n FROM dlq").get() as { n: number }).n;
    return {
      keys: rows.map((r) => {
        const m = JSON.parse(r.body) as { wiki: string; rev_id: number };
        return `${m.wiki}:${m.rev_id}`;
      }),
      dead,
    };
  } finally {
    db.close();
  }
}

/**
 * The embedded queue under `kill -9`: `revrisk serve --offline` takes the fixture store's events
 * through its own ingest; it is SIGKILLed while scoring, its DuckDB results file and embedded queue
 * file are checked (both open; every accepted event is in one or the other), then it is restarted
 * on the same data directory and must finish everything: each event published once, queue empty.
 */
export async function runEmbeddedKill(o: {
  dir: string;
  /** Events to send (of the fixture store's; default all). */
  events?: number;
  rate?: number;
  log?: (l: string) => void;
}): Promise<EmbeddedKillReport> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  mkdirSync(o.dir, { recursive: true });
  const replay = join(o.dir, "no-replay.jsonl");
  writeFileSync(replay, ""); // the events come from this harness, so it knows which were accepted
  const store = seededStore();
  const manifest = JSON.parse(readFileSync(join(ROOT, "models/fixture/manifest.json"), "utf8")) as {
    supported_wikis: string[];
  };
  const supported = new Set(manifest.supported_wikis.map((l) => `${l.replace(/-/g, "_")}wiki`));
  const events = pageChangeEventsFromStore(store)
    .filter((e) => supported.has(e.wiki_id as string))
    .slice(0, o.events);
  const keyOf = (e: Record<string, unknown>) =>
    `${e.wiki_id as string}:${(e.revision as { rev_id: number }).rev_id}`;
  const serve = () =>
    revrisk(
      "serve",
      [
        "serve",
        "--offline",
        "--provider",
        "cpu",
        "--replay",
        replay,
        "--data-dir",
        o.dir,
        "--port",
        "0",
        "--ingest-port",
        "0",
        "--sink-port",
        "0",
      ],
      /ingest\s+POST (http:\/\/\S+)\/v1\/events/,
      {},
    );
  const statusPath = join(o.dir, "status.json");
  const published = () => {
    try {
      return (JSON.parse(readFileSync(statusPath, "utf8")) as { published?: number }).published ?? 0;
    } catch {
      return 0;
    }
  };
  // The client side: batches at a steady rate; a batch whose answer was lost (the process died) is
  // sent again to the next process (at-least-once; the sink stores each meta.id once).
  const rate = o.rate ?? 50;
  const perTick = Math.max(1, Math.round(rate / 4));
  let next = 0;
  const post = async (url: string, until: () => boolean) => {
    while (next < events.length && !until()) {
      try {
        const res = await fetch(`${url}/v1/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(events.slice(next, next + perTick)),
        });
        const body = (await res.json()) as { accepted?: number };
        if (res.status === 202 && body.accepted === Math.min(perTick, events.length - next)) next += perTick;
      } catch {
        return; // the process is gone
      }
      await sleep(250);
    }
  };
  // Mid-run: killed once a few predictions are published, while events are still coming in.
  let s = await serve();
  const killAt = Math.min(20, Math.floor(events.length / 10));
  await post(s.match[1]!, () => published() >= killAt);
  for (let i = 0; i < 600 && published() < killAt; i++) await sleep(100);
  log(`embedded: SIGKILL serve after ${published()} published, ${next} of ${events.length} sent`);
  await stop(s, "SIGKILL");
  const sentBeforeKill = next;

  let dbOpened = true;
  let afterRows: Array<{ key: string; d: number }> = [];
  try {
    afterRows = await readResults(join(o.dir, "results.duckdb"));
  } catch {
    dbOpened = false;
  }
  const q = await readQueueFile(join(o.dir, "queue.sqlite"));
  const inEither = new Set([...afterRows.map((r) => r.key), ...q.keys]);
  const afterKill = {
    rows: afterRows.length,
    queued: q.keys.length,
    sent: sentBeforeKill,
    missingFromBoth: events.slice(0, sentBeforeKill).filter((e) => !inEither.has(keyOf(e))).length,
    dbOpened,
  };
  log(`embedded: after kill -9 ${JSON.stringify(afterKill)}`);

  s = await serve();
  await post(s.match[1]!, () => false);
  const end = Date.now() + 300_000;
  while (Date.now() < end) {
    try {
      const st = JSON.parse(readFileSync(statusPath, "utf8")) as {
        pid?: number;
        backlog?: { visible: number; inFlight: number };
      };
      if (st.pid === s.proc.pid && st.backlog && st.backlog.visible + st.backlog.inFlight === 0) break;
    } catch {
      // not written yet
    }
    await sleep(500);
  }
  await stop(s);
  const rows = await readResults(join(o.dir, "results.duckdb"));
  const stored = new Set(rows.map((r) => r.key));
  const left = await readQueueFile(join(o.dir, "queue.sqlite"));
  return {
    events: Math.min(next, events.length),
    afterKill,
    published: rows.length,
    duplicates: rows.reduce((n, r) => n + r.d, 0),
    lost: events.filter((e) => !stored.has(keyOf(e))).length,
    queueLeft: left.keys.length,
    deadLettered: left.dead,
    seconds: (performance.now() - t0) / 1000,
  };
}
