#!/usr/bin/env node
/**
 * revrisk command line: one program, one subcommand per job. Each subcommand lives next to the
 * function or infrastructure it starts and registers itself on the commander program; its options
 * come from the one option table (functions/options.ts).
 */
import { Command } from "commander";
import { settingsFromEnv } from "../functions/options.ts";
import { createLogger } from "../functions/node/logger.ts";
import { runProgram, usageErrorsExit } from "../functions/node/options.ts";
import { installProcessGuards } from "../functions/node/process-guards.ts";

// Before anything runs: a rejection nobody observed is logged and counted, never a silent crash.
// Process-wide settings from the table; a bad value is reported by the command itself (exit 2),
// so here it only falls back to the defaults.
const processSettings: { logLevel?: string; logFormat?: string; onUnhandledRejection?: string } = (() => {
  try {
    return settingsFromEnv(["logLevel", "logFormat", "onUnhandledRejection"], process.env);
  } catch {
    return {};
  }
})();
installProcessGuards(createLogger("revrisk", processSettings), {
  command: process.argv[2],
  onUnhandledRejection: processSettings.onUnhandledRejection as "continue" | "exit" | undefined,
});

const program = usageErrorsExit(new Command());
program
  .name("revrisk")
  .description("Revert-risk scoring for Wikipedia edits (revertrisk-multilingual), serverless and batched");

const commands: Array<() => Promise<{ register(program: Command): void }>> = [
  () => import("../functions/serve/cli.ts"),
  () => import("../functions/ingest/cli.ts"),
  () => import("../functions/scorer/cli.ts"),
  () => import("../functions/features/cli.ts"),
  () => import("../functions/score/cli.ts"),
  () => import("../functions/backfill/cli.ts"),
  () => import("../functions/evaluate/cli.ts"),
  () => import("../functions/sql/cli.ts"),
  () => import("../functions/status/cli.ts"),
  () => import("../standins/mediawiki-fixture/cli.ts"),
  () => import("../standins/eventgate-sink/cli.ts"),
];

for (const load of commands) (await load()).register(program);

await runProgram(program, process.argv);
