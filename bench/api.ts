/**
 * `npm run bench -- api [--bert-base] [--seconds N] [--concurrency 1,8,32] [--latency-ms N]`:
 * load test of the on-demand API (POST :predict with {lang, rev_id}) over real HTTP against the
 * MediaWiki fixture server (real-article edits: the fixtures' distribution of texts per revision).
 * Prints requests/s and p50/p99 latency per concurrency, for the tiny fixture model and, with
 * --bert-base, for BERT-base-shaped encoders (int8, CPU).
 */
import { parseArgs } from "node:util";
import { startApiServer } from "../functions/api/node.ts";
import { noopMetrics } from "../functions/api/metrics.ts";
import { ensureBertBaseBundle } from "./_bert-bundle.ts";
import { createRuntime } from "../functions/node/runtime.ts";
import { startMwFixtureServer } from "../standins/mediawiki-fixture/server.ts";

export const description =
  "on-demand API: requests/s and p50/p99 at concurrency 1/8/32 (fixture model; --bert-base)";

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "bert-base": { type: "boolean", default: false },
      seconds: { type: "string", default: "10" },
      concurrency: { type: "string", default: "1,8,32" },
      "latency-ms": { type: "string", default: "0" },
      precision: { type: "string", default: "int8" },
      "featurizer-threads": { type: "string", default: "0" },
      "max-batch-tokens": { type: "string" },
    },
  });
  const bundle = values["bert-base"]
    ? ensureBertBaseBundle(values.precision as "fp32" | "int8")
    : "models/fixture";
  const threads = Number(values["featurizer-threads"]);
  const mw = await startMwFixtureServer({ port: 0, latencyMs: Number(values["latency-ms"]) });
  const runtime = await createRuntime({
    model: bundle,
    provider: "cpu",
    mediawikiUrl: mw.apiBase,
    maxBatchTokens: values["max-batch-tokens"] ? Number(values["max-batch-tokens"]) : undefined,
    featurizerThreads: threads,
  });
  const { model, service } = runtime;
  const api = await startApiServer({ service, port: 0, metrics: noopMetrics() });
  const edits = mw.store
    .seeded()
    .filter((e) => e.parentId > 0 && model.manifest.supported_wikis.includes(e.lang));
  const url = `${api.url}/v1/models/${model.manifest.model_name}:predict`;
  console.log(
    `bundle: ${bundle} (${model.manifest.model_version}); ${edits.length} realistic edits; MediaWiki latency ${values["latency-ms"]} ms; featurizer threads ${threads}`,
  );
  console.log("concurrency  requests  req/s     p50 ms    p99 ms   errors  encoder runs");
  let next = 0;
  for (const c of values.concurrency.split(",").map(Number)) {
    const lat: number[] = [];
    let errors = 0;
    const runs0 = model.encoderRuns();
    const end = performance.now() + Number(values.seconds) * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (performance.now() < end) {
          const e = edits[next++ % edits.length]!;
          const t = performance.now();
          const res = await fetch(url, {
            method: "POST",
            body: JSON.stringify({ lang: e.lang, rev_id: e.revId }),
          });
          await res.arrayBuffer();
          lat.push(performance.now() - t);
          if (res.status !== 200) errors++;
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `${String(c).padStart(11)}  ${String(lat.length).padStart(8)}  ${(lat.length / secs).toFixed(1).padStart(6)}  ${pct(lat, 50).toFixed(1).padStart(8)}  ${pct(lat, 99).toFixed(1).padStart(8)}  ${String(errors).padStart(6)}  ${model.encoderRuns() - runs0}`,
    );
  }
  await api.stop();
  await runtime.close();
  await mw.close();
}
