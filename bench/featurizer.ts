/**
 * Featurizer benchmark: edit types + encoder texts over the real-article parity fixtures
 * (`npm run bench -- featurizer [repeats]`). Prints pairs/s and p50/p99/max ms per pair.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { editTypesAndTexts } from "../shared/featurize/featurizer.ts";

export const description = "edit types + texts (mwedittypes 1.2.1 port) over the real-article fixtures";

interface Pair {
  id: string;
  lang: string;
  prev: string;
  curr: string;
}

function load(name: string): Pair[] {
  const path = new URL(`../standins/mediawiki-fixture/edits/${name}.jsonl.gz`, import.meta.url);
  return gunzipSync(readFileSync(path))
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Pair);
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

export async function run(args: string[] = []): Promise<void> {
  const repeats = Math.max(1, Number(args[0] ?? 1) || 1);
  const pairs = load("real-articles");
  // Warm-up (JIT) on a few pairs.
  for (const p of pairs.slice(0, 10)) editTypesAndTexts(p.prev, p.curr, p.lang);
  const times: number[] = [];
  let slowest = "";
  let maxWork = 0;
  const t0 = performance.now();
  for (let r = 0; r < repeats; r++) {
    for (const p of pairs) {
      const s = performance.now();
      const { editTypes } = editTypesAndTexts(p.prev, p.curr, p.lang);
      const ms = performance.now() - s;
      if (times.length === 0 || ms > Math.max(...times)) slowest = p.id;
      times.push(ms);
      maxWork = Math.max(maxWork, editTypes.work);
    }
  }
  const total = performance.now() - t0;
  times.sort((a, b) => a - b);
  console.log(
    `featurizer: ${times.length} pairs (real-articles × ${repeats}) in ${(total / 1000).toFixed(2)} s`,
  );
  console.log(`  ${((times.length / total) * 1000).toFixed(1)} pairs/s`);
  console.log(
    `  per pair: p50 ${pct(times, 50).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms, max ${times[times.length - 1]!.toFixed(2)} ms (${slowest})`,
  );
  console.log(`  max tree-edit work: ${maxWork} cells`);
}
