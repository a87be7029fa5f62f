/**
 * The last-resort handlers of a revrisk process (functions/node/process-guards.ts), in real child
 * processes: an unhandled rejection is logged with its context and counted on /metrics, then the
 * process carries on (or exits with REVRISK_ON_UNHANDLED_REJECTION=exit); an uncaught exception
 * runs the command's shutdown and exits 1.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "revrisk-guards-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const url = (p: string) => pathToFileURL(resolve(p)).href;

/** Runs a script that installs the guards, then does `body`; returns its exit status and output. */
function run(body: string, env: Record<string, string> = {}) {
  const file = join(dir, `script-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(
    file,
    [
      `import { pino } from ${JSON.stringify(url("node_modules/pino/pino.js"))};`,
      `import { installProcessGuards, setFatalShutdown } from ${JSON.stringify(url("functions/node/process-guards.ts"))};`,
      `import { createMetrics } from ${JSON.stringify(url("functions/node/metrics.ts"))};`,
      `const log = pino({ name: "t" }, pino.destination({ fd: 2, sync: true }));`,
      `import { settingsFromEnv } from ${JSON.stringify(url("functions/options.ts"))};`,
      // As bin/revrisk.ts does: the policy is the option table's REVRISK_ON_UNHANDLED_REJECTION.
      `const { onUnhandledRejection } = settingsFromEnv(["onUnhandledRejection"], process.env);`,
      `installProcessGuards(log, { command: "guard-test", onUnhandledRejection });`,
      `const metrics = createMetrics();`,
      `void setFatalShutdown;`,
      body,
    ].join("\n"),
  );
  const { REVRISK_ON_UNHANDLED_REJECTION: _, ...inherited } = process.env;
  return spawnSync(process.execPath, [file], {
    encoding: "utf8",
    timeout: 30_000,
    cwd: resolve("."),
    env: { ...inherited, ...env },
  });
}

describe("process guards", () => {
  it("logs and counts an unhandled rejection, then carries on", () => {
    const r = run(`
      void Promise.reject(new Error("nobody listens"));
      setTimeout(async () => {
        const m = await metrics.render();
        console.log(m.body.split("\\n").filter((l) => l.startsWith("revrisk_process_errors_total")).join("\\n"));
        console.log("still running");
      }, 50);
    `);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('revrisk_process_errors_total{kind="unhandled_rejection"} 1');
    expect(r.stdout).toContain('revrisk_process_errors_total{kind="uncaught_exception"} 0');
    expect(r.stdout).toContain("still running");
    const line = JSON.parse(
      r.stderr
        .trim()
        .split("\n")
        .find((l) => l.includes("unhandled promise"))!,
    );
    expect(line).toMatchObject({ level: 50, command: "guard-test", kind: "unhandled_rejection" });
    expect(line.err.message).toBe("nobody listens");
    expect(line.err.stack).toContain("script-");
  });

  it("exits on an unhandled rejection with REVRISK_ON_UNHANDLED_REJECTION=exit", () => {
    const r = run(
      `setFatalShutdown(async () => console.log("shutdown ran"));
       void Promise.reject(new Error("nobody listens"));
       setTimeout(() => console.log("still running"), 2000);`,
      { REVRISK_ON_UNHANDLED_REJECTION: "exit" },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("shutdown ran");
    expect(r.stdout).not.toContain("still running");
  });

  it("runs the shutdown and exits 1 on an uncaught exception", () => {
    const r = run(`
      setFatalShutdown(async () => console.log("shutdown ran"));
      setTimeout(() => { throw new Error("thrown from a timer"); }, 10);
      setTimeout(() => console.log("still running"), 2000);
    `);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("shutdown ran");
    expect(r.stdout).not.toContain("still running");
    const line = JSON.parse(
      r.stderr
        .trim()
        .split("\n")
        .find((l) => l.includes("uncaught exception"))!,
    );
    expect(line).toMatchObject({ level: 60, command: "guard-test", kind: "uncaught_exception" });
    expect(line.err.message).toBe("thrown from a timer");
  });
});
