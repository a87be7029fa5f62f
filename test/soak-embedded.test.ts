/**
 * The embedded queue under kill -9 (tools/soak.ts runEmbeddedKill): `revrisk serve --offline` is
 * SIGKILLed while it scores; its DuckDB results file and embedded queue file both open and together
 * hold every accepted event; restarted on the same data directory it publishes each event once
 * (re-sent ones counted as duplicates on meta.id) and empties its queue.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runEmbeddedKill } from "../tools/soak.ts";

describe("embedded queue under kill -9", () => {
  const dir = mkdtempSync(join(tmpdir(), "revrisk-soak-embedded-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("embedded queue: serve SIGKILLed mid-run keeps its DuckDB and queue files consistent and finishes after a restart", async () => {
    const r = await runEmbeddedKill({ dir: join(dir, "embedded"), events: 250 });
    console.log(`embedded queue under kill -9: ${JSON.stringify(r)}`);
    expect(r.afterKill.dbOpened).toBe(true);
    // Every accepted event was either published or still queued when the process died.
    expect(r.afterKill.missingFromBoth).toBe(0);
    // It was killed mid-run: not everything sent was published yet.
    expect(r.afterKill.rows).toBeLessThan(r.events);
    expect(r.lost).toBe(0);
    expect(r.events).toBe(250);
    expect(r.published).toBe(r.events);
    expect(r.queueLeft).toBe(0);
    expect(r.deadLettered).toBe(0);
  }, 600_000);
});
