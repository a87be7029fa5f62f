import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { register, runIngest } from "../functions/ingest/cli.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";

const sample = readFileSync(
  new URL("./data/samples/page_change-1.2.0.example.json", import.meta.url),
  "utf8",
);

describe("revrisk ingest", () => {
  it("registers the subcommand", () => {
    const p = new Command();
    register(p);
    const cmd = p.commands.find((c) => c.name() === "ingest")!;
    expect(cmd.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(["--port", "--token", "--queue-url", "--eventstreams"]),
    );
  });

  it("runs with the embedded queue under --data-dir and fails fast on unreachable EventStreams", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revrisk-ingest-"));
    const logs: string[] = [];
    const base = {
      port: 0,
      host: "127.0.0.1",
      dataDir: dir,
      namespaces: "0",
      maxBodyBytes: 1 << 20,
      token: "t",
      log: (l: string) => logs.push(l),
    };
    try {
      const h = await runIngest(base);
      const r = await fetch(`${h.server.url}/v1/events`, {
        method: "POST",
        body: sample,
        headers: { authorization: "Bearer t" },
      });
      expect(r.status).toBe(202);
      await h.close();
      const q = new EmbeddedQueue({ path: join(dir, "queue.sqlite") });
      expect((await q.depth()).visible).toBe(1);
      await q.close();
      expect(logs[0]).toMatch(/47 wikis from built-in RRML list/);
      const t0 = Date.now();
      await expect(
        runIngest({ ...base, eventstreams: "http://127.0.0.1:1/v2/stream/mediawiki.page_change.v1" }),
      ).rejects.toThrow(/cannot connect[\s\S]*--offline/);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses the queue its caller owns (serve: one handle on the embedded queue) and leaves it open", async () => {
    const owner = mkdtempSync(join(tmpdir(), "revrisk-ingest-owner-"));
    const other = mkdtempSync(join(tmpdir(), "revrisk-ingest-other-"));
    const queue = new EmbeddedQueue({ path: join(owner, "queue.sqlite") });
    try {
      const h = await runIngest({
        queue,
        port: 0,
        host: "127.0.0.1",
        dataDir: other,
        namespaces: "0",
        maxBodyBytes: 1 << 20,
        log: () => {},
      });
      const r = await fetch(`${h.server.url}/v1/events`, { method: "POST", body: sample });
      expect(r.status).toBe(202);
      await h.close();
      // The event is in the owner's queue, still open after ingest closed; no second queue file.
      expect((await queue.depth()).visible).toBe(1);
      expect(existsSync(join(other, "queue.sqlite"))).toBe(false);
    } finally {
      await queue.close();
      rmSync(owner, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });
});
