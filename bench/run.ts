#!/usr/bin/env node
/**
 * Benchmark runner: `npm run bench -- <name> [args…]` imports bench/<name>.ts and calls its exported
 * `run(args)`. Without a valid name it lists the available benchmarks.
 */
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

export interface BenchModule {
  run(args: string[]): Promise<void> | void;
  /** One-line description for the listing. */
  description?: string;
}

export function availableBenches(): string[] {
  return readdirSync(HERE)
    .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.endsWith(".d.ts") && !f.startsWith("_"))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function listing(): Promise<string> {
  const lines = ["usage: npm run bench -- <name> [args…]", "available benchmarks:"];
  for (const name of availableBenches()) {
    let description: string;
    try {
      const mod = (await import(pathToFileURL(`${HERE}/${name}.ts`).href)) as Partial<BenchModule>;
      description = mod.description ?? "";
    } catch {
      description = "(failed to load)";
    }
    lines.push(`  ${name.padEnd(16)} ${description}`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const names = availableBenches();
  if (!name || name === "--help" || name === "-h" || !names.includes(name)) {
    if (name && name !== "--help" && name !== "-h") console.error(`unknown benchmark '${name}'`);
    console.error(await listing());
    process.exit(name && name !== "--help" && name !== "-h" ? 2 : 0);
  }
  const mod = (await import(pathToFileURL(`${HERE}/${name}.ts`).href)) as Partial<BenchModule>;
  if (typeof mod.run !== "function") throw new Error(`bench/${name}.ts exports no run(args)`);
  await mod.run(args);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
