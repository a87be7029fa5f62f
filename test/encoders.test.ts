/**
 * shared/model/encoders.ts on the fixture bundle: onnxruntime-node vs onnxruntime-web, padding invariance,
 * CUDA → CPU fallback on a machine without the CUDA provider, int8 variants.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOnnxNode } from "../functions/node/onnxruntime-node.ts";
import { Manifest, ENCODER_NAMES } from "../shared/model/bundle.ts";
import { BertTokenizer, type TextInput } from "../shared/model/tokenizer.ts";
import {
  createEncoderSession,
  describeEncoders,
  loadBundleEncoders,
  type EncoderLogger,
  type EncoderSet,
} from "../shared/model/encoders.ts";

const BUNDLE = new URL("../models/fixture/", import.meta.url).pathname;
const manifest = Manifest.parse(JSON.parse(readFileSync(`${BUNDLE}manifest.json`, "utf8")));
const tok = BertTokenizer.fromJSON(readFileSync(`${BUNDLE}tokenizer.json`, "utf8"));
const sample = readFileSync(new URL("../models/sample-text.txt", import.meta.url), "utf8")
  .split("\n")
  .filter(Boolean);

const SINGLES: TextInput[] = [
  "Stone bridge",
  sample[3] as string,
  sample.join(" "), // > 512 tokens → truncated
  "河流穿过老城区。",
  "",
  sample[20] as string,
];
const PAIRS: TextInput[] = [
  ["The bridge was built in 1875.", "The stone bridge was built in 1875 and restored in 2003."],
  [sample[13] as string, sample[14] as string],
  [sample.join(" "), "Kurz."],
  ["", "x"],
];

const quiet: EncoderLogger = { info: () => {}, warn: () => {} };

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

let nodeSet: EncoderSet;
let webSet: EncoderSet;

beforeAll(async () => {
  nodeSet = await loadBundleEncoders(BUNDLE, manifest, {
    backend: "node",
    providers: ["cpu"],
    logger: quiet,
    nodeRuntime: loadOnnxNode,
  });
  webSet = await loadBundleEncoders(BUNDLE, manifest, { backend: "web", logger: quiet });
});

afterAll(async () => {
  for (const s of [...Object.values(nodeSet ?? {}), ...Object.values(webSet ?? {})]) await s.release();
});

describe("loadBundleEncoders", () => {
  it("loads and warms up the four encoders, reporting provider and output width", () => {
    const d = describeEncoders(nodeSet);
    for (const name of ENCODER_NAMES) {
      expect(d[name]).toEqual({ backend: "node", provider: "cpu", fallbackReason: null, warmedUp: true });
      expect(webSet[name].provider).toBe("wasm");
      expect(webSet[name].warmedUp).toBe(true);
      expect(nodeSet[name].numOutputs).toBe(manifest.encoders[name].num_outputs);
    }
    expect(nodeSet.title.numOutputs).toBe(1);
    expect(nodeSet.change.numOutputs).toBe(2);
  });
});

describe("fp32 encoders", () => {
  for (const name of ENCODER_NAMES) {
    const inputs = manifest.encoders[name].input === "pair" ? PAIRS : SINGLES;

    it(`${name}: onnxruntime-node and onnxruntime-web agree (≤ 1e-4)`, async () => {
      const batch = tok.encodeBatch(inputs);
      const a = await nodeSet[name].run(batch);
      const b = await webSet[name].run(batch);
      expect(a.length).toBe(inputs.length * nodeSet[name].numOutputs);
      expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-4);
      // The fixture is input-sensitive: different texts give different outputs.
      expect(new Set(Array.from(a, (v) => v.toFixed(4))).size).toBeGreaterThan(inputs.length / 2);
    });

    it(`${name}: a mixed-length batch gives the same per-text outputs as one by one`, async () => {
      const batch = await nodeSet[name].run(tok.encodeBatch(inputs));
      const k = nodeSet[name].numOutputs;
      for (let i = 0; i < inputs.length; i++) {
        const solo = await nodeSet[name].run(tok.encodeBatch([inputs[i] as TextInput]));
        expect(maxAbsDiff(batch.subarray(i * k, (i + 1) * k), solo)).toBeLessThanOrEqual(1e-5);
      }
    });
  }

  it("an empty batch returns no rows", async () => {
    expect((await nodeSet.insert.run(tok.encodeBatch([]))).length).toBe(0);
  });

  it("rejects inconsistent input arrays", async () => {
    const b = tok.encodeBatch(["a", "b c"]);
    await expect(nodeSet.insert.run({ ...b, rows: 3 })).rejects.toThrow(/do not match/);
  });
});

describe("int8 encoders", () => {
  it("load on both runtimes and stay close to fp32 (loose tolerance)", async () => {
    const node8 = await loadBundleEncoders(BUNDLE, manifest, {
      backend: "node",
      providers: ["cpu"],
      precision: "int8",
      logger: quiet,
      nodeRuntime: loadOnnxNode,
    });
    const web8 = await loadBundleEncoders(BUNDLE, manifest, {
      backend: "web",
      precision: "int8",
      logger: quiet,
    });
    try {
      for (const name of ENCODER_NAMES) {
        const batch = tok.encodeBatch(manifest.encoders[name].input === "pair" ? PAIRS : SINGLES);
        const fp32 = await nodeSet[name].run(batch);
        expect(maxAbsDiff(await node8[name].run(batch), fp32)).toBeLessThan(0.1);
        expect(maxAbsDiff(await web8[name].run(batch), fp32)).toBeLessThan(0.1);
      }
    } finally {
      for (const s of [...Object.values(node8), ...Object.values(web8)]) await s.release();
    }
  });
});

describe("execution-provider fallback", () => {
  it("CUDA requested on a machine without the CUDA provider falls back to CPU, loudly, and says so", async () => {
    const warnings: string[] = [];
    const logger: EncoderLogger = { info: () => {}, warn: (_o, msg) => warnings.push(msg) };
    const s = await createEncoderSession(`${BUNDLE}insert.onnx`, {
      backend: "node",
      providers: ["cuda", "cpu"],
      numOutputs: 2,
      logger,
      nodeRuntime: loadOnnxNode,
    });
    try {
      expect(s.requestedProviders).toEqual(["cuda", "cpu"]);
      if (s.provider === "cuda") return; // a machine with a working CUDA provider: nothing to fall back from
      expect(s.provider).toBe("cpu");
      expect(s.fallbackReason).toMatch(/^cuda: /);
      expect(warnings.some((w) => /FELL BACK/.test(w))).toBe(true);
      const batch = tok.encodeBatch(SINGLES);
      expect(maxAbsDiff(await s.run(batch), await nodeSet.insert.run(batch))).toBe(0);
    } finally {
      await s.release();
    }
  });

  it("the default provider list is CUDA then CPU", async () => {
    const s = await createEncoderSession(`${BUNDLE}title.onnx`, {
      numOutputs: 1,
      logger: quiet,
      nodeRuntime: loadOnnxNode,
    });
    expect(s.requestedProviders).toEqual(["cuda", "cpu"]);
    expect(["cuda", "cpu"]).toContain(s.provider);
    await s.release();
  });

  it("throws when no requested provider loads", async () => {
    const attempt = createEncoderSession(`${BUNDLE}title.onnx`, {
      providers: ["cuda"],
      numOutputs: 1,
      logger: quiet,
      nodeRuntime: loadOnnxNode,
    });
    const s = await attempt.catch((err: unknown) => err as Error);
    if (!(s instanceof Error)) return void (await s.release()); // CUDA works here
    expect(s.message).toMatch(/no execution provider could be loaded \(cuda: /);
  });

  it("a provider list ending in wasm falls back to onnxruntime-web", async () => {
    const s = await createEncoderSession(`${BUNDLE}insert.onnx`, {
      providers: ["cuda", "wasm"],
      numOutputs: 2,
      logger: quiet,
      nodeRuntime: loadOnnxNode,
    });
    try {
      if (s.provider === "cuda") return;
      expect(s.provider).toBe("wasm");
      expect(s.backend).toBe("web");
      expect(s.fallbackReason).toMatch(/^cuda: /);
      const batch = tok.encodeBatch(SINGLES);
      expect(maxAbsDiff(await s.run(batch), await nodeSet.insert.run(batch))).toBeLessThanOrEqual(1e-4);
    } finally {
      await s.release();
    }
  });
});

describe("without onnxruntime-node", () => {
  it("the module imports and the web backend (and a wasm fallback) work", () => {
    // The hook makes any import of onnxruntime-node fail: shared/model/encoders.ts must not make one.
    const script = `
      import { registerHooks } from "node:module";
      registerHooks({
        resolve(specifier, context, next) {
          if (specifier.startsWith("onnxruntime-node")) throw new Error("onnxruntime-node is not installed here");
          return next(specifier, context);
        },
      });
      const { createEncoderSession } = await import(${JSON.stringify(new URL("../shared/model/encoders.ts", import.meta.url).href)});
      const quiet = { info() {}, warn() {} };
      const model = ${JSON.stringify(`${BUNDLE}title.onnx`)};
      const web = await createEncoderSession(model, { backend: "web", numOutputs: 1, logger: quiet });
      const fb = await createEncoderSession(model, { providers: ["cpu", "wasm"], numOutputs: 1, logger: quiet });
      let nodeError = "";
      await createEncoderSession(model, { providers: ["cpu"], numOutputs: 1, logger: quiet }).catch((e) => (nodeError = e.message));
      console.log(JSON.stringify({ web: web.provider, fb: fb.provider, reason: fb.fallbackReason, nodeError }));
      process.exit(0);
    `;
    const dir = mkdtempSync(join(tmpdir(), "revrisk-encoders-"));
    const file = join(dir, "no-ort-node.mjs");
    writeFileSync(file, script);
    let out: string;
    try {
      out = execFileSync(process.execPath, [file], { encoding: "utf8" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = JSON.parse(out.trim().split("\n").at(-1) as string) as Record<string, string>;
    expect(r.web).toBe("wasm");
    expect(r.fb).toBe("wasm");
    expect(r.reason).toMatch(/^cpu: onnxruntime-node is not available in this runtime/);
    expect(r.nodeError).toMatch(
      /no execution provider could be loaded \(cpu: onnxruntime-node is not available/,
    );
  });
});
