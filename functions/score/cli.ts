/**
 * `revrisk score`: scores revisions from the command line with the same service as the API —
 * `--lang en --rev-id 123`, or JSON Lines `{"lang", "rev_id"}` on stdin — printing one JSON result
 * per revision (LiftWing's response shape, or `{"error": …}`).
 */
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { UsageError } from "../options.ts";
import { addOptions } from "../node/options.ts";
import { createLogger } from "../node/logger.ts";
import { createRuntime, runtimeOptions } from "../node/runtime.ts";
import type { RevisionOutcome } from "../../shared/scoring/service.ts";

function render(o: RevisionOutcome, modelName: string, modelVersion: string, features: boolean): unknown {
  if (!o.ok) return { lang: o.lang, revision_id: o.revId, error: o.error };
  return {
    model_name: modelName,
    model_version: modelVersion,
    wiki_db: o.revision.wikiDb,
    revision_id: o.revision.revId,
    output: { prediction: o.result.prediction, probabilities: o.result.probabilities },
    ...(o.supported ? {} : { supported: false }),
    ...(features ? { features: o.result.features } : {}),
  };
}

export function register(program: Command): void {
  addOptions(
    program
      .command("score")
      .description(
        "score revisions: --lang/--rev-id, or JSON Lines {lang, rev_id} on stdin; one JSON result per line",
      ),
    "group:runtime",
    "lang",
    "revId",
    "features",
  ).action(async (o) => {
    const log = createLogger("score", o);
    const requests: Array<{ lang: string; revId: number; line?: number }> = [];
    if (o.lang || o.revId) {
      if (!o.lang || !o.revId) throw new UsageError("--lang and --rev-id go together");
      requests.push({ lang: o.lang, revId: o.revId });
    } else {
      if (process.stdin.isTTY)
        throw new UsageError("give --lang and --rev-id, or JSON Lines {lang, rev_id} on stdin");
      let n = 0;
      for await (const line of createInterface({ input: process.stdin })) {
        n++;
        if (!line.trim()) continue;
        let v: { lang?: unknown; rev_id?: unknown };
        try {
          v = JSON.parse(line);
        } catch {
          process.stdout.write(
            JSON.stringify({ line: n, error: { code: "invalid_input", message: "not JSON" } }) + "\n",
          );
          continue;
        }
        if (typeof v.lang !== "string" || !Number.isSafeInteger(v.rev_id)) {
          process.stdout.write(
            JSON.stringify({
              line: n,
              error: { code: "invalid_input", message: "expected {lang: string, rev_id: integer}" },
            }) + "\n",
          );
          continue;
        }
        requests.push({ lang: v.lang, revId: v.rev_id as number, line: n });
      }
    }
    const runtime = await createRuntime(runtimeOptions(o, log));
    try {
      const { model_name, model_version } = runtime.model.manifest;
      const outcomes = await runtime.service.scoreRevisions(requests);
      for (const out of outcomes)
        process.stdout.write(JSON.stringify(render(out, model_name, model_version, !!o.features)) + "\n");
    } finally {
      await runtime.close();
    }
  });
}
