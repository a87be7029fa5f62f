/**
 * Backfill end to end on real components: `revrisk backfill` (list file) → embedded queue → scorer
 * worker (fixture model on onnxruntime-node, MediaWiki fixture server) → EventGate sink → DuckDB file
 * → `revrisk sql` and the Parquet export; and an XML dump scored in-process by the same model into
 * the same sink.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until, startOfflineRuntime } from "./helpers.ts";
import type { Runtime } from "../functions/node/runtime.ts";
import { startScorerWorker, type ScorerWorker } from "../functions/scorer/node.ts";
import { startEventGateSink, type EventGateSink } from "../standins/eventgate-sink/sink.ts";
import type { MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import { EventGateClient } from "../shared/pipeline/eventgate-client.ts";
import type { MediaWikiClient } from "../shared/mediawiki/client.ts";
import type { LoadedModel } from "../functions/node/model-loader.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";
import type { BatchingScoringService } from "../shared/scoring/service.ts";
import { runBackfill, runDumpBackfill } from "../functions/backfill/run.ts";
import { sqlCommand } from "../functions/sql/cli.ts";

const xmlEscape = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

describe("backfill → queue → scorer → sink → SQL", () => {
  let dir: string;
  let runtime: Runtime;
  let mw: MwFixtureServer;
  let sink: EventGateSink;
  let model: LoadedModel;
  let service: BatchingScoringService;
  let queue: EmbeddedQueue;
  let worker: ScorerWorker | undefined;
  let client: MediaWikiClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "revrisk-bf-e2e-"));
    ({ mw, runtime } = await startOfflineRuntime());
    ({ model, service, mediawiki: client } = runtime);
    sink = await startEventGateSink({ port: 0, dbPath: join(dir, "results.duckdb") });
    queue = new EmbeddedQueue({ path: join(dir, "queue.sqlite") });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await runtime?.close();
    await mw?.close();
    await sink?.close();
    await queue?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("scores backfilled revisions and the dump; SQL sees them all", async () => {
    const supported = new Set(model.manifest.supported_wikis);
    const picked = mw.store
      .seeded()
      .filter((s) => supported.has(s.lang))
      .slice(0, 40);
    const list = join(dir, "revs.jsonl");
    writeFileSync(
      list,
      picked
        .map((s) => JSON.stringify({ wiki: `${s.lang.replaceAll("-", "_")}wiki`, rev_id: s.revId }))
        .join("\n"),
    );
    const report = await runBackfill({
      source: { kind: "file", path: list },
      queue,
      client,
      checkpointPath: join(dir, "list.checkpoint.json"),
      log: () => {},
    });
    expect(report.counters.done).toBe(picked.length);

    worker = startScorerWorker({
      service,
      queue,
      eventgate: new EventGateClient({ url: sink.eventsUrl, retries: 1 }),
      manifest: model.manifest,
      pollers: 2,
      waitS: 1,
      visibilityTimeoutS: 30,
    });
    await until(
      async () => (await sink.db.stats()).rows >= picked.length,
      90_000,
      `${picked.length} predictions in the sink`,
    );
    await worker.stop();
    worker = undefined;
    const depth = await queue.depth();
    expect(depth).toMatchObject({ visible: 0, inFlight: 0, dead: 0 });

    // A small dump of two fixture edits, scored in-process by the same model.
    const store = mw.store;
    const edits = picked.slice(0, 2).map((s, i) => {
      const w = store.wiki(s.lang);
      const parent = w.revisions.get(s.parentId)!;
      const rev = w.revisions.get(s.revId)!;
      return `<page><title>${xmlEscape(`Dump page ${i}`)}</title><ns>0</ns><id>${900 + i}</id>
<revision><id>${800 + 2 * i}</id><timestamp>2026-10-05T00:00:00Z</timestamp><contributor><ip>192.0.2.1</ip></contributor><text bytes="${parent.size}">${xmlEscape(parent.text)}</text></revision>
<revision><id>${801 + 2 * i}</id><parentid>${800 + 2 * i}</parentid><timestamp>2026-10-05T00:01:00Z</timestamp><contributor><username>Dump User</username><id>4242</id></contributor><text bytes="${rev.size}">${xmlEscape(rev.text)}</text></revision></page>`;
    });
    const dump = join(dir, "itwiki-20261101-pages-meta-history.xml.gz");
    writeFileSync(
      dump,
      gzipSync(`<mediawiki><siteinfo><dbname>itwiki</dbname></siteinfo>${edits.join("\n")}</mediawiki>`),
    );
    const dr = await runDumpBackfill({
      source: { kind: "dump", path: dump },
      service,
      sink: new EventGateClient({ url: sink.eventsUrl }),
      userGroups: false,
      featuresFile: join(dir, "features", "dump.jsonl"),
      log: () => {},
    });
    expect(dr.counters).toMatchObject({ done: 2, failed: {} });

    // Parity: a dump holding the fixture's own revisions (same ids, title, texts and users), with
    // groups and tags fetched from MediaWiki, scores exactly what the queue → scorer path scored
    // (without the tags it does not: the check is sensitive to them).
    const same = picked.slice(0, 6);
    const byWiki = new Map<string, string[]>();
    for (const s of same) {
      const w = store.wiki(s.lang);
      const page = w.pages.get(s.pageId)!;
      const revXml = (id: number) => {
        const r = w.revisions.get(id)!;
        const who = r.userId
          ? `<username>${xmlEscape(r.userText)}</username><id>${r.userId}</id>`
          : `<ip>${xmlEscape(r.userText)}</ip>`;
        return `<revision><id>${r.revId}</id>${r.parentId ? `<parentid>${r.parentId}</parentid>` : ""}<timestamp>${r.timestamp}</timestamp><contributor>${who}</contributor><text bytes="${r.size}">${xmlEscape(r.text)}</text></revision>`;
      };
      const xml = `<page><title>${xmlEscape(page.title)}</title><ns>0</ns><id>${page.pageId}</id>${revXml(s.parentId)}${revXml(s.revId)}</page>`;
      byWiki.set(s.lang, [...(byWiki.get(s.lang) ?? []), xml]);
    }
    const posted: Array<Record<string, any>> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const [lang, pages] of byWiki) {
      const path = join(dir, `${lang}wiki-parity.xml`);
      writeFileSync(path, `<mediawiki>${pages.join("\n")}</mediawiki>`);
      await runDumpBackfill({
        source: { kind: "dump", path, wiki: `${lang}wiki` },
        service,
        client,
        sink: {
          publish: async (events) => {
            posted.push(...(events as Array<Record<string, any>>)); // eslint-disable-line @typescript-eslint/no-explicit-any
            return events.map(() => ({ status: "accepted" as const }));
          },
        },
        log: () => {},
      });
    }
    expect(posted.length).toBe(same.length);
    for (const e of posted) {
      const [row] = await sink.db.query(
        "SELECT probability_true, performer_user_text FROM predictions WHERE meta_id = ?",
        [e.meta.id],
      );
      expect(row, `rev ${e.revision.rev_id}`).toBeDefined();
      expect(e.predicted_classification.probabilities.true).toBeCloseTo(row!.probability_true as number, 6);
      expect(e.performer.user_text).toBe(row!.performer_user_text);
    }
    await sink.close();

    let out = "";
    let err = "";
    const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s) };
    const code = await sqlCommand(
      "SELECT wiki_id, rev_id, probability_true FROM predictions ORDER BY rev_id",
      { dataDir: dir, format: "json" },
      io,
    );
    expect(err).toBe("");
    expect(code).toBe(0);
    const rows = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { wiki_id: string; rev_id: string; probability_true: number });
    const keys = rows.map((r) => `${r.wiki_id}:${r.rev_id}`);
    const expected = [
      ...picked.map((s) => `${s.lang.replaceAll("-", "_")}wiki:${s.revId}`),
      "itwiki:801",
      "itwiki:803",
    ];
    expect([...keys].sort()).toEqual([...expected].sort());
    for (const r of rows) expect(r.probability_true).toBeGreaterThanOrEqual(0);

    const exp = await sqlCommand(
      undefined,
      { dataDir: dir, format: "table", export: join(dir, "parquet"), withFeatures: true },
      io,
    );
    expect(exp).toBe(0);
    expect(err).toMatch(/exported 42 predictions/);
  }, 180_000);
});
