/**
 * The event pipeline end to end on real components: ingest (Node adapter) → fauxqs (real SQS API) →
 * scorer worker (sqs-consumer pollers, batching service, MediaWiki fixture server, fixture model on
 * onnxruntime-node) → EventGate-compatible sink validating with the real schemas → DuckDB.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until, startOfflineRuntime } from "./helpers.ts";
import type { Runtime } from "../functions/node/runtime.ts";
import { startIngestServer, type IngestServer } from "../functions/ingest/node.ts";
import { startScorerWorker, type ScorerWorker } from "../functions/scorer/node.ts";
import { startEventGateSink, type EventGateSink } from "../standins/eventgate-sink/sink.ts";
import { startLocalSqs, type FauxqsHandle } from "../standins/sqs-fauxqs/fauxqs.ts";
import type { MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import { pageChangeEventsFromStore } from "../standins/mediawiki-fixture/replay.ts";
import { EventGateClient } from "../shared/pipeline/eventgate-client.ts";
import type { LoadedModel } from "../functions/node/model-loader.ts";
import { createQueueWithDlq, SqsQueue } from "../shared/queue/sqs-queue.ts";
import type { BatchingScoringService } from "../shared/scoring/service.ts";

const TOKEN = "test-token";

describe("pipeline: ingest → SQS (fauxqs) → scorer → EventGate sink → DuckDB", () => {
  let sqs: FauxqsHandle;
  let runtime: Runtime;
  let mw: MwFixtureServer;
  let sink: EventGateSink;
  let model: LoadedModel;
  let service: BatchingScoringService;
  let queue: SqsQueue;
  let ingest: IngestServer;
  let worker: ScorerWorker;
  const counts = new Map<string, number>();

  beforeAll(async () => {
    sqs = await startLocalSqs();
    const { queueUrl, dlqUrl } = await createQueueWithDlq({
      name: "revrisk-e2e",
      endpoint: sqs.endpoint,
      credentials: sqs.credentials,
      region: "us-east-1",
      visibilityTimeoutS: 30,
      maxReceiveCount: 3,
    });
    queue = new SqsQueue({
      queueUrl,
      dlqUrl,
      endpoint: sqs.endpoint,
      credentials: sqs.credentials,
      region: "us-east-1",
    });
    ({ mw, runtime } = await startOfflineRuntime());
    ({ model, service } = runtime);
    sink = await startEventGateSink({ port: 0 });
    ingest = await startIngestServer({
      queue,
      config: { filter: { wikis: model.manifest.supported_wikis }, token: TOKEN },
    });
    worker = startScorerWorker({
      service,
      queue,
      eventgate: new EventGateClient({ url: sink.eventsUrl, retries: 1 }),
      manifest: model.manifest,
      pollers: 3,
      waitS: 1,
      visibilityTimeoutS: 30,
      count: (o, r) => counts.set(`${o}:${r}`, (counts.get(`${o}:${r}`) ?? 0) + 1),
    });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await ingest?.close();
    await runtime?.close();
    await mw?.close();
    await sink?.close();
    await queue?.close();
    await sqs?.stop();
  });

  it("publishes a schema-valid prediction for every scorable event and counts the rest by reason", async () => {
    const all = pageChangeEventsFromStore(mw.store);
    type Ev = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const edits = (all as Ev[]).filter((e) => e.page_change_kind === "edit");
    const supported = new Set(model.manifest.supported_wikis.map((w) => `${w}wiki`));
    const scorable = edits.filter((e) => supported.has(e.wiki_id)).slice(0, 24);
    const unsupported = [
      { ...scorable[5], wiki_id: "alswiki", meta: { ...scorable[5]!.meta, domain: "als.wikipedia.org" } },
    ];
    const wikidata = JSON.parse(
      readFileSync("test/data/samples/page_change-1.6.0-wikidatawiki.live.json", "utf8"),
    );
    // Unscorable: a deleted revision (acknowledged, counted, no event).
    const deleted = scorable.pop()!;
    mw.store.deleteRevision(deleted.wiki_id.replace(/wiki$/, ""), deleted.revision.rev_id);
    const talk = { ...scorable[0], page: { ...scorable[0]!.page, namespace_id: 1 } };
    const redirect = { ...scorable[1], page: { ...scorable[1]!.page, is_redirect: true } };
    const malformed = { ...scorable[2], revision: { ...scorable[2]!.revision, rev_id: "not a number" } };
    const { performer: _p, ...noPerformer } = scorable[3]!;
    const { editor: _e, ...revNoEditor } = scorable[3]!.revision;
    noPerformer.revision = revNoEditor;
    const creation = { ...scorable[4], page_change_kind: "create", changelog_kind: "insert" } as Ev;
    creation.revision = { ...scorable[4]!.revision };
    delete creation.revision.rev_parent_id;
    const scored = scorable.filter((e) => e !== scorable[3] && e !== scorable[2]);
    const batch = [
      ...scored,
      deleted,
      creation,
      ...unsupported,
      wikidata,
      talk,
      redirect,
      malformed,
      noPerformer,
    ];
    const body = batch.map((e) => JSON.stringify(e)).join("\n");
    const res = await fetch(`${ingest.url}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/x-ndjson" },
      body,
    });
    expect(res.status).toBe(202);
    const summary = (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(summary.invalid).toBe(1);
    expect(summary.accepted).toBe(scored.length + 2); // + the deleted revision + the one without performer
    expect(summary.skipped).toMatchObject({
      namespace: 1,
      redirect: 1,
      page_creation: 1,
      unsupported_wiki: unsupported.length,
      not_wikipedia: 1,
    });

    await until(
      async () => (await sink.db.stats()).rows >= scored.length && worker.handler.inFlight === 0,
      90_000,
      "predictions in the sink",
    );
    await until(
      async () => (await queue.depth()).visible + (await queue.depth()).inFlight === 0,
      30_000,
      "empty queue",
    );
    const rows = await sink.db.query(
      "SELECT wiki_id, rev_id, prediction, probability_true, meta_id FROM predictions",
    );
    const got = new Set(rows.map((r) => `${r.wiki_id}:${r.rev_id}`));
    for (const e of scored) expect(got.has(`${e.wiki_id}:${e.revision.rev_id}`)).toBe(true);
    expect(got.has(`${deleted.wiki_id}:${deleted.revision.rev_id}`)).toBe(false);
    expect(rows.length).toBe(scored.length);
    for (const r of rows) {
      expect(Number(r.probability_true)).toBeGreaterThan(0);
      expect(Number(r.probability_true)).toBeLessThan(1);
    }
    expect(counts.get("skipped:revision_missing")).toBe(1);
    expect(counts.get("skipped:no_performer")).toBe(1);
    expect(counts.get("published:ok")).toBe(scored.length);
  }, 150_000);
});
