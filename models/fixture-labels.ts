/**
 * Writes the fixture bundle's labelled set, models/fixture/evaluation.jsonl: one `{lang, rev_id,
 * label}` line per revision of the MediaWiki fixture store, labelled "reverted" for about one edit in
 * five by a hash of the revision — generated, like the fixture model's weights, so the statistics
 * `revrisk evaluate` computes from it exercise every code path and mean nothing.
 * `npm run models:fixture-statistics` regenerates the file and the statistics in the manifest.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { seededStore } from "../standins/mediawiki-fixture/store.ts";

/** FNV-1a (32 bit) of the text: a stable, platform-independent label source. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

export function fixtureLabelledSet(): Array<{ lang: string; rev_id: number; label: boolean }> {
  return seededStore()
    .seeded()
    .map((e) => ({ lang: e.lang, rev_id: e.revId, label: fnv1a(`${e.lang}:${e.revId}`) % 1000 < 200 }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = fileURLToPath(new URL("./fixture/evaluation.jsonl", import.meta.url));
  const rows = fixtureLabelledSet();
  writeFileSync(out, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  process.stderr.write(
    `${out}: ${rows.length} labelled revisions, ${rows.filter((r) => r.label).length} reverted\n`,
  );
}
