/**
 * `revrisk features`: edit types and encoder texts for (parent, revision) wikitext pairs.
 * Reads JSON Lines `{id, lang, prev, curr}` on stdin and writes one JSON line per input:
 * `{id, status, actions, features, texts_insert, texts_removed, texts_change}` (the parity
 * fixtures' shapes; `features` holds the non-zero edit-type counts among the model's 88).
 * A bad input line yields `{line, id?, error}` and processing continues.
 */
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { EDIT_TYPE_FEATURES, editTypesAndTexts } from "../../shared/featurize/featurizer.ts";
import { addOptions } from "../node/options.ts";

export interface FeaturesCliOptions {
  budget: number;
  treeDiff?: boolean;
}

/** Output record of one input line (or an error record). */
export function featuresForLine(
  line: string,
  lineNo: number,
  o: FeaturesCliOptions,
): Record<string, unknown> {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch (e) {
    return { line: lineNo, error: `invalid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { line: lineNo, error: "expected a JSON object {id, lang, prev, curr}" };
  }
  const rec = input as Record<string, unknown>;
  const id = rec.id;
  const bad = (msg: string) => ({ line: lineNo, ...(id !== undefined ? { id } : {}), error: msg });
  if (typeof rec.lang !== "string" || rec.lang === "") return bad("field 'lang' must be a non-empty string");
  if (typeof rec.prev !== "string") return bad("field 'prev' must be a string");
  if (typeof rec.curr !== "string") return bad("field 'curr' must be a string");
  const { editTypes, texts } = editTypesAndTexts(rec.prev, rec.curr, rec.lang, { budget: o.budget });
  const features: Record<string, number> = {};
  for (const name of EDIT_TYPE_FEATURES) {
    const sep = name.indexOf("_");
    const v = editTypes.actions[name.slice(sep + 1)]?.[name.slice(0, sep)] ?? 0;
    if (v !== 0) features[name] = v;
  }
  return {
    id: id ?? null,
    status: editTypes.status,
    actions: editTypes.actions,
    features,
    texts_insert: texts.inserts,
    texts_removed: texts.removes,
    texts_change: texts.changes,
    ...(o.treeDiff ? { tree_diff: editTypes.treeDiff, mode: editTypes.mode, work: editTypes.work } : {}),
  };
}

/** Process JSON Lines from `lines`, writing one output line per non-blank input line. */
export async function runFeatures(
  lines: AsyncIterable<string> | Iterable<string>,
  write: (line: string) => void,
  o: FeaturesCliOptions,
): Promise<{ lines: number; errors: number }> {
  let n = 0;
  let errors = 0;
  for await (const raw of lines) {
    n++;
    if (raw.trim() === "") continue;
    let out: Record<string, unknown>;
    try {
      out = featuresForLine(raw, n, o);
    } catch (e) {
      out = { line: n, error: `internal error: ${e instanceof Error ? e.message : String(e)}` };
    }
    if ("error" in out) errors++;
    write(JSON.stringify(out));
  }
  return { lines: n, errors };
}

export function register(program: Command): void {
  const cmd = program
    .command("features")
    .description(
      "edit types (mwedittypes 1.2.1) and encoder texts for JSON Lines {id, lang, prev, curr} on stdin; " +
        "one JSON line per input on stdout",
    )
    .addHelpText(
      "after",
      [
        "",
        'Input line:  {"id": "x", "lang": "en", "prev": "<parent wikitext>", "curr": "<revision wikitext>"}',
        'Output line: {"id", "status", "actions", "features", "texts_insert", "texts_removed", "texts_change"}',
        '             or {"line", "id"?, "error"} for a bad input line (processing continues).',
        'status is "ok" or "error:<PythonExceptionName>" where mwedittypes 1.2.1 raises (counts 0, texts empty).',
      ].join("\n"),
    );
  addOptions(cmd, "budget", "treeDiff", "group:logging").action(async (opts: FeaturesCliOptions) => {
    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
    const { errors } = await runFeatures(rl, (l) => process.stdout.write(l + "\n"), opts);
    if (errors > 0) process.exitCode = 1;
  });
}
