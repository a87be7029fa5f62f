/**
 * The option table (functions/options.ts) bound to commander: `addOptions(cmd, …names)` adds the
 * table's options to a command, with the environment variables and the default in the help text.
 * Variables are read when that command runs (a preAction hook), not when it is registered, so a bad
 * variable never breaks another command or `--help`; their values go through the same parser as the
 * flags, and a bad one ends the command with one line naming it (exit code 2, no stack trace).
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import {
  envErrorMessage,
  envValue,
  isBooleanFlag,
  OPTION_GROUPS,
  parseSetting,
  specFor,
  UsageError,
  type OptionName,
  type OptionSpec,
} from "../options.ts";

/** Exit code of a usage error: a bad flag or variable, a missing or conflicting option. */
export const USAGE_EXIT_CODE = 2;

const tableOptions = new WeakMap<Command, Array<{ name: OptionName; option: Option; spec: OptionSpec }>>();

function helpText(spec: OptionSpec): string {
  const extra: string[] = [];
  if (spec.choices) extra.push(`choices: ${spec.choices.join(", ")}`);
  if (spec.env?.length) extra.push(`env: ${spec.env.join(", ")}`);
  const def = spec.defaultText ?? (spec.default === undefined ? undefined : String(spec.default));
  // Boolean flags are off unless given; `--no-x` ones on unless given.
  if (def !== undefined && !isBooleanFlag(spec.flag)) extra.push(`default: ${def}`);
  return extra.length ? `${spec.help} [${extra.join("; ")}]` : spec.help;
}

/** The commander option of one table entry, as `command` sees it. */
export function tableOption(name: OptionName, command?: string): { option: Option; spec: OptionSpec } {
  const spec = specFor(name, command);
  if (!spec.flag) throw new Error(`option table: ${name} has no flag (a Worker-only binding)`);
  const option = new Option(spec.flag, helpText(spec));
  if (!isBooleanFlag(spec.flag)) {
    option.argParser((raw: string) => {
      try {
        return parseSetting(spec, raw);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    });
  }
  return { option, spec };
}

/** Adds the table's options `names` (or groups, see OPTION_GROUPS) to `cmd`. */
export function addOptions(
  cmd: Command,
  ...names: Array<OptionName | `group:${keyof typeof OPTION_GROUPS}`>
): Command {
  let list = tableOptions.get(cmd);
  if (!list) {
    list = [];
    tableOptions.set(cmd, list);
    cmd.hook("preAction", (_hooked, action) => applyEnvironment(action, process.env));
  }
  const flat = names.flatMap((n) =>
    n.startsWith("group:") ? [...OPTION_GROUPS[n.slice(6) as keyof typeof OPTION_GROUPS]] : [n as OptionName],
  );
  for (const name of flat) {
    if (list.some((e) => e.name === name)) continue;
    const entry = tableOption(name, cmd.name());
    cmd.addOption(entry.option);
    list.push({ name, ...entry });
  }
  return cmd;
}

/**
 * Fills the options of `cmd` that the command line did not give: from the first set variable
 * (parsed like the flag), else the table's default. A bad variable or a missing required option
 * throws UsageError (runProgram prints it as one line, exit code 2).
 */
export function applyEnvironment(cmd: Command, env: Readonly<Record<string, string | undefined>>): void {
  for (const { option, spec } of tableOptions.get(cmd) ?? []) {
    const key = option.attributeName();
    if (cmd.getOptionValueSource(key) === "cli") continue;
    const found = envValue(spec, env);
    if (found) {
      let value: unknown;
      try {
        value = parseSetting(spec, found.raw);
      } catch (err) {
        throw new UsageError(envErrorMessage(found.name, found.raw, spec, err), { cause: err });
      }
      cmd.setOptionValueWithSource(key, value, "env");
    } else if (cmd.getOptionValue(key) === undefined && spec.default !== undefined) {
      cmd.setOptionValueWithSource(key, spec.default, "default");
    }
    if (spec.required && cmd.getOptionValue(key) === undefined) {
      const vars = spec.env?.length ? ` (or ${spec.env.join(", ")})` : "";
      throw new UsageError(`required option '${spec.flag}'${vars} not specified`);
    }
  }
}

/**
 * Makes `program` (and the commands registered on it afterwards) end usage errors with one line and
 * exit code 2: commander's own (bad flag values, unknown options) and UsageError thrown by an action.
 */
export function usageErrorsExit(program: Command): Command {
  return program.exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT_CODE);
  });
}

/** Runs the program; a UsageError from an action is printed as one line (exit code 2). */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(USAGE_EXIT_CODE);
  }
}
