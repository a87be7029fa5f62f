/**
 * Seeded fuzzing of the public HTTP surfaces (tools/fuzz.ts) against real servers on 127.0.0.1: the
 * ingest server (POST /v1/events) and the API server over the real scoring stack (MediaWiki
 * fixture server as the recording MediaWiki, fixture model on onnxruntime, the EventGate-compatible
 * sink). ≥ 10,000 generated bad inputs; none may get a 5xx, hang 5 s, crash a server, answer an
 * error without a JSON message, or make a server reach a host outside the wiki allow-list. The long
 * run is `npm run bench -- fuzz`. Replay another seed with FUZZ_SEED=<n>.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  runFuzz,
  SPOOF_HOSTS,
  SPOOF_LANGS,
  startFuzzTargets,
  WIKI_HOSTS,
  type FuzzTargets,
} from "../tools/fuzz.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const PREDICT = "/v1/models/revertrisk-multilingual:predict";

describe("fuzzing ingest and the API (real servers, fixture model)", () => {
  let t: FuzzTargets;
  beforeAll(async () => {
    t = await startFuzzTargets();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const post = async (path: string, body: string) => {
    const res = await fetch(t.api.url + path, { method: "POST", body });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it(`10,000 generated bad inputs (seed ${SEED}): no 5xx, no hang, every error a JSON message, MediaWiki asked about allow-listed wikis only`, async () => {
    const report = await runFuzz(t, { seed: SEED, runs: 1000, batch: 10 });
    const statuses = Object.entries(report.byStatus).map(([s, n]) => `${s}×${n}`);
    console.log(
      `fuzz seed ${SEED}: ${report.requests} requests, statuses ${statuses.join(" ")}, max ${Math.round(report.maxMs)} ms, ` +
        `outbound ${JSON.stringify(report.outbound)}, wiki hosts ${Object.keys(report.wikiHosts).length}`,
    );
    expect(report.failures).toEqual([]);
    expect(report.violations).toEqual([]);
    expect(report.unhandled).toEqual([]);
    expect(report.requests).toBeGreaterThanOrEqual(10_000);
    // 501 only for `:explain` (KServe's answer without an explainer; checked per request above).
    expect(
      Object.keys(report.byStatus).filter((s) => (Number(s) >= 500 && s !== "501") || s === "0"),
    ).toEqual([]);
    // The run reached the scoring stack (not only early rejections) and every route family.
    expect(report.byStatus["200"]).toBeGreaterThan(100);
    expect(Object.keys(report.wikiHosts).length).toBeGreaterThan(3);
    for (const h of Object.keys(report.outbound)) expect(t.allowedHosts).toContain(h);
    for (const kind of [
      "ingest: NDJSON with bad lines",
      "predict: event",
      "predict: revision_data",
      "predict: instances",
      "ores",
      "models: metadata",
    ])
      expect(report.byKind[kind], kind).toBeGreaterThan(100);
  }, 600_000);

  it("spoofed lang, meta.domain, wiki_id and ORES wikis never make MediaWiki be asked about another host", async () => {
    t.mw.resetRequests();
    const e = t.edits[0]!;
    const statuses = new Set<number>();
    for (const spoof of [...SPOOF_LANGS, ...SPOOF_HOSTS]) {
      statuses.add((await post(PREDICT, JSON.stringify({ lang: spoof, rev_id: e.revId }))).status);
      statuses.add(
        (await post(PREDICT, JSON.stringify({ instances: [{ lang: spoof, rev_id: e.revId }] }))).status,
      );
      const ores = await fetch(`${t.api.url}/v3/scores/${encodeURIComponent(`${spoof}wiki`)}/${e.revId}`);
      statuses.add(ores.status);
      await ores.text();
      const event = {
        $schema: "/mediawiki/page/change/1.2.0",
        meta: { stream: "mediawiki.page_change.v1", domain: spoof, uri: `http://${spoof}/wiki/X` },
        dt: "2026-11-24T12:00:00Z",
        wiki_id: `${spoof}wiki`,
        changelog_kind: "update",
        page_change_kind: "edit",
        page: { page_id: e.pageId, page_title: e.title, namespace_id: 0, is_redirect: false },
        revision: { rev_id: e.revId, rev_parent_id: e.revId - 1, rev_dt: "2026-11-24T12:00:00Z" },
      };
      statuses.add((await post(PREDICT, JSON.stringify({ event }))).status);
    }
    expect([...statuses].filter((s) => s >= 500)).toEqual([]);
    for (const r of t.mw.requests) {
      const host = /^\/([^/]+)\/w\/api\.php$/.exec(r.path)?.[1];
      expect(WIKI_HOSTS.has(decodeURIComponent(host ?? "")), r.path).toBe(true);
    }
  });

  it("instances whose rev_id nests 20,000 levels deep: 400 naming the limit (was a 500 stack overflow)", async () => {
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    const r = await post(PREDICT, `{"instances":[{"lang":"en","rev_id":${deep}}]}`);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json)).toMatch(/nested deeper than 64 levels/);
  });

  it("a 16 KB ORES URL: 431 with a JSON message naming the limit (was an empty body)", async () => {
    const res = await fetch(
      `${t.api.url}/v3/scores/enwiki/?models=revertrisk-multilingual&revids=${"1|".repeat(8200)}`,
    );
    expect(res.status).toBe(431);
    expect(((await res.json()) as { error: string }).error).toMatch(/exceed 16384 bytes/);
  });
});
