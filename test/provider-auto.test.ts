/**
 * `--provider auto`, the default: on a machine without onnxruntime-node's CUDA provider (this one,
 * CI) the model loads on CPU with one info line and none of the errors and warnings onnxruntime
 * prints when asked for CUDA; /healthz is not degraded. `--provider cuda` keeps its loud fallback
 * (test/model.test.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cudaProviderInstalled } from "../functions/node/onnxruntime-node.ts";

describe("--provider auto", () => {
  it("is the default of every scoring command", () => {
    const help = execFileSync(process.execPath, ["bin/revrisk.ts", "score", "--help"], { encoding: "utf8" });
    expect(help.replace(/\s+/g, " ")).toMatch(
      /--provider <name> .*\[choices: auto, cuda, cpu, wasm; env: REVRISK_PROVIDER; default: auto\]/,
    );
  });

  it("loads CPU where no CUDA provider is installed: one info line, no onnxruntime error or warning", () => {
    const script = `
      import { loadModel } from ${JSON.stringify(new URL("../functions/node/model-loader.ts", import.meta.url).href)};
      const m = await loadModel("models/fixture", { provider: "auto" });
      console.log(JSON.stringify(m.health()));
      await m.release();
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const health = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    if (cudaProviderInstalled()) {
      expect(["cuda", "cpu"]).toContain(health.provider); // a GPU machine: CUDA, or its loud fallback
      return;
    }
    expect(health).toMatchObject({ provider: "cpu", requestedProvider: "auto" });
    expect(health.fallback).toBeUndefined();
    expect(r.stderr).toMatch(/execution provider auto: cpu/);
    expect(r.stderr).not.toMatch(/\[E:onnxruntime|\[W:onnxruntime|WARNING|FELL BACK|failed to load/);
  });
});
