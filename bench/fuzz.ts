/**
 * The long fuzzing run (test/fuzz.test.ts is the seeded CI one): `npm run bench -- fuzz [--runs N]
 * [--batch B] [--seed S]` sends runs × batch generated bad inputs (default 5000 × 10) to the ingest
 * server and the API over the real scoring stack (tools/fuzz.ts), then prints what came back:
 * requests by kind and status, 5xx, the slowest answer, and every host the servers reached.
 * Exits 1 when a check failed.
 */
import { parseArgs } from "node:util";
import { runFuzz, startFuzzTargets } from "../tools/fuzz.ts";

export const description = "fuzz ingest and the API with generated bad inputs (--runs, --batch, --seed)";

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string", default: "5000" },
      batch: { type: "string", default: "10" },
      seed: { type: "string", default: String(Date.now() % 1_000_000) },
    },
  });
  const runs = Number(values.runs);
  const batch = Number(values.batch);
  const seed = Number(values.seed);
  const t = await startFuzzTargets();
  const t0 = performance.now();
  let last = 0;
  const report = await runFuzz(t, {
    seed,
    runs,
    batch,
    onProgress: (done) => {
      if (done - last >= 5000) {
        last = done;
        console.error(`  ${done} requests, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
    },
  });
  const s = (performance.now() - t0) / 1000;
  await t.close();
  const fivexx = Object.entries(report.byStatus)
    .filter(([k]) => Number(k) >= 500)
    .reduce((n, [, v]) => n + v, 0);
  console.log(
    `fuzz: seed ${seed}, ${report.requests} requests in ${s.toFixed(1)} s (${(report.requests / s).toFixed(0)}/s)`,
  );
  console.log(`  by status: ${JSON.stringify(report.byStatus)}`);
  console.log(`  5xx: ${fivexx} (501 is KServe's answer to :explain without an explainer)`);
  console.log(
    `  slowest answer: ${report.maxMs.toFixed(0)} ms; resent after a closed pooled connection: ${report.resent}`,
  );
  console.log(`  by kind: ${JSON.stringify(report.byKind)}`);
  console.log(
    `  outbound hosts: ${JSON.stringify(report.outbound)} (allowed: ${[...t.allowedHosts].join(", ")})`,
  );
  console.log(`  wiki hosts asked of MediaWiki: ${JSON.stringify(report.wikiHosts)}`);
  console.log(`  violations: ${report.violations.length}, unhandled rejections: ${report.unhandled.length}`);
  for (const f of report.failures.slice(0, 10)) console.log(`  FAIL ${f.problem}\n       ${f.request}`);
  if (report.failures.length || report.violations.length || report.unhandled.length) process.exitCode = 1;
}
