import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFeaturizerPool, type FeaturizerPool } from "../functions/node/featurizer-pool.ts";
import { readManifest } from "../functions/node/model-loader.ts";
import { featurize } from "../shared/featurize/featurizer.ts";
import type { RevisionData } from "../shared/mediawiki/revision-data.ts";

const manifest = readManifest("models/fixture");
const edits = gunzipSync(readFileSync("standins/mediawiki-fixture/edits/multilingual.jsonl.gz"))
  .toString("utf8")
  .trim()
  .split("\n")
  .slice(0, 40)
  .map((l) => JSON.parse(l) as { id: string; lang: string; prev: string; curr: string });

function revision(e: (typeof edits)[number], i: number): RevisionData {
  return {
    lang: e.lang,
    wikiDb: `${e.lang}wiki`,
    revId: 1000 + i,
    parentId: 999 + i,
    text: e.curr,
    parentText: e.prev,
    bytes: e.curr.length,
    parentBytes: e.prev.length,
    tags: i % 3 ? [] : ["mobile edit"],
    timestamp: "2024-01-01T00:00:00Z",
    pageId: 1,
    pageTitle: e.id.split(":")[0]!,
    userId: i % 2,
    userGroups: i % 2 ? ["*", "user", "sysop"] : ["*"],
  };
}

describe("featurizer worker pool", () => {
  let pool: FeaturizerPool;
  beforeAll(async () => {
    pool = await createFeaturizerPool(manifest.features, 2);
  });
  afterAll(() => pool?.close());

  it("gives exactly the in-thread featurizer's items, concurrently", async () => {
    const revs = edits.map(revision);
    const got = await Promise.all(revs.map((r) => pool.featurize(r)));
    revs.forEach((r, i) => {
      const want = featurize(r, manifest.features);
      expect(got[i]).toEqual({
        values: want.values,
        title: want.title,
        inserts: want.inserts,
        removes: want.removes,
        changes: want.changes,
      });
    });
  });
});
