#!/usr/bin/env node
/**
 * revrisk command line: one program, one subcommand per job. Each subcommand lives next to the
 * function or infrastructure it starts and registers itself on the commander program.
 */
import { Command } from "commander";
import { createLogger } from "../functions/node/runtime.ts";
import { installProcessGuards } from "../functions/node/process-guards.ts";

// Before anything runs: a rejection nobody observed is logged and counted, never a silent crash.
installProcessGuards(createLogger("revrisk"), { command: process.argv[2] });

const program = new Command();
program
  .name("revrisk")
  .description("Revert-risk scoring for Wikipedia edits (revertrisk-multilingual), serverless and batched")
  .showHelpAfterError();

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

await program.parseAsync(process.argv);
