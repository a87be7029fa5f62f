/**
 * The Workers adapter in the real workerd runtime (wrangler's unstable_dev, fully offline),
 * enqueueing into fauxqs on loopback.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalSqs, type FauxqsHandle } from "../standins/sqs-fauxqs/fauxqs.ts";
import { SqsQueue } from "../shared/queue/sqs-queue.ts";

// Offline: no telemetry, no update check, no Request.cf fetch.
process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_HIDE_BANNER = "true";
// wrangler's own state and logs go to a fixed temporary folder (it may still write after stop()).
const xdg = join(tmpdir(), "revrisk-wrangler-test");
mkdirSync(xdg, { recursive: true });
process.env.XDG_CONFIG_HOME = xdg;

const sample = readFileSync(
  new URL("./data/samples/page_change-1.2.0.example.json", import.meta.url),
  "utf8",
);

type DevWorker = {
  fetch: (input?: string, init?: RequestInit) => Promise<Response>;
  stop: () => Promise<void>;
};

describe("ingest worker in workerd", () => {
  let sqs: FauxqsHandle;
  let worker: DevWorker;
  let queue: SqsQueue;

  beforeAll(async () => {
    sqs = await startLocalSqs();
    const { queueUrl, dlqUrl } = await sqs.createQueue("ingest-worker");
    queue = new SqsQueue({ queueUrl, dlqUrl, endpoint: sqs.endpoint, credentials: sqs.credentials });
    const { unstable_dev } = await import("wrangler");
    worker = (await unstable_dev("functions/ingest/worker.ts", {
      config: "wrangler.jsonc",
      ip: "127.0.0.1",
      port: 0,
      inspect: false,
      inspectorPort: 0,
      logLevel: "warn",
      persist: false,
      vars: {
        REVRISK_QUEUE_URL: queueUrl,
        REVRISK_DLQ_URL: dlqUrl,
        REVRISK_SQS_ENDPOINT: sqs.endpoint,
        // LiftWing's name, an alias of REVRISK_INGEST_TOKEN in the option table.
        INGEST_TOKEN: "worker-token",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        REVRISK_HEALTH_QUEUE_DEPTH: "true",
      },
      experimental: {
        disableExperimentalWarning: true,
        disableDevRegistry: true,
        showInteractiveDevSession: false,
        watch: false,
      },
    })) as DevWorker;
  }, 90_000);

  afterAll(async () => {
    await worker?.stop();
    await queue?.close();
    await sqs?.stop();
  });

  it("rejects without the token, enqueues an event into SQS, reports depth", async () => {
    expect((await worker.fetch("/v1/events", { method: "POST", body: sample })).status).toBe(401);
    const r = await worker.fetch("/v1/events", {
      method: "POST",
      body: `${sample.replace(/\n/g, "")}\n${JSON.stringify({ bad: true })}`,
      headers: { authorization: "Bearer worker-token", "content-type": "application/x-ndjson" },
    });
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ accepted: 1, invalid: 1, errors: [{ index: 1 }] });
    const [m] = await queue.receive({ waitS: 1 });
    expect(m!.body).toMatchObject({ v: 1, wiki: "enwiki", rev_id: 1260000001 });
    await queue.ack(m!.receiptHandle);
    const h = await worker.fetch("/healthz");
    expect(await h.json()).toEqual({
      status: "ok",
      queue: "sqs",
      depth: { visible: 0, inFlight: 0, dead: 0 },
    });
    expect(await (await worker.fetch("/metrics")).text()).toContain(
      'revrisk_ingest_events_total{outcome="accepted"} 1',
    );
  });
});
