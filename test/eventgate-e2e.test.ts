/** page_change → ingest → embedded queue → prediction event → EventGate client → sink → DuckDB. */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEventGateSink, type EventGateSink } from "../standins/eventgate-sink/sink.ts";
import { EventGateClient } from "../shared/pipeline/eventgate-client.ts";
import { createIngestApp } from "../shared/ingest/ingest-app.ts";
import { RRML_DEFAULT_LANGS } from "../shared/events/page-change.ts";
import { buildPredictionEvent } from "../shared/events/prediction-event.ts";
import { startHeartbeat } from "../shared/queue/queue.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";

const sample = JSON.parse(
  readFileSync(new URL("./data/samples/page_change-1.2.0.example.json", import.meta.url), "utf8"),
) as Record<
  string,
  any // eslint-disable-line @typescript-eslint/no-explicit-any
>;

describe("event pipeline end to end", () => {
  let sink: EventGateSink;
  beforeAll(async () => {
    sink = await startEventGateSink({ port: 0 });
  });
  afterAll(async () => {
    await sink?.close();
  });

  it("scores queued edits into the sink's predictions table exactly once per revision", async () => {
    const queue = new EmbeddedQueue({ path: ":memory:" });
    const app = createIngestApp({ queue, config: { filter: { wikis: RRML_DEFAULT_LANGS } } });
    const events = [0, 1, 2].map((i) => {
      const e = structuredClone(sample);
      e.revision.rev_id += i;
      if (i === 2) delete e.performer; // performer derived from revision.editor
      return e;
    });
    const body = [...events, events[0]].map((e) => JSON.stringify(e)).join("\n"); // one re-sent
    const r = await app.request("/v1/events", {
      method: "POST",
      body,
      headers: { "content-type": "application/x-ndjson" },
    });
    expect(await r.json()).toMatchObject({ accepted: 4 });

    const client = new EventGateClient({ url: sink.eventsUrl });
    const batch = await queue.receive({ max: 10 });
    expect(batch).toHaveLength(4);
    const built = batch.map((m) => {
      const stop = startHeartbeat(queue, m.receiptHandle, { everyS: 0.05, extendS: 30 });
      const b = buildPredictionEvent(m.body.event, {
        model_name: "revertrisk-multilingual",
        model_version: "fixture-1",
        prediction: m.body.rev_id % 2 === 0,
        probability: m.body.rev_id % 2 === 0 ? 0.9 : 0.1,
      });
      stop();
      if (!b.ok) throw new Error(b.message);
      return b.event;
    });
    const res = await client.post(built);
    expect(res).toMatchObject({ status: 201, accepted: 4, failed: [] });
    for (const m of batch) await queue.ack(m.receiptHandle);
    expect(await queue.depth()).toMatchObject({ visible: 0, inFlight: 0, dead: 0 });
    expect(await sink.db.stats()).toEqual({ rows: 3, duplicates: 1 });
    const rows = await sink.db.query(
      "SELECT rev_id, prediction, probability_true, performer_user_text FROM predictions ORDER BY rev_id",
    );
    expect(rows).toEqual([
      {
        rev_id: "1260000001",
        prediction: false,
        probability_true: 0.1,
        performer_user_text: "ExampleEditor",
      },
      { rev_id: "1260000002", prediction: true, probability_true: 0.9, performer_user_text: "ExampleEditor" },
      {
        rev_id: "1260000003",
        prediction: false,
        probability_true: 0.1,
        performer_user_text: "ExampleEditor",
      },
    ]);
    await queue.close();
  });
});
