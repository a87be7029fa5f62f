/**
 * CatBoost's categorical hashing, checked against values produced elsewhere:
 * - CityHash64 v1.0.2 test vectors (lengths 0..445) from go-faster/city's test corpus (its "ClickHouse64"
 *   column: the CityHash variant ClickHouse and CatBoost vendor); see test/data/catboost/cityhash-v102-vectors.json.
 * - Hashes of 58 strings computed by CatBoost itself, and the CTR projection keys CatBoost stored in a
 *   model's CTR tables, from CatBoost's canonical test output; see test/data/catboost/catboost-canon-adult.json.
 */
import { describe, expect, it } from "vitest";
import {
  catFeatureHash,
  catFeatureHashInt32,
  catHashAsCtrInput,
  cityHash64,
  cityHash64String,
  ctrHashStep,
} from "../shared/model/catboost/hash.ts";
import cityVectors from "./data/catboost/cityhash-v102-vectors.json" with { type: "json" };
import canon from "./data/catboost/catboost-canon-adult.json" with { type: "json" };

describe("CityHash64 v1.0.x", () => {
  it("matches the published CityHash v1.0.2 (ClickHouse variant) test corpus", () => {
    const lengths = new Set<number>();
    for (const v of cityVectors.vectors) {
      lengths.add(new TextEncoder().encode(v.input).length);
      expect(cityHash64String(v.input).toString(), JSON.stringify(v.input)).toBe(v.cityhash64);
    }
    // every code path: 0, 1-3, 4-8, 9-16, 17-32, 33-64, >64 (several 64-byte rounds)
    for (const n of [0, 2, 5, 12, 27, 46, 67, 132, 445]) expect(lengths.has(n)).toBe(true);
  });

  it("hashes bytes (UTF-8 for strings)", () => {
    expect(cityHash64(new TextEncoder().encode("Moscow"))).toBe(12507901496292878638n);
    // a non-ASCII vector from the corpus, 24 bytes
    const pound = cityVectors.vectors.find((v) => v.input.includes("£"))!;
    expect(cityHash64String(pound.input).toString()).toBe(pound.cityhash64);
  });
});

describe("CatBoost CalcCatFeatureHash", () => {
  it("matches the hashes CatBoost computed for 58 strings (catboost canondata)", () => {
    const entries = Object.entries(canon.cat_features_hashes);
    expect(entries.length).toBe(58);
    for (const [s, h] of entries) {
      expect(catFeatureHashInt32(s), s).toBe(h);
      expect(catFeatureHash(s), s).toBe(h >>> 0);
    }
  });

  it("gives the strings the RRML model uses a stable hash", () => {
    // "0" and "1" are in CatBoost's own table above.
    expect(catFeatureHashInt32("0")).toBe(-1438285038);
    expect(catFeatureHashInt32("1")).toBe(1121341681);
    for (const s of ["True", "False", "-1", "enwiki", "dewiki"]) {
      expect(catFeatureHash(s)).toBe(Number(cityHash64String(s) & 0xffffffffn));
    }
  });
});

describe("CTR projection key", () => {
  const strings = Object.keys(canon.cat_features_hashes);
  const single = new Map<string, string>();
  for (const s of strings) single.set(ctrHashStep(0n, catHashAsCtrInput(catFeatureHash(s))).toString(), s);

  it("reproduces every key of CatBoost's single-feature CTR tables (hash sign-extended to 64 bits)", () => {
    for (const t of canon.ctr_tables.filter((t) => t.projection.binarized_indexes.length === 0)) {
      for (const key of t.keys) expect(single.has(key), `${t.base_hash}: ${key}`).toBe(true);
    }
  });

  it("needs the sign extension: zero-extended hashes miss the keys of negative hashes", () => {
    const t = canon.ctr_tables[0]!;
    const zext = new Set(strings.map((s) => ctrHashStep(0n, BigInt(catFeatureHash(s))).toString()));
    const negatives = t.keys.filter(
      (k) => (canon.cat_features_hashes as Record<string, number>)[single.get(k)!]! < 0,
    );
    expect(negatives.length).toBeGreaterThan(0);
    for (const k of negatives) expect(zext.has(k)).toBe(false);
  });

  it("reproduces the keys of a categorical × binarized-float projection (key, then 0/1)", () => {
    const t = canon.ctr_tables.find((t) => t.projection.binarized_indexes.length === 1)!;
    const withBit = new Set<string>();
    for (const s of strings) {
      const k = ctrHashStep(0n, catHashAsCtrInput(catFeatureHash(s)));
      withBit.add(ctrHashStep(k, 0n).toString());
      withBit.add(ctrHashStep(k, 1n).toString());
    }
    for (const key of t.keys) expect(withBit.has(key), key).toBe(true);
  });

  it("computes M * (a + M * b) mod 2^64", () => {
    const M = 0x4906ba494954cb65n;
    const mod = 1n << 64n;
    for (const [a, b] of [
      [0n, 1n],
      [123456789n, 987654321n],
      [mod - 1n, mod - 2n],
    ] as const) {
      expect(ctrHashStep(a, b)).toBe((M * ((a + M * b) % mod)) % mod);
    }
    expect(catHashAsCtrInput(0xffffffff)).toBe(mod - 1n);
    expect(catHashAsCtrInput(5)).toBe(5n);
  });
});
