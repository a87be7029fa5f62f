/**
 * Golden files from real CatBoost (models/convert/golden.py): CatBoost JSON exports with categorical
 * features and CatBoost's own predictions. Verified when present in test/data/catboost/golden/; this
 * environment has no CatBoost, so until someone runs golden.py and commits the output the suite only
 * records that no golden files exist.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadCatBoost } from "../shared/model/catboost/load.ts";
import { parseCheckFile, verifyCheckFile } from "../shared/model/catboost/check-file.ts";

const DIR = new URL("./data/catboost/golden/", import.meta.url);
const cases = existsSync(DIR)
  ? readdirSync(DIR)
      .filter((f) => f.endsWith(".json") && existsSync(new URL(f.replace(/\.json$/, ".check.jsonl"), DIR)))
      .map((f) => f.replace(/\.json$/, ""))
  : [];

describe("golden CatBoost models", () => {
  // Until golden files are committed, check that golden.py writes where this suite reads.
  it("reads the directory models/convert/golden.py writes", () => {
    const script = readFileSync(new URL("../models/convert/golden.py", import.meta.url), "utf8");
    expect(script).toMatch(/test\/data\/catboost\/golden|catboost\/golden/);
    expect(script).toMatch(/check\.jsonl/);
  });

  it.each(cases)("%s agrees with CatBoost to 1e-6", (name) => {
    const model = loadCatBoost(readFileSync(new URL(`${name}.json`, DIR), "utf8"));
    const rows = parseCheckFile(readFileSync(new URL(`${name}.check.jsonl`, DIR), "utf8"));
    const res = verifyCheckFile(model, rows, 1e-6);
    expect(res.rows).toBe(rows.length);
  });
});
