/**
 * Impatient clients must not take the server down: `:predict` requests whose `X-Request-Deadline-Ms`
 * passes (2–60 ms) or whose client disconnects while their revisions are being fetched, featurized
 * (worker threads) or scored, mixed with normal requests — in process (the real API server over the
 * real runtime, fixture MediaWiki server, fixture model) and against a real `revrisk serve --offline`
 * process. Afterwards every request is answered, `/readyz` stays 200 and no rejection went unobserved.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../functions/node/runtime.ts";
import { startApiServer, type ApiServer } from "../functions/api/node.ts";
import type { MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import { until, startOfflineRuntime } from "./helpers.ts";

const PREDICT = "/v1/models/revertrisk-multilingual:predict";

/** A deterministic mix of impatient and normal requests; resolves once each has settled client-side. */
async function impatientStorm(
  base: string,
  revisions: Array<{ lang: string; revId: number }>,
  n: number,
): Promise<{ answered: number; abortedByClient: number; failed: string[] }> {
  let answered = 0;
  let abortedByClient = 0;
  const failed: string[] = [];
  const one = async (i: number) => {
    const r = revisions[i % revisions.length]!;
    const headers: Record<string, string> = { "content-type": "application/json" };
    const kind = i % 3;
    // kind 0: a deadline of 2–60 ms; kind 1: the client hangs up after 1–60 ms; kind 2: a normal request.
    if (kind === 0) headers["x-request-deadline-ms"] = String(2 + ((i * 7) % 59));
    const ctrl = new AbortController();
    const timer = kind === 1 ? setTimeout(() => ctrl.abort(), 1 + ((i * 11) % 60)) : undefined;
    try {
      const res = await fetch(base + PREDICT, {
        method: "POST",
        headers,
        body: JSON.stringify({ lang: r.lang, rev_id: r.revId }),
        signal: ctrl.signal,
      });
      await res.arrayBuffer();
      answered++;
    } catch (err) {
      if ((err as Error).name === "AbortError") abortedByClient++;
      else failed.push(`request ${i}: ${String((err as Error).cause ?? err)}`);
    } finally {
      clearTimeout(timer);
    }
  };
  // Waves of 40 concurrent requests keep the featurizer and the batchers busy while callers give up.
  for (let i = 0; i < n; i += 40)
    await Promise.all(Array.from({ length: Math.min(40, n - i) }, (_, k) => one(i + k)));
  return { answered, abortedByClient, failed };
}

async function expectHealthy(base: string, revisions: Array<{ lang: string; revId: number }>) {
  expect((await fetch(base + "/readyz")).status).toBe(200);
  for (const r of revisions.slice(0, 10)) {
    const res = await fetch(base + PREDICT, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ lang: r.lang, rev_id: r.revId }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { output: { probabilities: { true: number } } };
    expect(body.output.probabilities.true).toBeGreaterThanOrEqual(0);
  }
  expect((await fetch(base + "/readyz")).status).toBe(200);
}

describe("impatient clients (deadlines of 2–60 ms, client disconnects)", () => {
  let mw: MwFixtureServer;
  let runtime: Runtime;
  let api: ApiServer;
  let revisions: Array<{ lang: string; revId: number }>;
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on("unhandledRejection", record);
    ({ mw, runtime } = await startOfflineRuntime({
      // Worker threads: featurization is asynchronous, so a deadline can pass while it runs.
      featurizerThreads: 2,
    }));
    api = await startApiServer({ service: runtime.service, metrics: runtime.metrics, port: 0 });
    revisions = mw.store
      .seeded()
      .filter((e) => e.parentId > 0)
      .map((e) => ({ lang: e.lang, revId: e.revId }));
  });
  afterAll(async () => {
    await api?.stop();
    await runtime?.close();
    await mw?.close();
    process.off("unhandledRejection", record);
  });

  it("in process: every later request is answered, /readyz stays 200, no unhandled rejection", async () => {
    const storm = await impatientStorm(api.url, revisions, 300);
    expect(storm.failed).toEqual([]);
    expect(storm.answered + storm.abortedByClient).toBe(300);
    expect(storm.abortedByClient).toBeGreaterThan(0);
    await expectHealthy(api.url, revisions);
    // Work abandoned by the storm has settled by now; a rejection nobody observed would be recorded.
    await new Promise((r) => setTimeout(r, 200));
    expect(unhandled.map(String)).toEqual([]);
  });

  describe("a real `revrisk serve --offline --provider cpu` process", () => {
    const dir = mkdtempSync(join(tmpdir(), "revrisk-impatient-"));
    let child: ChildProcess;
    let stderr = "";
    let base = "";
    beforeAll(async () => {
      child = spawn(
        process.execPath,
        [
          "bin/revrisk.ts",
          "serve",
          "--offline",
          "--provider",
          "cpu",
          "--data-dir",
          dir,
          "--replay-rate",
          "50",
          "--port",
          "0",
          "--ingest-port",
          "0",
          "--sink-port",
          "0",
        ],
        { env: { ...process.env, REVRISK_LOG_LEVEL: "warn", REVRISK_LOG_FORMAT: "json" } },
      );
      child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
      await until(() => /on-demand API\s+(http:\/\/\S+?)\/v1\//.test(stderr), 90_000, "serve to start");
      base = /on-demand API\s+(http:\/\/\S+?)\/v1\//.exec(stderr)![1]!;
    });
    afterAll(async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it("survives 300 impatient requests and answers every later one", async () => {
      const storm = await impatientStorm(base, revisions, 300);
      expect(child.exitCode, stderr).toBeNull();
      expect(storm.failed).toEqual([]);
      expect(storm.answered + storm.abortedByClient).toBe(300);
      await expectHealthy(base, revisions);
      expect(child.exitCode, stderr).toBeNull();
      expect(stderr).not.toMatch(/AbortedError|unhandled/i);
    });
  });
});
