/**
 * `revrisk evaluate`: computes the model's evaluation statistics from a labelled set — JSON Lines of
 * `{lang, rev_id, label}` or `{revision_data, label}` — scored through the normal service, prints the
 * model card's table, and writes the statistics into the bundle's manifest (`--write`) or a file
 * (`--output`). The API serves them as ORES `model_info` and on `/v1/models/{model}/statistics`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { addOptions } from "../node/options.ts";
import { createLogger } from "../node/logger.ts";
import { createRuntime, runtimeOptions } from "../node/runtime.ts";
import { parseRevisionData } from "../api/schemas.ts";
import { Manifest } from "../../shared/model/bundle.ts";
import { formatCardTable } from "../../shared/model/statistics.ts";
import { evaluateLabelled, type LabelledExample } from "../../shared/scoring/evaluation.ts";
import { startMwFixtureServer, type MwFixtureServer } from "../../standins/mediawiki-fixture/server.ts";

/** Reads a label written as true/false, 1/0 or "true"/"false". */
function labelOf(v: unknown): boolean | undefined {
  if (v === true || v === 1 || v === "true" || v === "1") return true;
  if (v === false || v === 0 || v === "false" || v === "0") return false;
  return undefined;
}

/** Parses the labelled set; every problem is reported with its line number before anything is scored. */
export function parseLabelledSet(text: string): { examples: LabelledExample[]; errors: string[] } {
  const examples: LabelledExample[] = [];
  const errors: string[] = [];
  text.split("\n").forEach((raw, k) => {
    const line = k + 1;
    if (!raw.trim()) return;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(raw);
    } catch {
      errors.push(`line ${line}: not JSON`);
      return;
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      errors.push(`line ${line}: expected a JSON object`);
      return;
    }
    const label = labelOf(v.label);
    if (label === undefined) {
      errors.push(`line ${line}: "label" must be true/false (or 1/0)`);
      return;
    }
    if (v.revision_data !== undefined) {
      const r = parseRevisionData(v.revision_data);
      if (!r.ok) errors.push(`line ${line}: ${r.detail}`);
      else examples.push({ line, label, revision: r.revision });
      return;
    }
    if (
      typeof v.lang !== "string" ||
      !v.lang ||
      !Number.isSafeInteger(v.rev_id) ||
      (v.rev_id as number) <= 0
    ) {
      errors.push(
        `line ${line}: expected {lang: string, rev_id: positive integer, label} or {revision_data, label}`,
      );
      return;
    }
    examples.push({ line, label, lang: v.lang, revId: v.rev_id as number });
  });
  return { examples, errors };
}

/** JSON with short containers (e.g. a threshold row) on one line, so the manifest stays readable. */
export function compactJson(v: unknown, indent = ""): string {
  const flat = JSON.stringify(v);
  if (flat === undefined || flat.length <= 240 || v === null || typeof v !== "object") return flat ?? "null";
  const inner = indent + "  ";
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + compactJson(x, inner)).join(",\n")}\n${indent}]`;
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${compactJson(x, inner)}`).join(",\n")}\n${indent}}`;
}

export function register(program: Command): void {
  addOptions(
    program
      .command("evaluate")
      .description(
        "compute evaluation statistics (threshold table, ROC/PR-AUC, overall and per wiki) from a labelled set",
      ),
    "group:runtime",
    "input",
    "write",
    "output",
    "description",
    "populationRate",
    "minWikiExamples",
    "offline",
  ).action(async (o) => {
    const log = createLogger("evaluate", o);
    const text = o.input === "-" ? readFileSync(0, "utf8") : readFileSync(o.input, "utf8");
    const { examples, errors } = parseLabelledSet(text);
    if (errors.length) {
      for (const e of errors.slice(0, 20)) process.stderr.write(`${o.input}: ${e}\n`);
      if (errors.length > 20) process.stderr.write(`… and ${errors.length - 20} more\n`);
      process.exitCode = 2;
      return;
    }
    if (!examples.length) throw new Error(`${o.input}: no labelled examples`);
    let mw: MwFixtureServer | undefined;
    if (o.offline) mw = await startMwFixtureServer({ port: 0 });
    const runtime = await createRuntime({
      ...runtimeOptions(o, log),
      ...(mw ? { mediawikiUrl: mw.apiBase } : {}),
    });
    try {
      const started = Date.now();
      const { statistics, unscored } = await evaluateLabelled(runtime.service, examples, {
        description: o.description,
        populationRate: o.populationRate,
        minWikiExamples: o.minWikiExamples,
        onProgress: (done, total) =>
          log.info({ done, total, elapsed_s: Math.round((Date.now() - started) / 1000) }, "scored"),
      });
      const { model_name, model_version } = runtime.model.manifest;
      process.stdout.write(
        `${model_name} ${model_version}: ${statistics.dataset.n} labelled revisions scored` +
          (unscored.length ? `, ${unscored.length} could not be scored` : "") +
          `; threshold ${statistics.overall.default_threshold}\n\n` +
          formatCardTable(statistics.overall, statistics.per_wiki) +
          "\n",
      );
      const byCode = new Map<string, number>();
      for (const u of unscored) byCode.set(u.code, (byCode.get(u.code) ?? 0) + 1);
      for (const [code, n] of byCode) process.stdout.write(`unscored: ${code} ${n}\n`);
      if (o.output) writeFileSync(o.output, compactJson(statistics) + "\n");
      if (o.write) {
        const file = join(o.model, "manifest.json");
        const manifest = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
        manifest.statistics = statistics;
        Manifest.parse(manifest);
        writeFileSync(file, compactJson(manifest) + "\n");
        log.info({ file }, "statistics written into the bundle");
      }
    } finally {
      await runtime.close();
      await mw?.close();
    }
  });
}
