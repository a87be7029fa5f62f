/**
 * `npm run bench -- pipeline [--bert-base] [--limit N] [--pollers N] [--queue embedded|sqs]`:
 * sustained end-to-end revisions/s on this machine — page_change events through ingest (HTTP) into
 * the queue (embedded SQLite, or fauxqs), scorer pollers fetching from the MediaWiki fixture server,
 * featurizing, scoring and POSTing to the EventGate-compatible sink (DuckDB) — with the fixture
 * model, or with BERT-base-shaped encoders on realistic edits (--bert-base).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openQueue } from "../functions/node/queue.ts";
import { startIngestServer } from "../functions/ingest/node.ts";
import { startScorerWorker } from "../functions/scorer/node.ts";
import { startEventGateSink } from "../standins/eventgate-sink/sink.ts";
import { startLocalSqs } from "../standins/sqs-fauxqs/fauxqs.ts";
import { pageChangeEventsFromStore } from "../standins/mediawiki-fixture/replay.ts";
import { EventGateClient } from "../shared/pipeline/eventgate-client.ts";
import type { Queue } from "../shared/queue/queue.ts";
import { createQueueWithDlq, SqsQueue } from "../shared/queue/sqs-queue.ts";
import { ensureBertBaseBundle } from "./_bert-bundle.ts";
import { createRuntime } from "../functions/node/runtime.ts";
import { startMwFixtureServer } from "../standins/mediawiki-fixture/server.ts";

export const description =
  "end-to-end revisions/s: ingest → queue → scorer → EventGate sink (fixture model; --bert-base)";

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "bert-base": { type: "boolean", default: false },
      limit: { type: "string" },
      pollers: { type: "string", default: "4" },
      queue: { type: "string", default: "embedded" },
      precision: { type: "string", default: "int8" },
    },
  });
  const bundle = values["bert-base"]
    ? ensureBertBaseBundle(values.precision as "fp32" | "int8")
    : "models/fixture";
  const dir = mkdtempSync(join(tmpdir(), "revrisk-bench-"));
  const mw = await startMwFixtureServer({ port: 0 });
  const runtime = await createRuntime({
    model: bundle,
    provider: "cpu",
    mediawikiUrl: mw.apiBase,
    featurizerThreads: 0,
  });
  const { model, service } = runtime;
  const sink = await startEventGateSink({ port: 0 });
  let queue: Queue;
  let stopSqs: (() => Promise<void>) | undefined;
  if (values.queue === "sqs") {
    const sqs = await startLocalSqs();
    const q = await createQueueWithDlq({
      name: "bench",
      endpoint: sqs.endpoint,
      credentials: sqs.credentials,
      region: "us-east-1",
    });
    queue = new SqsQueue({ ...q, endpoint: sqs.endpoint, credentials: sqs.credentials, region: "us-east-1" });
    stopSqs = () => sqs.stop();
  } else {
    queue = openQueue({ dataDir: dir });
  }
  const ingest = await startIngestServer({
    queue,
    config: { filter: { wikis: model.manifest.supported_wikis } },
  });
  let events = pageChangeEventsFromStore(mw.store).filter((e) => e.page_change_kind === "edit");
  if (values.limit) {
    // An evenly spaced sample, so every fixture file (small handmade edits, real articles) is represented.
    const n = Math.min(events.length, Number(values.limit));
    const all = events;
    events = Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
  }
  let done = 0;
  const worker = startScorerWorker({
    service,
    queue,
    eventgate: new EventGateClient({ url: sink.eventsUrl }),
    manifest: model.manifest,
    pollers: Number(values.pollers),
    waitS: 1,
    count: () => done++,
  });
  console.log(
    `bundle ${bundle} (${model.manifest.model_version}); queue ${queue.kind}; ${values.pollers} pollers; ${events.length} revisions (real-article and multilingual edits)`,
  );
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += 100) {
    const res = await fetch(`${ingest.url}/v1/events`, {
      method: "POST",
      body: JSON.stringify(events.slice(i, i + 100)),
    });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  }
  const tIngest = performance.now();
  let lastReport = t0;
  while (done < events.length) {
    await new Promise((r) => setTimeout(r, 100));
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      console.log(`  ${done}/${events.length} after ${((lastReport - t0) / 1000).toFixed(0)} s`);
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const stats = await sink.db.stats();
  console.log(`ingest: ${events.length} events in ${((tIngest - t0) / 1000).toFixed(2)} s`);
  console.log(
    `end to end: ${events.length} revisions in ${secs.toFixed(2)} s = ${(events.length / secs).toFixed(1)} revisions/s (${stats.rows} predictions stored, ${model.encoderRuns()} encoder runs)`,
  );
  await worker.stop();
  await ingest.close();
  await runtime.close();
  await mw.close();
  await queue.close();
  await stopSqs?.();
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
}
