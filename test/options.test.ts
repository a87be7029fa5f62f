/**
 * The one option table (functions/options.ts) and its bindings: commander (functions/node/options.ts,
 * every `revrisk` command, spawned for real where the defect was seen) and the Worker's bindings.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { OPTIONS, settingsFromEnv, UsageError, type OptionSpec } from "../functions/options.ts";
import { addOptions, applyEnvironment } from "../functions/node/options.ts";
import { mediawikiClientOptions } from "../functions/node/runtime.ts";
import { loadModel } from "../functions/node/model-loader.ts";
import worker from "../functions/ingest/worker.ts";

/** Parses argv for a command `name` with the table's options `names`, variables from `env`. */
function parse(
  name: string,
  names: Parameters<typeof addOptions>[1][],
  env: NodeJS.ProcessEnv,
  argv: string[],
) {
  const program = new Command().exitOverride();
  const cmd = program
    .command(name)
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  addOptions(cmd, ...names);
  cmd.parse(argv, { from: "user" });
  applyEnvironment(cmd, env);
  return cmd.opts();
}

/** Runs the real command line. */
function revrisk(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["bin/revrisk.ts", ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
}

describe("the option table bound to commander", () => {
  it("prefers the flag, then our variable, then LiftWing's alias, then the default", () => {
    expect(parse("x", ["model"], {}, []).model).toBe("models/fixture");
    expect(parse("x", ["model"], { MODEL_PATH: "/mnt/models" }, []).model).toBe("/mnt/models");
    expect(parse("x", ["model"], { MODEL_PATH: "/a", REVRISK_MODEL: "/b" }, []).model).toBe("/b");
    expect(parse("x", ["model"], { REVRISK_MODEL: "/b" }, ["--model", "/c"]).model).toBe("/c");
  });

  it("parses variables exactly like flags: booleans, ports, choices; a bad variable is a UsageError naming it", () => {
    expect(parse("x", ["forceHttp"], { FORCE_HTTP: "True" }, []).forceHttp).toBe(true);
    expect(parse("x", ["port"], { PORT: "8080" }, []).port).toBe(8080);
    expect(parse("ingest", ["port"], {}, []).port).toBe(8081);
    expect(() => parse("x", ["port"], { PORT: "eighty" }, [])).toThrow(UsageError);
    expect(() => parse("x", ["port"], { PORT: "eighty" }, [])).toThrow(
      /^environment variable PORT \(--port\)/,
    );
    expect(() => parse("x", ["forceHttp"], { FORCE_HTTP: "maybe" }, [])).toThrow(/FORCE_HTTP.*boolean/);
    expect(() => parse("x", ["provider"], { REVRISK_PROVIDER: "gpu" }, [])).toThrow(
      /REVRISK_PROVIDER.*"gpu" is not one of/,
    );
    expect(() => parse("x", ["provider"], {}, ["--provider", "gpu"])).toThrow(/"gpu" is not one of/);
  });

  it("REVRISK_OFFLINE=1 means the same for every command that has --offline", () => {
    for (const name of ["serve", "ingest", "evaluate"])
      expect(parse(name, ["offline"], { REVRISK_OFFLINE: "1" }, []).offline).toBe(true);
  });

  it("the REVRISK_MW_* variables are options of the MediaWiki group", () => {
    const o = parse(
      "x",
      ["group:mediawiki"],
      {
        REVRISK_MW_API_BASE: "http://127.0.0.1:8081/{host}/w/api.php",
        REVRISK_MW_USER_AGENT: "x/1",
        REVRISK_MW_TIMEOUT_MS: "2500",
        REVRISK_MW_RETRIES: "0",
        REVRISK_MW_CONCURRENCY: "8",
      },
      [],
    );
    expect(mediawikiClientOptions(o)).toEqual({
      apiBase: "http://127.0.0.1:8081/{host}",
      userAgent: "x/1",
      timeoutMs: 2500,
      retries: 0,
      concurrencyPerHost: 8,
    });
    expect(() => parse("x", ["group:mediawiki"], { REVRISK_MW_RETRIES: "many" }, [])).toThrow(
      /REVRISK_MW_RETRIES/,
    );
  });

  it("every table entry has help and a flag or a variable", () => {
    for (const [name, spec] of Object.entries(OPTIONS) as Array<[string, OptionSpec]>) {
      expect(spec.help, name).toBeTruthy();
      expect(spec.flag ?? spec.env, name).toBeTruthy();
    }
  });
});

describe("the real command line", () => {
  it("REVRISK_PORT=abc does not break a command without --port, nor --help", () => {
    const r = revrisk(["sql", "--help"], { REVRISK_PORT: "abc" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: revrisk sql/);
    expect(r.stderr).toBe("");
  });

  it("a bad variable ends the command that has the option: one line naming it, exit code 2", () => {
    const r = revrisk(["serve", "--offline"], { REVRISK_PORT: "abc" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      'error: environment variable REVRISK_PORT (--port): expected a port number 0–65535, got "abc"',
    ]);
  });

  it("REVRISK_PROVIDER=gpu is refused like --provider gpu", () => {
    const env = revrisk(["score", "--lang", "en", "--rev-id", "1"], { REVRISK_PROVIDER: "gpu" });
    const flag = revrisk(["score", "--lang", "en", "--rev-id", "1", "--provider", "gpu"]);
    for (const r of [env, flag]) {
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/"gpu" is not one of auto|"gpu" is not one of cuda/);
    }
    expect(env.stderr).toMatch(/REVRISK_PROVIDER/);
  });

  it("ingest --max-body-bytes abc (or REVRISK_MAX_BODY_BYTES=abc) is refused, not a disabled limit", () => {
    const flag = revrisk(["ingest", "--max-body-bytes", "abc"]);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/--max-body-bytes.*expected a positive integer, got "abc"/);
    const env = revrisk(["ingest"], { REVRISK_MAX_BODY_BYTES: "abc" });
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/REVRISK_MAX_BODY_BYTES \(--max-body-bytes\)/);
  });

  it("REVRISK_OFFLINE=1 keeps `revrisk ingest` off EventStreams (it listens instead of failing to connect)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revrisk-options-"));
    const child = spawn(process.execPath, ["bin/revrisk.ts", "ingest", "--port", "0", "--data-dir", dir], {
      env: {
        ...process.env,
        REVRISK_OFFLINE: "1",
        REVRISK_EVENTSTREAMS: "http://127.0.0.1:1/v2/stream/mediawiki.page_change.v1",
      },
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    try {
      const listening = await Promise.race([
        new Promise<boolean>((res) =>
          child.stderr.on("data", () => /ingest listening/.test(stderr) && res(true)),
        ),
        exited.then(() => false),
      ]);
      expect(listening, stderr).toBe(true);
      expect(stderr).not.toMatch(/eventstreams/i);
    } finally {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the scoring runtime", () => {
  it("rejects an unknown execution provider instead of loading another", async () => {
    await expect(loadModel("models/fixture", { provider: "gpu" as never })).rejects.toThrow(
      /unknown execution provider "gpu"/,
    );
  });
});

describe("the Worker's bindings", () => {
  const base = {
    SQS_QUEUE_URL: "http://127.0.0.1:1/000000000000/q",
    REVRISK_INGEST_TOKEN: "t",
    AWS_ACCESS_KEY_ID: "k",
    AWS_SECRET_ACCESS_KEY: "s",
  };

  it("reads the table's variables and aliases with the table's parsers and defaults", () => {
    const s = settingsFromEnv(["queueUrl", "namespaces", "maxBodyBytes", "healthQueueDepth"], base, "worker");
    expect(s).toEqual({
      queueUrl: base.SQS_QUEUE_URL,
      namespaces: "0",
      maxBodyBytes: 5 * 1024 * 1024,
      healthQueueDepth: false,
    });
  });

  it("answers 500 naming a bad binding, and serves once configured", async () => {
    const bad = await worker.fetch(new Request("http://w/healthz"), {
      ...base,
      REVRISK_MAX_BODY_BYTES: "abc",
    });
    expect(bad.status).toBe(500);
    expect(await bad.json()).toEqual({
      error:
        'ingest worker misconfigured: environment variable REVRISK_MAX_BODY_BYTES (--max-body-bytes): expected a positive integer, got "abc"',
    });
    const ok = await worker.fetch(new Request("http://w/healthz"), base);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ok", queue: "sqs" });
  });
});

describe("README's flag table", () => {
  it("names only variables that the option table gives those flags", () => {
    const readme = readFileSync("README.md", "utf8");
    const section = readme.slice(readme.indexOf("Common flags:"), readme.indexOf("## How scoring works"));
    const rows = section.split("\n").filter((l) => l.startsWith("| `--"));
    expect(rows.length).toBeGreaterThan(20);
    const specs = Object.values(OPTIONS as Record<string, OptionSpec>);
    const flagsOf = (s: OptionSpec) =>
      [s.flag, ...Object.values(s.commands ?? {}).map((c) => c.flag)]
        .filter((f): f is string => !!f)
        .map((f) => f.split(" ")[0]!);
    for (const row of rows) {
      const [flagCell, envCell] = row.split(" | ");
      const flags = [...flagCell!.matchAll(/`(--[a-z0-9-]+)/g)].map((m) => m[1]!);
      const vars = [...envCell!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!);
      for (const v of vars) {
        const owner = specs.find((s) => s.env?.includes(v) && flagsOf(s).some((f) => flags.includes(f)));
        expect(owner, `${v} is not a variable of ${flags.join("/")} in functions/options.ts`).toBeDefined();
      }
      for (const f of flags)
        expect(
          specs.some((s) => flagsOf(s).includes(f)),
          `${f} is not in functions/options.ts`,
        ).toBe(true);
    }
  });
});
