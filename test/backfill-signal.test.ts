/**
 * `revrisk backfill` as a real process: SIGINT mid-run saves the checkpoint and exits 130, the rerun
 * completes with exactly the expected set in the queue; SIGKILL (a crash) loses nothing either
 * (at most the units in flight are sent twice).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMwFixtureServer, type MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";
import type { QueueMessage } from "../shared/queue/queue.ts";

const CLI = fileURLToPath(new URL("../functions/backfill/cli.ts", import.meta.url));

let mw: MwFixtureServer;
let dir: string;
let script: string;
let expected: string[];
let list: string;

beforeAll(async () => {
  // Slow MediaWiki so that the run can be interrupted half-way.
  mw = await startMwFixtureServer({ port: 0, latencyMs: 40 });
  dir = mkdtempSync(join(tmpdir(), "revrisk-bf-signal-"));
  script = join(dir, "revrisk.ts");
  writeFileSync(
    script,
    `import { Command } from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve("commander")).href)};\n` +
      `import { register } from ${JSON.stringify(pathToFileURL(CLI).href)};\n` +
      `const p = new Command(); p.name("revrisk"); register(p); await p.parseAsync(process.argv);\n`,
  );
  const seeded = mw.store.seeded();
  expected = seeded.map((s) => `${s.lang.replaceAll("-", "_")}wiki:${s.revId}`);
  list = join(dir, "revs.tsv");
  writeFileSync(list, seeded.map((s) => `${s.lang.replaceAll("-", "_")}wiki\t${s.revId}`).join("\n") + "\n");
});
afterAll(async () => {
  await mw?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function backfill(dataDir: string, onStarted?: (kill: (sig: NodeJS.Signals) => void) => void) {
  const child = spawn(
    process.execPath,
    [
      script,
      "backfill",
      list,
      "--data-dir",
      dataDir,
      "--mediawiki-url",
      `${mw.url}/{host}`,
      "--batch-size",
      "20",
      "--concurrency",
      "2",
      "--progress",
      "log",
      "--log-interval",
      "1",
    ],
    {
      env: { ...process.env, REVRISK_QUEUE_URL: "" },
      cwd: join(fileURLToPath(new URL("..", import.meta.url))),
    },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  if (onStarted) onStarted((sig) => child.kill(sig));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stderr })),
  );
}

async function depth(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const q = new EmbeddedQueue({ path });
  try {
    return (await q.depth()).visible;
  } finally {
    await q.close();
  }
}

async function drainAll(path: string): Promise<QueueMessage[]> {
  const q = new EmbeddedQueue({ path });
  const out: QueueMessage[] = [];
  for (;;) {
    const got = await q.receive({ max: 100 });
    if (!got.length) break;
    for (const m of got) {
      out.push(m.body);
      await q.ack(m.receiptHandle);
    }
  }
  await q.close();
  return out;
}

/** Starts a backfill, sends `sig` once some messages are queued, then reruns it to completion. */
async function interruptAndResume(sig: NodeJS.Signals) {
  const dataDir = join(dir, sig);
  const queuePath = join(dataDir, "queue.sqlite");
  const first = await backfill(dataDir, (kill) => {
    const timer = setInterval(async () => {
      if ((await depth(queuePath)) >= 60) {
        clearInterval(timer);
        kill(sig);
      }
    }, 50);
  });
  const sentBefore = await depth(queuePath);
  const second = await backfill(dataDir);
  return { first, second, sentBefore, messages: await drainAll(queuePath) };
}

describe("backfill process interrupted by a signal", () => {
  it("SIGINT: exits 130 with a checkpoint; the rerun completes with no duplicates and no gaps", async () => {
    const { first, second, sentBefore, messages } = await interruptAndResume("SIGINT");
    expect(first.code).toBe(130);
    expect(first.stderr).toMatch(/stopping after the work in flight/);
    expect(first.stderr).toMatch(/backfill interrupted: enqueued \d+/);
    expect(sentBefore).toBeLessThan(expected.length);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/resuming from .*checkpoint/);
    expect(second.stderr).toMatch(/backfill complete/);
    const keys = messages.map((m) => `${m.wiki}:${m.rev_id}`);
    expect(keys.length).toBe(new Set(keys).size);
    expect([...keys].sort()).toEqual([...expected].sort());
  }, 120_000);

  it("SIGKILL: the rerun fills every gap (at most the units in flight are sent twice)", async () => {
    const { first, second, messages } = await interruptAndResume("SIGKILL");
    expect(first.signal).toBe("SIGKILL");
    expect(second.code).toBe(0);
    const keys = messages.map((m) => `${m.wiki}:${m.rev_id}`);
    expect([...new Set(keys)].sort()).toEqual([...expected].sort());
    expect(keys.length - new Set(keys).size).toBeLessThanOrEqual(2 * 20);
  }, 120_000);
});
