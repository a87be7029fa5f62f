/**
 * One row of a `revrisk backfill` list file: `wiki,rev_id` as CSV, TSV or whitespace-separated
 * cells (an optional header names the columns, in any order), or a JSON Lines object; `#` comments
 * and blank lines are skipped. See docs/backfill.md.
 */

const WIKI_COLUMNS = ["wiki", "wiki_id", "wiki_db", "dbname", "database", "lang", "language"];
const REV_COLUMNS = ["rev_id", "revid", "revision_id", "revision", "rev"];

function splitRow(text: string): string[] {
  const sep = text.includes("\t") ? "\t" : text.includes(",") ? "," : /\s+/;
  return text
    .split(sep)
    .map((c) => c.trim())
    .map((c) =>
      c.length >= 2 && c.startsWith('"') && c.endsWith('"') ? c.slice(1, -1).replaceAll('""', '"') : c,
    );
}

/** Parses one line of a list file; throws a message without location. `columns`: header names. */
export function parseListLine(
  text: string,
  columns: string[] | undefined,
): { wiki: string; revId: number } | { header: string[] } | undefined {
  const t = text.trim();
  if (!t || t.startsWith("#")) return undefined;
  let wikiRaw: unknown;
  let revRaw: unknown;
  if (t.startsWith("{")) {
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(t) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`invalid JSON: ${(e as Error).message}`, { cause: e });
    }
    wikiRaw = WIKI_COLUMNS.map((c) => obj[c]).find((v) => v !== undefined);
    revRaw = REV_COLUMNS.map((c) => obj[c]).find((v) => v !== undefined);
    if (wikiRaw === undefined) throw new Error(`no wiki field (one of ${WIKI_COLUMNS.join(", ")})`);
    if (revRaw === undefined) throw new Error(`no rev_id field (one of ${REV_COLUMNS.join(", ")})`);
  } else {
    const cells = splitRow(t);
    if (!columns) {
      const lower = cells.map((c) => c.toLowerCase());
      if (lower.some((c) => WIKI_COLUMNS.includes(c)) && lower.some((c) => REV_COLUMNS.includes(c)))
        return { header: lower };
    }
    const wi = columns ? columns.findIndex((c) => WIKI_COLUMNS.includes(c)) : 0;
    const ri = columns ? columns.findIndex((c) => REV_COLUMNS.includes(c)) : 1;
    if (cells.length < 2) throw new Error(`expected "wiki,rev_id", got ${JSON.stringify(t.slice(0, 80))}`);
    wikiRaw = cells[wi];
    revRaw = cells[ri];
  }
  // Decimal digits only: Number() would also take "0x186a2", "1.00004e5", "+5" or " " (= 0).
  const revId =
    typeof revRaw === "number"
      ? revRaw
      : /^[0-9]+$/.test(String(revRaw).trim())
        ? Number(String(revRaw).trim())
        : NaN;
  if (!Number.isSafeInteger(revId) || revId < 1)
    throw new Error(`rev_id ${JSON.stringify(revRaw)} is not a positive decimal integer`);
  if (typeof wikiRaw !== "string" || !wikiRaw.trim())
    throw new Error(`wiki ${JSON.stringify(wikiRaw)} is not a wiki id`);
  return { wiki: wikiRaw.trim(), revId };
}
