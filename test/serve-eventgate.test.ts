/**
 * `revrisk serve --eventgate-url`: the all-in-one default publishing to an EventGate it did not
 * start — here the EventGate-compatible sink with the real schemas, started separately — with
 * `--schema-version` defined by the same option table entry as the scorer's.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startEventGateSink } from "../standins/eventgate-sink/sink.ts";
import { seededStore } from "../standins/mediawiki-fixture/store.ts";
import { pageChangeEventsFromStore } from "../standins/mediawiki-fixture/replay.ts";

describe("revrisk serve --offline --eventgate-url", () => {
  const dir = mkdtempSync(join(tmpdir(), "revrisk-serve-eg-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("publishes every replayed edit to that EventGate, at the schema version asked for, and starts no sink", async () => {
    const sink = await startEventGateSink({ port: 0 });
    try {
      const events = pageChangeEventsFromStore(seededStore())
        .filter((e) => e.page_change_kind === "edit")
        .slice(0, 6);
      const replay = join(dir, "replay.jsonl");
      writeFileSync(replay, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
      // Asynchronous: the sink answers from this process while serve runs.
      const child = spawn(
        process.execPath,
        [
          "bin/revrisk.ts",
          "serve",
          "--offline",
          "--exit-when-done",
          "--provider",
          "cpu",
          "--featurizer-threads",
          "0",
          "--data-dir",
          dir,
          "--replay",
          replay,
          "--replay-rate",
          "100",
          "--port",
          "0",
          "--ingest-port",
          "0",
          "--eventgate-url",
          sink.eventsUrl,
          "--schema-version",
          "1.0.0",
        ],
        { env: { ...process.env, REVRISK_LOG_LEVEL: "warn" } },
      );
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const code = await new Promise<number | null>((res) => child.once("exit", res));
      expect(code, stderr).toBe(0);
      const m = /scored (\d+) revisions: (\d+) predictions published, /.exec(stderr);
      expect(m, stderr).not.toBeNull();
      expect(Number(m![2])).toBe(events.length);
      expect(stderr).toContain(`EventGate       ${sink.eventsUrl}`);
      expect((await sink.db.stats()).rows).toBe(events.length);
      const rows = await sink.db.query("SELECT rev_id, schema FROM predictions ORDER BY rev_id");
      expect(new Set(rows.map((r) => r.schema))).toEqual(
        new Set(["/mediawiki/page/prediction_classification_change/1.0.0"]),
      );
      expect(rows.map((r) => Number(r.rev_id))).toEqual(
        events.map((e) => (e.revision as { rev_id: number }).rev_id).sort((a, b) => a - b),
      );
    } finally {
      await sink.close();
    }
  }, 180_000);
});
