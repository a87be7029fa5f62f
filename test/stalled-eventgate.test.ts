/**
 * A slow or stalled EventGate cannot grow the scorer without bound: while EventGate holds every POST
 * unanswered, the scorer keeps at most pollers × 10 messages in hand and stops pulling from the
 * queue (the backlog stays queued, not in memory); once EventGate answers, everything is published
 * once and the queue empties. Real runtime (fixture model, MediaWiki fixture server), the embedded
 * queue, a real HTTP EventGate that stalls.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "./helpers.ts";
import { createRuntime, type Runtime } from "../functions/node/runtime.ts";
import { openQueue } from "../functions/node/queue.ts";
import { startScorerWorker, type ScorerWorker } from "../functions/scorer/node.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import { pageChangeEventsFromStore } from "../standins/mediawiki-fixture/replay.ts";
import { EventGateClient } from "../shared/pipeline/eventgate-client.ts";
import { toMessage, type Queue } from "../shared/queue/queue.ts";

const POLLERS = 2;

describe("a stalled EventGate", () => {
  const dir = mkdtempSync(join(tmpdir(), "revrisk-stall-"));
  let mw: MwFixtureServer;
  let runtime: Runtime;
  let queue: Queue;
  let worker: ScorerWorker;
  let eventgate: Server;
  let eventgateUrl: string;
  let stalled = true;
  const held: Array<() => void> = [];
  let openPosts = 0;
  let maxOpenPosts = 0;
  const published = new Map<string, number>();

  beforeAll(async () => {
    eventgate = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        openPosts++;
        maxOpenPosts = Math.max(maxOpenPosts, openPosts);
        const answer = () => {
          openPosts--;
          for (const e of JSON.parse(Buffer.concat(chunks).toString()) as Array<{
            wiki_id: string;
            revision: { rev_id: number };
          }>) {
            const key = `${e.wiki_id}:${e.revision.rev_id}`;
            published.set(key, (published.get(key) ?? 0) + 1);
          }
          res.writeHead(201).end();
        };
        if (stalled) held.push(answer);
        else answer();
      });
    });
    await new Promise<void>((r) => eventgate.listen(0, "127.0.0.1", r));
    eventgateUrl = `http://127.0.0.1:${(eventgate.address() as { port: number }).port}/v1/events`;
    mw = await startMwFixtureServer({ port: 0 });
    runtime = await createRuntime({
      model: "models/fixture",
      provider: "cpu",
      mediawikiUrl: mw.apiBase,
      featurizerThreads: 0,
    });
    queue = openQueue({ dataDir: dir });
  });
  afterAll(async () => {
    stalled = false;
    for (const a of held.splice(0)) a();
    await worker?.stop();
    await queue?.close();
    await runtime?.close();
    await mw?.close();
    eventgate?.closeAllConnections();
    await new Promise((r) => eventgate?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps at most pollers × 10 messages in hand and stops pulling, then publishes everything once", async () => {
    const events = pageChangeEventsFromStore(mw.store).slice(0, 300);
    const keys = events.map((e) => `${e.wiki_id as string}:${(e.revision as { rev_id: number }).rev_id}`);
    const sent = await queue.sendBatch(
      events.map((e) => toMessage(e.wiki_id as string, (e.revision as { rev_id: number }).rev_id, e)),
    );
    expect(sent.sent).toBe(300);
    worker = startScorerWorker({
      service: runtime.service,
      queue,
      // A slow EventGate: the client waits for it (no timeout within this test) instead of giving up.
      eventgate: new EventGateClient({ url: eventgateUrl, timeoutMs: 120_000 }),
      manifest: runtime.model.manifest,
      pollers: POLLERS,
      visibilityTimeoutS: 30,
      waitS: 1,
    });
    // EventGate now holds every POST: the pollers fill their hands and stop there.
    await until(() => held.length > 0, 60_000, "the first POST to reach the stalled EventGate");
    const samples: Array<{ inHand: number; inFlight: number; visible: number }> = [];
    for (let i = 0; i < 30; i++) {
      const d = await queue.depth();
      samples.push({ inHand: worker.handler.inFlight, inFlight: d.inFlight, visible: d.visible });
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const s of samples) {
      expect(s.inHand).toBeLessThanOrEqual(POLLERS * 10);
      expect(s.inFlight).toBeLessThanOrEqual(POLLERS * 10);
      expect(s.visible).toBeGreaterThanOrEqual(300 - POLLERS * 10);
    }
    expect(published.size).toBe(0);

    // EventGate recovers: the held POSTs are answered and the backlog drains.
    stalled = false;
    for (const a of held.splice(0)) a();
    await until(
      async () => {
        const d = await queue.depth();
        return d.visible + d.inFlight === 0 && worker.handler.inFlight === 0;
      },
      120_000,
      "the backlog to drain",
    );
    expect([...published.keys()].sort()).toEqual([...keys].sort());
    expect([...published.values()].every((n) => n === 1)).toBe(true);
    expect(maxOpenPosts).toBeGreaterThan(0);
  });
});
