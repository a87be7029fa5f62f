/**
 * shared/ stays runtime-free: the eslint rule of eslint.config.js reports a Node-only import (static
 * or import()) and a process.env read in a shared/ file, and accepts the runtime-free packages.
 */
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

async function lint(code: string, filePath = "shared/ingest/probe.ts"): Promise<string[]> {
  const [result] = await new ESLint().lintText(code, { filePath });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe("shared/ is runtime-free (eslint)", () => {
  it("reports Node built-ins, Node-only packages and process.env", async () => {
    for (const code of [
      'import { readFileSync } from "node:fs";\nexport const x = readFileSync;\n',
      'import { join } from "path";\nexport const x = join;\n',
      'import { Registry } from "prom-client";\nexport const x = Registry;\n',
      'import { pino } from "pino";\nexport const x = pino;\n',
      'import { DuckDBInstance } from "@duckdb/node-api";\nexport const x = DuckDBInstance;\n',
      'export const x = () => import("onnxruntime-node");\n',
      "export const x = process.env.REVRISK_PORT;\n",
    ]) {
      const messages = await lint(code);
      expect(messages.join("\n"), code).toMatch(
        /no-restricted-(imports|syntax).*(runtime-free|reads no environment)/,
      );
    }
  });

  it("accepts the runtime-free packages and relative imports, and applies only to shared/", async () => {
    expect(
      await lint(
        'import { z } from "zod";\nimport { Hono } from "hono";\nimport "../events/page-change.ts";\nexport const x = [z, Hono];\n',
      ),
    ).toEqual([]);
    expect(
      await lint(
        'import { readFileSync } from "node:fs";\nexport const x = readFileSync;\n',
        "functions/node/probe.ts",
      ),
    ).toEqual([]);
  });
});
