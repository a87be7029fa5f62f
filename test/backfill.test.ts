/**
 * `revrisk backfill`: each source kind into a real queue (embedded SQLite for the list file, fauxqs
 * SQS for the API enumeration) against the fixture MediaWiki server, and XML dumps (.xml, .xml.gz,
 * .xml.bz2) scored in-process into the EventGate sink. Interrupt + resume must give exactly the
 * expected set (no duplicates, no gaps).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMwFixtureServer, type MwFixtureServer } from "../standins/mediawiki-fixture/server.ts";
import {
  MwFixtureStore,
  readParityFile,
  PARITY_FILES,
  type SeededEdit,
} from "../standins/mediawiki-fixture/store.ts";
import { startLocalSqs, type FauxqsHandle } from "../standins/sqs-fauxqs/fauxqs.ts";
import { startEventGateSink, type EventGateSink } from "../standins/eventgate-sink/sink.ts";
import { MediaWikiClient } from "../shared/mediawiki/client.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";
import { SqsQueue } from "../shared/queue/sqs-queue.ts";
import type { Queue, QueueMessage } from "../shared/queue/queue.ts";
import { parsePageChange } from "../shared/events/page-change.ts";
import { processEvents } from "../shared/ingest/ingest-app.ts";
import { EventGateClient } from "../shared/pipeline/eventgate-client.ts";
import type { Manifest } from "../shared/model/bundle.ts";
import type { RevisionData } from "../shared/mediawiki/revision-data.ts";
import type { RevisionOutcome, ScoringService } from "../shared/scoring/service.ts";
import { readDump } from "../shared/backfill/dump-reader.ts";
import { RecentKeys } from "../shared/backfill/recent-keys.ts";
import { runOrdered } from "../shared/backfill/ordered-commit.ts";
import { parseListLine } from "../shared/backfill/list-line.ts";
import { runBackfill, runDumpBackfill, type BackfillReport } from "../functions/backfill/run.ts";
import { readCheckpoint } from "../functions/backfill/checkpoint.ts";

const dbName = (lang: string) => `${lang.replaceAll("-", "_")}wiki`;
const key = (wiki: string, rev: number) => `${wiki}:${rev}`;

/** Wraps a queue: records every message sent; can abort a controller after `abortAfter` messages. */
class RecordingQueue {
  sent: QueueMessage[] = [];
  abortAfter?: { n: number; controller: AbortController };
  failAfter?: number;
  inner: Queue;
  constructor(inner: Queue) {
    this.inner = inner;
  }
  asQueue(): Queue {
    return Object.assign(Object.create(this.inner) as Queue, {
      kind: this.inner.kind,
      sendBatch: async (messages: readonly QueueMessage[]) => {
        if (this.failAfter !== undefined && this.sent.length >= this.failAfter) throw new Error("queue down");
        const r = await this.inner.sendBatch(messages);
        this.sent.push(...messages);
        if (this.abortAfter && this.sent.length >= this.abortAfter.n) this.abortAfter.controller.abort();
        return r;
      },
    });
  }
}

async function drain(queue: Queue): Promise<QueueMessage[]> {
  const out: QueueMessage[] = [];
  for (let empty = 0; empty < 2;) {
    const got = await queue.receive({ max: 10, visibilityTimeoutS: 300 });
    if (!got.length) {
      empty++;
      continue;
    }
    empty = 0;
    for (const m of got) {
      out.push(m.body);
      await queue.ack(m.receiptHandle);
    }
  }
  return out;
}

function expectExactly(messages: QueueMessage[], expected: string[]): void {
  const keys = messages.map((m) => key(m.wiki, m.rev_id));
  expect(keys.length).toBe(new Set(keys).size); // no duplicates
  expect([...keys].sort()).toEqual([...expected].sort()); // no gaps
}

