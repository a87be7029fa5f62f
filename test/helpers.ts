/** Small helpers shared by the end-to-end tests. */
import type { Queue } from "../shared/queue/queue.ts";
import { createRuntime, type Runtime, type RuntimeOptions } from "../functions/node/runtime.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";

/** Polls `cond` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(
  cond: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Receives and acks everything visible on a queue; returns the rev ids, sorted. */
export async function drainRevIds(q: Queue): Promise<number[]> {
  const got: number[] = [];
  for (let i = 0; i < 20; i++) {
    const batch = await q.receive({ max: 10, visibilityTimeoutS: 30 });
    if (!batch.length) break;
    for (const m of batch) {
      got.push(m.body.rev_id);
      await q.ack(m.receiptHandle);
    }
  }
  return got.sort((a, b) => a - b);
}

/**
 * The offline scoring stack of the tests: the MediaWiki fixture server and the one runtime builder
 * (functions/node/runtime.ts) given its URL, on CPU, with fast MediaWiki retries and featurizing on
 * the event loop unless `o` says otherwise. The caller closes `runtime`, then `mw`.
 */
export async function startOfflineRuntime(
  o: Partial<RuntimeOptions> = {},
): Promise<{ mw: MwFixtureServer; runtime: Runtime }> {
  const mw = await startMwFixtureServer({ port: 0 });
  const runtime = await createRuntime({
    model: "models/fixture",
    provider: "cpu",
    mediawikiUrl: mw.apiBase,
    mediawiki: { retries: 1, retryBaseDelayMs: 10 },
    featurizerThreads: 0,
    ...o,
  });
  return { mw, runtime };
}

/** LiftWing's pre-save `revision_data` example (its README's shape), for the API and evaluate tests. */
export const REVISION_DATA = {
  id: 5,
  lang: "en",
  text: "Hello world, this is the new text.",
  timestamp: "2022-02-15T04:30:00Z",
  bytes: 34,
  comment: "edit",
  tags: ["mobile edit"],
  page: { id: 1, title: "Example", first_edit_timestamp: "2020-01-01T00:00:00Z" },
  parent: { id: 4, lang: "en", text: "Hello world.", timestamp: "2022-02-14T04:30:00Z", bytes: 12 },
  user: { id: 0 },
};
