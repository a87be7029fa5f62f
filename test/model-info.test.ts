/**
 * Model statistics on the wire: ORES `model_info` (what the ORES extension and patrolling tools
 * query) and the LiftWing-side statistics endpoint, served over real HTTP by the API on the real
 * scoring stack (fixture model, whose bundle carries statistics from `revrisk evaluate`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, type ApiServer } from "../functions/api/node.ts";
import { createRuntime, type Runtime } from "../functions/node/runtime.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import { optimize, parseOptimization } from "../shared/model/statistics.ts";
import { ResponseRecorder } from "./api-responses.ts";

let mw: MwFixtureServer;
let stack: Runtime;
let api: ApiServer;
const M = "revertrisk-multilingual";

beforeAll(async () => {
  mw = await startMwFixtureServer({ port: 0 });
  stack = await createRuntime({
    model: "models/fixture",
    provider: "cpu",
    mediawikiUrl: mw.apiBase,
    featurizerThreads: 0,
  });
  api = await startApiServer({ service: stack.service, port: 0 });
});
afterAll(async () => {
  await api?.stop();
  await stack?.close();
  await mw?.close();
});

/** Every answer, checked against /openapi.json by the last test. */
const recorder = new ResponseRecorder();

const get = async (path: string) => {
  const { res: r, text } = await recorder.fetch(api.url + path);
  return { status: r.status, json: JSON.parse(text) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

describe("ORES model_info", () => {
  const stats = () => stack.model.manifest.statistics!;

  it("the ORES extension's threshold query: thresholds.true[0].threshold of the wiki's own table", async () => {
    const q = 'statistics.thresholds.true."maximum recall @ precision >= 0.3"';
    const r = await get(`/v3/scores/enwiki/?models=${M}&model_info=${encodeURIComponent(q)}`);
    expect(r.status).toBe(200);
    const rows = r.json.enwiki.models[M].statistics.thresholds.true;
    const expected = optimize(
      stats().per_wiki.en.thresholds.true,
      parseOptimization("maximum recall @ precision >= 0.3")!,
    );
    expect(expected).not.toBeNull();
    expect(rows).toEqual([expected]);
    expect(typeof rows[0].threshold).toBe("number");
    expect(Object.keys(r.json.enwiki.models[M])).toEqual(["statistics"]);
  });

  it("several fields with |, on the single-revision route next to its score", async () => {
    const r = await get(
      `/v3/scores/enwiki/100002/?model_info=${encodeURIComponent("version|type|statistics.roc_auc|params.threshold")}`,
    );
    expect(r.status).toBe(200);
    const entry = r.json.enwiki.models[M];
    expect(entry).toEqual({
      version: stack.model.manifest.model_version,
      type: "RevertRiskMultilingual",
      statistics: { roc_auc: stats().per_wiki.en.roc_auc },
      params: { threshold: stack.model.manifest.threshold },
    });
    expect(r.json.enwiki.scores["100002"][M].score.probability.true).toEqual(expect.any(Number));
  });

  it("a wiki without statistics of its own gets the overall ones; /v3/scores lists every wiki", async () => {
    expect(stats().per_wiki.fr).toBeUndefined();
    const r = await get(`/v3/scores/frwiki/?model_info=statistics.counts`);
    expect(r.json.frwiki.models[M].statistics.counts).toEqual(stats().overall.counts);
    const all = await get(`/v3/scores/?model_info=statistics.counts.n`);
    expect(all.status).toBe(200);
    expect(all.json.dewiki.models[M].statistics.counts.n).toBe(stats().per_wiki.de.counts.n);
    expect(all.json.frwiki.models[M].statistics.counts.n).toBe(stats().overall.counts.n);
  });

  it("without model_info the entry stays {version}; bad model_info is a 400 naming the problem", async () => {
    expect((await get(`/v3/scores/enwiki/`)).json.enwiki.models[M]).toEqual({
      version: stack.model.manifest.model_version,
    });
    const bad = await get(`/v3/scores/enwiki/?model_info=statistics.bogus`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/unknown model_info field statistics\.bogus/);
    const badQ = await get(
      `/v3/scores/enwiki/?model_info=${encodeURIComponent('statistics.thresholds.true."best recall"')}`,
    );
    expect(badQ.status).toBe(400);
    expect(badQ.json.error.message).toMatch(/does not match/);
  });
});

describe("LiftWing-side statistics", () => {
  it("GET /v1/models/{model} summarizes them and points to the full statistics", async () => {
    const r = await get(`/v1/models/${M}`);
    expect(r.status).toBe(200);
    expect(r.json.statistics.wikis).toContain("en");
    expect(r.json.statistics.overall.roc_auc).toEqual(stack.model.manifest.statistics!.overall.roc_auc);
    expect(r.json.statistics.overall.thresholds).toBeUndefined();
    expect(r.json.statistics.href).toBe(`/v1/models/${M}/statistics`);
  });

  it("which threshold gives precision >= x on a wiki", async () => {
    const r = await get(
      `/v1/models/${M}/statistics?wiki=de&optimize=${encodeURIComponent("maximum recall @ precision >= 0.25")}`,
    );
    expect(r.status).toBe(200);
    const row = optimize(
      stack.model.manifest.statistics!.per_wiki.de.thresholds.true,
      parseOptimization("maximum recall @ precision >= 0.25")!,
    );
    expect(r.json).toEqual({
      model_name: M,
      model_version: stack.model.manifest.model_version,
      wiki: "de",
      scope: "de",
      label: "true",
      optimization: "maximum recall @ precision >= 0.25",
      threshold: row!.threshold,
      statistics: row,
    });
    const none = await get(
      `/v1/models/${M}/statistics?wiki=de&optimize=${encodeURIComponent("maximum recall @ precision >= 2")}`,
    );
    expect(none.json).toMatchObject({ threshold: null, statistics: null });
  });

  it("full statistics of a wiki, overall as the fallback; clear 4xx for bad parameters", async () => {
    const he = await get(`/v1/models/${M}/statistics?wiki=he`);
    expect(he.json).toMatchObject({ wiki: "he", scope: "overall" });
    expect(he.json.statistics).toEqual(stack.model.manifest.statistics!.overall);
    expect((await get(`/v1/models/${M}/statistics?wiki=xx`)).status).toBe(400);
    expect((await get(`/v1/models/${M}/statistics?label=maybe`)).status).toBe(400);
    const q = await get(`/v1/models/${M}/statistics?optimize=best`);
    expect(q.status).toBe(400);
    expect(q.json.error).toMatch(/does not match/);
    expect((await get(`/v1/models/other/statistics`)).status).toBe(404);
  });
});

describe("the served OpenAPI document", () => {
  it("describes every answer of the model-info tests", async () => {
    const doc = await (await fetch(`${api.url}/openapi.json`)).json();
    expect(recorder.responses.length).toBeGreaterThan(10);
    expect(recorder.problems(doc)).toEqual([]);
  });
});