/** Deterministic scorer: probability from the byte difference and text lengths. */
class FixtureService implements ScoringService {
  readonly manifest = {
    model_name: "revertrisk-multilingual",
    model_version: "fixture-1",
    threshold: 0.5,
    supported_wikis: ["en", "de", "fr"],
  } as unknown as Manifest;
  calls = 0;
  ready() {
    return true;
  }
  health() {
    return { provider: "cpu" as const, requestedProvider: "cpu", warmedUp: true };
  }
  async scoreRevisions(): Promise<RevisionOutcome[]> {
    throw new Error("not used by the dump backfill");
  }
  async scoreRevisionData(revs: ReadonlyArray<RevisionData>): Promise<RevisionOutcome[]> {
    this.calls++;
    return revs.map((r) => {
      const p = ((r.text.length * 31 + r.parentText.length * 7 + r.revId) % 1000) / 1000;
      return {
        ok: true as const,
        revision: r,
        supported: true,
        result: {
          prediction: p > 0.5,
          probabilities: { true: p, false: 1 - p },
          features: { wiki_db: r.wikiDb, revision_text_bytes_diff: r.bytes - r.parentBytes },
        },
      };
    });
  }
  async close() {}
}

const xmlEscape = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** A pages-meta-history dump of parity edits: per edit a page with prev (creation) and curr (edit). */
function buildDump(edits: Array<{ id: string; prev: string; curr: string }>, dbname = "enwiki") {
  const parts: string[] = [
    `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">\n`,
    `  <siteinfo>\n    <sitename>Wikipedia</sitename>\n    <dbname>${dbname}</dbname>\n  </siteinfo>\n`,
  ];
  const expected: number[] = [];
  let rev = 5000;
  edits.forEach((e, i) => {
    const pageId = 100 + i;
    const a = rev++;
    const b = rev++;
    expected.push(b);
    const contributor =
      i % 3 === 0
        ? `<contributor><ip>192.0.2.${i % 250}</ip></contributor>`
        : `<contributor><username>User ${i}</username><id>${1000 + i}</id></contributor>`;
    parts.push(
      `  <page>\n    <title>${xmlEscape(`Fixture ${e.id}`)}</title>\n    <ns>0</ns>\n    <id>${pageId}</id>\n`,
      `    <revision>\n      <id>${a}</id>\n      <timestamp>2026-10-0${1 + (i % 9)}T00:00:00Z</timestamp>\n`,
      `      <contributor><username>Creator</username><id>7</id></contributor>\n      <comment>create</comment>\n`,
      `      <model>wikitext</model>\n      <format>text/x-wiki</format>\n`,
      `      <text bytes="${Buffer.byteLength(e.prev)}" xml:space="preserve">${xmlEscape(e.prev)}</text>\n      <sha1>x</sha1>\n    </revision>\n`,
      `    <revision>\n      <id>${b}</id>\n      <parentid>${a}</parentid>\n      <timestamp>2026-10-0${1 + (i % 9)}T00:05:00Z</timestamp>\n`,
      `      ${contributor}\n      ${i % 4 === 0 ? "<minor />" : ""}\n      <comment>edit &amp; fix</comment>\n`,
      `      <model>wikitext</model>\n      <format>text/x-wiki</format>\n`,
      `      <text bytes="${Buffer.byteLength(e.curr)}" xml:space="preserve">${xmlEscape(e.curr)}</text>\n      <sha1>y</sha1>\n    </revision>\n  </page>\n`,
    );
  });
  // Skipped: a talk page, a redirect, a deleted text.
  parts.push(
    `  <page><title>Talk:X</title><ns>1</ns><id>9001</id><revision><id>9101</id><timestamp>2026-10-01T00:00:00Z</timestamp><contributor><ip>1.2.3.4</ip></contributor><text bytes="1">a</text></revision><revision><id>9102</id><parentid>9101</parentid><timestamp>2026-10-01T00:00:00Z</timestamp><contributor><ip>1.2.3.4</ip></contributor><text bytes="1">b</text></revision></page>\n`,
    `  <page><title>Redir</title><ns>0</ns><id>9002</id><redirect title="X" /><revision><id>9201</id><timestamp>2026-10-01T00:00:00Z</timestamp><contributor><ip>1.2.3.4</ip></contributor><text bytes="1">a</text></revision><revision><id>9202</id><parentid>9201</parentid><timestamp>2026-10-01T00:00:00Z</timestamp><contributor><ip>1.2.3.4</ip></contributor><text bytes="1">b</text></revision></page>\n`,
    `  <page><title>Gone</title><ns>0</ns><id>9003</id><revision><id>9301</id><timestamp>2026-10-01T00:00:00Z</timestamp><contributor><ip>1.2.3.4</ip></contributor><text bytes="1">a</text></revision><revision><id>9302</id><parentid>9301</parentid><timestamp>2026-10-01T00:00:00Z</timestamp><contributor deleted="deleted" /><text bytes="5" deleted="deleted" /></revision></page>\n`,
    `</mediawiki>\n`,
  );
  return { xml: parts.join(""), expected };
}

