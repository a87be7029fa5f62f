/**
 * Check files: JSON Lines of `{features, probability}` rows computed by CatBoost itself, which the
 * evaluator must reproduce (models/convert/ writes them; see docs/classifier.md, "Check files").
 */
import { CatBoostModelError, sigmoid, type CatBoostModel, type FeatureValue } from "./evaluator.ts";
import { isObject } from "./load.ts";

/** A check file row disagrees with the evaluator. */
export class CheckFileMismatchError extends Error {
  override name = "CheckFileMismatchError";
  readonly row: number;
  readonly expected: number;
  readonly actual: number;
  constructor(message: string, row: number, expected: number, actual: number) {
    super(message);
    this.row = row;
    this.expected = expected;
    this.actual = actual;
  }
}

// Check files

export interface CheckRow {
  features: FeatureValue[];
  probability: number;
  /** Optional raw score, when the producer wrote it. */
  raw?: number;
}

/** Parses a JSON Lines check file: one `{features: [...], probability}` object per line. */
export function parseCheckFile(text: string): CheckRow[] {
  const rows: CheckRow[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new CatBoostModelError(`check file line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    if (!isObject(obj) || !Array.isArray(obj.features) || typeof obj.probability !== "number") {
      throw new CatBoostModelError(
        `check file line ${i + 1}: expected {features: [...], probability: number}`,
      );
    }
    const features = obj.features.map((v, j) => {
      if (v === null) return NaN; // JSON has no NaN; writers use null for a missing numeric value
      if (typeof v !== "number" && typeof v !== "string") {
        throw new CatBoostModelError(
          `check file line ${i + 1}: features[${j}] must be a number, string or null`,
        );
      }
      return v;
    });
    const row: CheckRow = { features, probability: obj.probability };
    if (typeof obj.raw === "number") row.raw = obj.raw;
    rows.push(row);
  });
  return rows;
}

export interface CheckResult {
  rows: number;
  maxAbsDiff: number;
}

/**
 * Scores every check row and compares with the probability CatBoost itself computed (and the raw score,
 * when present). Throws CheckFileMismatchError on the first row off by more than `tol`.
 */
export function verifyCheckFile(model: CatBoostModel, rows: readonly CheckRow[], tol = 1e-6): CheckResult {
  if (rows.length === 0) throw new CatBoostModelError("check file has no rows");
  let maxAbsDiff = 0;
  rows.forEach((r, i) => {
    const raw = model.predictRaw(r.features);
    const p = sigmoid(raw);
    const d = Math.abs(p - r.probability);
    if (!(d <= tol)) {
      throw new CheckFileMismatchError(
        `check file row ${i}: probability ${p} differs from CatBoost's ${r.probability} by ${d} (tolerance ${tol})`,
        i,
        r.probability,
        p,
      );
    }
    maxAbsDiff = Math.max(maxAbsDiff, d);
    if (r.raw !== undefined) {
      const dr = Math.abs(raw - r.raw);
      if (!(dr <= tol)) {
        throw new CheckFileMismatchError(
          `check file row ${i}: raw score ${raw} differs from CatBoost's ${r.raw} by ${dr} (tolerance ${tol})`,
          i,
          r.raw,
          raw,
        );
      }
      maxAbsDiff = Math.max(maxAbsDiff, dr);
    }
  });
  return { rows: rows.length, maxAbsDiff };
}
