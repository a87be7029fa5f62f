/**
 * The real scoring service end to end over HTTP: the on-demand API (Node adapter) → the batching
 * service → the MediaWiki client → the MediaWiki fixture server (seeded from the parity fixtures) →
 * the featurizer → the fixture model on onnxruntime-node.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineRuntime } from "./helpers.ts";
import type { Runtime } from "../functions/node/runtime.ts";
import { startApiServer, type ApiServer } from "../functions/api/node.ts";
import type { MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import type { SeededEdit } from "../standins/mediawiki-fixture/store.ts";
import type { LoadedModel } from "../functions/node/model-loader.ts";
import type { BatchingScoringService } from "../shared/scoring/service.ts";

const PREDICT = "/v1/models/revertrisk-multilingual:predict";

describe("scoring service over the fixture MediaWiki server and the fixture model", () => {
  let runtime: Runtime;
  let mw: MwFixtureServer;
  let model: LoadedModel;
  let service: BatchingScoringService;
  let api: ApiServer;
  let edits: SeededEdit[];

  beforeAll(async () => {
    ({ mw, runtime } = await startOfflineRuntime({
      maxWaitMs: 20,
      fetchWaitMs: 20,
    }));
    ({ model, service } = runtime);
    api = await startApiServer({ service, port: 0 });
    edits = mw.store.seeded().filter((e) => e.parentId > 0);
  });
  afterAll(async () => {
    await api?.stop();
    await runtime?.close();
    await mw?.close();
  });

  const post = async (body: unknown) => {
    const res = await fetch(api.url + PREDICT, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it("serves 50 concurrent requests in fewer encoder and MediaWiki runs than requests, identical to one by one", async () => {
    const sample = edits.filter((e) => e.lang === "en").slice(0, 50);
    expect(sample.length).toBe(50);
    const sequential = [];
    for (const e of sample.slice(0, 10)) sequential.push(await post({ lang: e.lang, rev_id: e.revId }));
    mw.resetRequests();
    const runsBefore = model.encoderRuns();
    const batchesBefore = service.scoringBatches;
    const concurrent = await Promise.all(sample.map((e) => post({ lang: e.lang, rev_id: e.revId })));
    const encoderRuns = model.encoderRuns() - runsBefore;
    const scoringBatches = service.scoringBatches - batchesBefore;
    for (const r of concurrent) expect(r.status).toBe(200);
    expect(scoringBatches).toBeLessThan(50);
    expect(encoderRuns).toBeLessThan(50);
    // One revisions query per fetch batch (plus parents and users queries of the same batch).
    const revisionQueries = mw.requests.filter((r) => JSON.stringify(r).includes("revids")).length;
    expect(revisionQueries).toBeLessThan(50);
    sequential.forEach((s, i) => {
      expect(
        Math.abs(s.json.output.probabilities.true - concurrent[i]!.json.output.probabilities.true),
      ).toBeLessThan(1e-6);
    });
    const ps = concurrent.map((r) => r.json.output.probabilities.true as number);
    expect(new Set(ps.map((p) => p.toFixed(6))).size).toBeGreaterThan(5);
  });

  it("scores every seeded language and marks unsupported ones", async () => {
    const langs = [...new Set(edits.map((e) => e.lang))];
    const answers = await Promise.all(
      langs.map((lang) => post({ lang, rev_id: edits.find((e) => e.lang === lang)!.revId })),
    );
    answers.forEach((a, i) => {
      expect(a.status, `${langs[i]}: ${JSON.stringify(a.json)}`).toBe(200);
      expect(a.json.wiki_db).toBe(`${langs[i]}wiki`);
    });
  });

  it("answers MediaWiki data problems with LiftWing's 422 and a reason", async () => {
    const e = edits.find((x) => x.lang === "de")!;
    mw.store.deleteRevision("de", e.revId);
    const r = await post({ lang: "de", rev_id: e.revId });
    expect(r.status).toBe(422);
    expect(r.json.detail).toBe(
      `Could not make prediction for revision ${e.revId} (de). Reason: revision_missing`,
    );
    const creation = mw.store.seeded().find((x) => x.parentId === 0);
    if (creation) {
      const c = await post({ lang: creation.lang, rev_id: creation.revId });
      expect(c.status).toBe(422);
      expect(c.json.detail).toMatch(/parent_revision_missing/);
    }
  });

  it("rejects a non-canonical language without any MediaWiki call", async () => {
    mw.resetRequests();
    const r = await post({ lang: "xx-notalang", rev_id: 1 });
    expect(r.status).toBe(400);
    expect(mw.requests).toHaveLength(0);
  });

  it("returns the feature vector in manifest order with ?features=true", async () => {
    const e = edits.find((x) => x.lang === "en")!;
    const res = await fetch(`${api.url}${PREDICT}?features=true`, {
      method: "POST",
      body: JSON.stringify({ lang: "en", rev_id: e.revId }),
    });
    const json = (await res.json()) as { features: Record<string, unknown> };
    expect(Object.keys(json.features)).toEqual(model.manifest.features.map((f) => f.name));
  });

  it("reports readiness and the provider in use", async () => {
    const h = (await (await fetch(api.url + "/healthz")).json()) as Record<string, unknown>;
    expect(JSON.stringify(h)).toMatch(/cpu/);
    expect((await fetch(api.url + "/readyz")).status).toBe(200);
  });
});