let mw: MwFixtureServer;
let client: MediaWikiClient;
let seeded: SeededEdit[];
let dir: string;

beforeAll(async () => {
  mw = await startMwFixtureServer({ port: 0 });
  client = new MediaWikiClient({ apiBase: mw.apiBase, retries: 1, retryBaseDelayMs: 10 });
  seeded = mw.store.seeded();
  dir = mkdtempSync(join(tmpdir(), "revrisk-backfill-"));
});
afterAll(async () => {
  await mw?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("dump reader", () => {
  it("parses pages and revisions with previous text, in any chunking, and skips on resume", async () => {
    const { xml } = buildDump([
      { id: "a", prev: "x < y & z", curr: "x < y & z!" },
      { id: "b", prev: "é", curr: "éé" },
    ]);
    const chunks = (size: number) =>
      (async function* () {
        const b = Buffer.from(xml);
        for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
      })();
    const all = [];
    for await (const it of readDump(chunks(7))) all.push(it);
    const whole = [];
    for await (const it of readDump(chunks(1 << 20))) whole.push(it);
    expect(all.map((i) => i.revision.id)).toEqual(whole.map((i) => i.revision.id));
    expect(all.length).toBe(10);
    const edit = all[1]!;
    expect(edit.dbName).toBe("enwiki");
    expect(edit.page).toEqual({ title: "Fixture a", ns: 0, id: 100, redirect: false });
    expect(edit.revision.text).toBe("x < y & z!");
    expect(edit.revision.comment).toBe("edit & fix");
    expect(edit.revision.minor).toBe(true);
    expect(edit.revision.contributor.ip).toBe("192.0.2.0");
    expect(edit.previous).toMatchObject({ id: 5000, text: "x < y & z" });
    expect(all[3]!.revision.bytes).toBe(4);
    expect(all[3]!.revision.contributor).toMatchObject({ username: "User 1", id: 1001 });
    expect(all[7]!.page.redirect).toBe(true);
    expect(all[9]!.revision.textDeleted).toBe(true);
    expect(all[9]!.revision.text).toBeUndefined();
    expect(all[9]!.revision.contributor.deleted).toBe(true);
    // Resume: skip one page and one revision of the next; then seek by byte offset.
    const resumed = [];
    for await (const it of readDump(chunks(64), { skipPages: 1, skipRevisions: 1 })) resumed.push(it);
    expect(resumed[0]!.revision.id).toBe(5003);
    expect(resumed[0]!.previous?.id).toBe(5002);
    const off = all[4]!.pageOffset;
    const seeked = [];
    for await (const it of readDump([Buffer.from(xml).subarray(off)], {
      startOffset: off,
      startPageIndex: 2,
    }))
      seeked.push(it);
    expect(seeked.map((i) => i.revision.id)).toEqual(all.slice(4).map((i) => i.revision.id));
    expect(seeked[0]!.pageOffset).toBe(off);
    expect(seeked[0]!.pageIndex).toBe(2);
  });

  it("reports truncated dumps", async () => {
    const { xml } = buildDump([{ id: "a", prev: "p", curr: "c" }]);
    const run = async () => {
      for await (const _ of readDump([xml.slice(0, xml.indexOf("</page>"))])) void _;
    };
    await expect(run()).rejects.toThrow(/truncated dump/);
  });
});

describe("backfill core", () => {
  it("commits positions in order and never past a failed unit", async () => {
    const committed: number[] = [];
    const units = (async function* () {
      for (let i = 1; i <= 20; i++) yield i;
    })();
    await expect(
      runOrdered<number, number>({
        units,
        position: (u) => u,
        concurrency: 4,
        process: async (u) => {
          await new Promise((r) => setTimeout(r, (u * 7) % 5));
          if (u === 9) throw new Error("boom");
        },
        commit: (p) => void committed.push(p),
      }),
    ).rejects.toThrow("boom");
    expect(committed).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("bounds the seen-set", () => {
    const r = new RecentKeys(3, ["a", "b"]);
    r.add("c");
    r.add("d");
    expect(r.has("a")).toBe(false);
    expect(r.newest(2)).toEqual(["c", "d"]);
  });

  it("parses list lines: CSV, TSV, JSONL, header, errors", () => {
    expect(parseListLine("enwiki,123", undefined)).toEqual({ wiki: "enwiki", revId: 123 });
    expect(parseListLine("de\t5", undefined)).toEqual({ wiki: "de", revId: 5 });
    expect(parseListLine('{"wiki_id":"frwiki","rev_id":9}', undefined)).toEqual({ wiki: "frwiki", revId: 9 });
    expect(parseListLine("rev_id,wiki", undefined)).toEqual({ header: ["rev_id", "wiki"] });
    expect(parseListLine("7,enwiki", ["rev_id", "wiki"])).toEqual({ wiki: "enwiki", revId: 7 });
    expect(parseListLine("  # comment", undefined)).toBeUndefined();
    expect(() => parseListLine("enwiki,abc", undefined)).toThrow(/not a positive decimal integer/);
    expect(() => parseListLine("{bad", undefined)).toThrow(/invalid JSON/);
  });

  it("takes decimal revision ids only (no hex, exponent, sign or fraction)", () => {
    for (const bad of ["0x186a2", "1.00004e5", "1e5", "+100004", "100004.0", "0b11", "0o17", " ", "-3", "0"])
      expect(() => parseListLine(`enwiki,${bad}`, undefined), bad).toThrow(/not a positive decimal integer/);
    expect(() => parseListLine('{"wiki":"enwiki","rev_id":"0x186a2"}', undefined)).toThrow(
      /rev_id "0x186a2" is not a positive decimal integer/,
    );
    expect(() => parseListLine('{"wiki":"enwiki","rev_id":1.5}', undefined)).toThrow(
      /not a positive decimal/,
    );
    expect(parseListLine("enwiki,100004", undefined)).toEqual({ wiki: "enwiki", revId: 100004 });
    expect(parseListLine('{"wiki":"enwiki","rev_id":"100004"}', undefined)).toEqual({
      wiki: "enwiki",
      revId: 100004,
    });
  });
});

describe("backfill from a list file into the embedded queue", () => {
  let listPath: string;
  let expected: string[];

  beforeAll(() => {
    const rows = seeded.map((s) => `${dbName(s.lang)},${s.revId}`);
    expected = seeded.map((s) => key(dbName(s.lang), s.revId));
    // A header, a comment, a duplicate, a page creation (skipped) and a missing revision (skipped).
    const lines = [
      "wiki,rev_id",
      "# seeded fixture edits",
      ...rows.slice(0, 10),
      rows[3]!,
      `${dbName(seeded[0]!.lang)},${seeded[0]!.parentId}`,
      "enwiki,999999999",
      ...rows.slice(10),
    ];
    listPath = join(dir, "revs.csv");
    writeFileSync(listPath, lines.join("\n") + "\n");
  });

  it("dry-run counts without touching the queue", async () => {
    const r = await runBackfill({ source: { kind: "file", path: listPath }, dryRun: true, log: () => {} });
    expect(r.completed).toBe(true);
    expect(r.counters.done).toBe(seeded.length + 2);
    expect(r.counters.skipped.duplicate).toBe(1);
  });

  it("enqueues every revision once across an interruption and a resume", async () => {
    const queue = new EmbeddedQueue({ path: join(dir, "queue.sqlite") });
    const rec = new RecordingQueue(queue);
    const checkpointPath = join(dir, "file.checkpoint.json");
    const controller = new AbortController();
    rec.abortAfter = { n: 150, controller };
    const first = await runBackfill({
      source: { kind: "file", path: listPath },
      queue: rec.asQueue(),
      client,
      checkpointPath,
      batchSize: 50,
      concurrency: 3,
      signal: controller.signal,
      log: () => {},
    });
    expect(first.completed).toBe(false);
    const cp = readCheckpoint(checkpointPath)!;
    expect(cp.counters.done).toBe(rec.sent.length);
    expect(cp.completed).toBe(false);
    rec.abortAfter = undefined;
    const lines: string[] = [];
    const second = await runBackfill({
      source: { kind: "file", path: listPath },
      queue: rec.asQueue(),
      client,
      checkpointPath,
      batchSize: 50,
      concurrency: 3,
      log: (l) => lines.push(l),
    });
    expect(second.resumed).toBe(true);
    expect(second.completed).toBe(true);
    expect(second.counters.done).toBe(seeded.length);
    expect(second.counters.skipped).toMatchObject({ duplicate: 1, page_creation: 1, revision_missing: 1 });
    const messages = await drain(queue);
    expectExactly(messages, expected);
    expectExactly(rec.sent, expected);
    // Synthesized events are valid page_change events with a performer.
    for (const m of messages.slice(0, 50)) {
      const p = parsePageChange(m.event);
      expect(p.ok).toBe(true);
      expect(m.event).toMatchObject({ page_change_kind: "edit", changelog_kind: "update" });
      expect((m.event.performer as { user_text: string }).user_text).toBeTruthy();
    }
    const admin = messages.find(
      (m) => (m.event.performer as { user_text: string }).user_text === "Example Admin",
    );
    expect((admin!.event.performer as { groups: string[] }).groups).toContain("sysop");
    // A completed checkpoint is not run again.
    const third = await runBackfill({
      source: { kind: "file", path: listPath },
      queue,
      client,
      checkpointPath,
      log: () => {},
    });
    expect(third.run.done).toBe(0);
    await queue.close();
  });

  it("a queue failure stops the run; the resume fills the gap exactly", async () => {
    const queue = new EmbeddedQueue({ path: ":memory:" });
    const rec = new RecordingQueue(queue);
    rec.failAfter = 120;
    const checkpointPath = join(dir, "file-fail.checkpoint.json");
    const opts = {
      source: { kind: "file" as const, path: listPath },
      client,
      checkpointPath,
      batchSize: 40,
      concurrency: 2,
      log: () => {},
    };
    await expect(runBackfill({ ...opts, queue: rec.asQueue() })).rejects.toThrow("queue down");
    rec.failAfter = undefined;
    const r = await runBackfill({ ...opts, queue: rec.asQueue() });
    expect(r.completed).toBe(true);
    expectExactly(await drain(queue), expected);
    await queue.close();
  });

  it("a revision the queue refuses for what it is fails alone; the others are enqueued", async () => {
    const store = new MwFixtureStore();
    // A 300 000-character comment makes a page_change event over the queue's 262 144-byte limit.
    const big = store.addEdit("en", { title: "Big", prev: "a", curr: "b", comment: "c".repeat(300_000) });
    const small = store.addEdit("en", { title: "Small", prev: "a", curr: "b" });
    const own = await startMwFixtureServer({ port: 0, store });
    const queue = new EmbeddedQueue({ path: ":memory:" });
    try {
      const path = join(dir, "refused.csv");
      writeFileSync(path, `enwiki,${big.revision.revId}\nenwiki,${small.revision.revId}\n`);
      const r = await runBackfill({
        source: { kind: "file", path },
        queue,
        client: new MediaWikiClient({ apiBase: own.apiBase, retries: 0 }),
        log: () => {},
      });
      expect(r.completed).toBe(true);
      expect(r.counters.done).toBe(1);
      expect(Object.values(r.counters.failed).reduce((a, b) => a + b, 0)).toBe(1);
      expect((await drain(queue)).map((m) => m.rev_id)).toEqual([small.revision.revId]);
    } finally {
      await queue.close();
      await own.close();
    }
  });

  it("reports unreadable input with line numbers", async () => {
    const dryRun = async (path: string, skipInvalid?: boolean) => {
      const logged: string[] = [];
      const r = await runBackfill({
        source: { kind: "file", path },
        dryRun: true,
        skipInvalid,
        log: (l) => logged.push(l),
      });
      return { r, logged: logged.join("\n") };
    };
    const bad = join(dir, "bad.tsv");
    writeFileSync(bad, "enwiki\t1\nenwiki\t2\nenwiki\tx\nnosuchwiki\t4\n");
    await expect(dryRun(bad)).rejects.toThrow(/bad\.tsv:3: rev_id "x" is not a positive decimal integer/);
    const b = await dryRun(bad, true);
    expect(b.r.counters.done).toBe(2);
    expect(b.r.invalidLines).toBe(2);
    expect(b.logged).toMatch(/bad\.tsv:4: .*nosuchwiki/);
    // Decimal revision ids only: hex and exponent forms are errors naming the line.
    const hex = join(dir, "hex.csv");
    writeFileSync(hex, "wiki,rev_id\nenwiki,100004\nenwiki,0x186a2\nenwiki,1.00004e5\n");
    await expect(dryRun(hex)).rejects.toThrow(
      /hex\.csv:3: rev_id "0x186a2" is not a positive decimal integer/,
    );
    const h = await dryRun(hex, true);
    expect(h.r.counters.done).toBe(1);
    expect(h.r.invalidLines).toBe(2);
    expect(h.logged).toMatch(/hex\.csv:4: rev_id "1\.00004e5" is not a positive decimal integer/);
    await expect(dryRun(join(dir, "missing.csv"))).rejects.toThrow(/missing\.csv: cannot read the list file/);
  });
});

describe("backfill from list=allrevisions into SQS (fauxqs)", () => {
  let sqs: FauxqsHandle;
  beforeAll(async () => {
    sqs = await startLocalSqs();
  });
  afterAll(async () => {
    await sqs?.stop();
  });

  it("enumerates a time range with continuation; interrupt and resume give the exact set", async () => {
    const { queueUrl, dlqUrl } = await sqs.createQueue("backfill-api");
    const queue = new SqsQueue({
      queueUrl,
      dlqUrl,
      endpoint: sqs.endpoint,
      region: sqs.region,
      credentials: sqs.credentials,
    });
    const expected = seeded.filter((s) => s.lang === "en").map((s) => key("enwiki", s.revId));
    expect(expected.length).toBeGreaterThan(300);
    const source = { kind: "api" as const, wiki: "enwiki", from: "2024-01-01", to: "2025-01-01" };
    const dry = await runBackfill({ source, client, dryRun: true, log: () => {} });
    expect(dry.counters.done).toBe(expected.length);
    expect(dry.counters.skipped.page_creation).toBe(expected.length);

    const rec = new RecordingQueue(queue);
    const controller = new AbortController();
    rec.abortAfter = { n: 200, controller };
    const checkpointPath = join(dir, "api.checkpoint.json");
    const progress: number[] = [];
    const first = await runBackfill({
      source,
      queue: rec.asQueue(),
      client,
      checkpointPath,
      batchSize: 60,
      signal: controller.signal,
      onProgress: (p) => progress.push(p.fraction ?? -1),
      log: () => {},
    });
    expect(first.completed).toBe(false);
    expect(readCheckpoint(checkpointPath)!.position).toHaveProperty("index");
    rec.abortAfter = undefined;
    const second = await runBackfill({
      source,
      queue: rec.asQueue(),
      client,
      checkpointPath,
      batchSize: 60,
      log: () => {},
    });
    expect(second.completed).toBe(true);
    expect(progress.every((f) => f >= 0 && f <= 1)).toBe(true);
    expectExactly(await drain(queue), expected);
    await queue.close();
  });

  it("rejects a checkpoint of another backfill and bad dates", async () => {
    const queue = new EmbeddedQueue({ path: ":memory:" });
    const checkpointPath = join(dir, "api.checkpoint.json");
    await expect(
      runBackfill({
        source: { kind: "api", wiki: "dewiki", from: "2024-01-01", to: "2025-01-01" },
        queue,
        client,
        checkpointPath,
        log: () => {},
      }),
    ).rejects.toThrow(/belongs to another backfill/);
    await expect(
      runBackfill({
        source: { kind: "api", wiki: "enwiki", from: "yesterday", to: "2025-01-01" },
        client,
        dryRun: true,
        log: () => {},
      }),
    ).rejects.toThrow(/--from "yesterday" is not a date/);
    await queue.close();
  });
});

describe("backfill applies the ingest filter", () => {
  it("an unsupported wiki's revisions are filtered exactly like ingest filters them", async () => {
    const en = seeded.filter((s) => s.lang === "en").slice(0, 30);
    const de = seeded.filter((s) => s.lang === "de").slice(0, 10);
    const path = join(dir, "mixed.csv");
    writeFileSync(path, [...en, ...de].map((s) => `${dbName(s.lang)},${s.revId}`).join("\n") + "\n");
    const keys = (ms: QueueMessage[]) => ms.map((m) => key(m.wiki, m.rev_id)).sort();

    // The page_change events a backfill synthesizes for these revisions (both wikis supported)…
    const all = new EmbeddedQueue({ path: ":memory:" });
    await runBackfill({
      source: { kind: "file", path },
      queue: all,
      client,
      wikis: ["en", "de"],
      log: () => {},
    });
    const events = (await drain(all)).map((m) => m.event);
    expect(events.length).toBe(en.length + de.length);
    // …what ingest does with them when only dewiki is supported…
    const ingestQueue = new EmbeddedQueue({ path: ":memory:" });
    const ingest = await processEvents(events, { queue: ingestQueue, filter: { wikis: ["de"] } });
    expect(ingest.skipped).toEqual({ unsupported_wiki: en.length });
    // …and what the backfill does with the same supported wikis: the same.
    const queue = new EmbeddedQueue({ path: ":memory:" });
    const r = await runBackfill({
      source: { kind: "file", path },
      queue,
      client,
      wikis: ["de"],
      log: () => {},
    });
    expect(r.counters.skipped).toEqual(ingest.skipped);
    expect(r.counters.done).toBe(ingest.accepted);
    expect(keys(await drain(queue))).toEqual(keys(await drain(ingestQueue)));

    // list=allrevisions and dumps of an unsupported wiki: every revision skipped for the same reason.
    const api = await runBackfill({
      source: { kind: "api", wiki: "enwiki", from: "2024-01-01", to: "2025-01-01" },
      client,
      dryRun: true,
      wikis: ["de"],
      log: () => {},
    });
    expect(api.counters.done).toBe(0);
    expect(Object.keys(api.counters.skipped)).toEqual(["unsupported_wiki"]);
    const { xml } = buildDump(readParityFile(PARITY_FILES[0]!).slice(0, 5), "enwiki");
    const dump = join(dir, "enwiki-unsupported.xml");
    writeFileSync(dump, xml);
    const d = await runBackfill({
      source: { kind: "dump", path: dump },
      dryRun: true,
      wikis: ["de"],
      log: () => {},
    });
    expect(d.counters).toMatchObject({ done: 0, skipped: { unsupported_wiki: 5 * 2 + 6 } });
    for (const q of [all, ingestQueue, queue]) await q.close();
  });
});

describe("backfill from XML dumps, scored in-process into the EventGate sink", () => {
  let sink: EventGateSink;
  let edits: Array<{ id: string; prev: string; curr: string }>;
  beforeAll(async () => {
    sink = await startEventGateSink({ port: 0 });
    edits = readParityFile(PARITY_FILES[0]!).concat(readParityFile(PARITY_FILES[1]!)).slice(0, 150);
  });
  afterAll(async () => {
    await sink?.close();
  });

  const variants: Array<[string, (xml: string, path: string) => void]> = [
    ["xml.gz", (xml, path) => writeFileSync(path, gzipSync(xml))],
    [
      "xml.bz2",
      (xml, path) => {
        writeFileSync(path.replace(/\.bz2$/, ""), xml);
        execFileSync("bzip2", ["-f", path.replace(/\.bz2$/, "")]);
      },
    ],
    ["xml", (xml, path) => writeFileSync(path, xml)],
  ];

  for (const [ext, write] of variants) {
    it(`scores a .${ext} dump; interrupt and resume send each revision once`, async () => {
      const dbname = ext === "xml.gz" ? "enwiki" : ext === "xml.bz2" ? "dewiki" : "frwiki";
      const { xml, expected } = buildDump(edits, dbname);
      const path = join(dir, `${dbname}-20261101-pages-meta-history.${ext}`);
      write(xml, path);
      const service = new FixtureService();
      const posted: Array<Record<string, unknown>> = [];
      const eg = new EventGateClient({ url: sink.eventsUrl });
      const controller = new AbortController();
      const recordingSink = {
        publish: async (events: readonly object[]) => {
          posted.push(...(events as Array<Record<string, unknown>>));
          const r = await eg.publish(events);
          if (posted.length >= 60) controller.abort();
          return r;
        },
      };
      const dry = await runBackfill({ source: { kind: "dump", path }, dryRun: true, log: () => {} });
      expect(dry.counters.done).toBe(expected.length);
      expect(dry.counters.skipped).toMatchObject({ namespace: 2, redirect: 2, deleted: 1 });

      const checkpointPath = join(dir, `${ext}.checkpoint.json`);
      const featuresFile = join(dir, `${ext}.features.jsonl`);
      const base = {
        source: { kind: "dump" as const, path },
        service,
        sink: recordingSink,
        client,
        userGroups: false,
        tags: false,
        checkpointPath,
        featuresFile,
        batchSize: 16,
        log: () => {},
      };
      const first = await runDumpBackfill({ ...base, signal: controller.signal });
      expect(first.completed).toBe(false);
      const second: BackfillReport = await runDumpBackfill(base);
      expect(second.completed).toBe(true);
      expect(second.counters.done).toBe(expected.length);
      const revs = posted.map((e) => (e.revision as { rev_id: number }).rev_id);
      expect(revs.length).toBe(new Set(revs).size);
      expect([...revs].sort()).toEqual([...expected].sort());
      const rows = await sink.db.query(
        `SELECT COUNT(*)::INTEGER AS n, COUNT(DISTINCT rev_id)::INTEGER AS d, SUM(duplicates)::INTEGER AS dup FROM predictions WHERE wiki_id = '${dbname}'`,
      );
      expect(rows[0]).toEqual({ n: expected.length, d: expected.length, dup: 0 });
      const anon = posted.find((e) => (e.performer as { user_id?: number }).user_id === undefined)!;
      expect(anon.predicted_classification).toMatchObject({ model_version: "fixture-1" });
    });
  }
});
