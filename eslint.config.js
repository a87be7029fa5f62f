// ESLint flat config: recommended rules for TypeScript sources (type-checking is done by tsc), and
// shared/ kept runtime-free: no Node built-ins or Node-only packages, no process.env (settings come
// from the option table, functions/options.ts). Node code lives in functions/node/.
import { builtinModules } from "node:module";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const NODE_ONLY = [
  "prom-client",
  "onnxruntime-node",
  "pino",
  "pino-*",
  "@duckdb/*",
  "sqs-consumer",
  "@hono/node-server",
  "better-sqlite3",
];
const nodeOnlyMessage = "shared/ is runtime-free: Node-only code belongs in functions/node/";

export default tseslint.config(
  { ignores: ["node_modules/", "models/generated/", "models/fixture/", "dist/", ".wrangler/", "var/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The dashboard's browser script (functions/api/dashboard-page/): the browser globals it uses.
    files: ["functions/api/dashboard-page/**/*.js"],
    languageOptions: {
      globals: Object.fromEntries(
        [
          "document",
          "window",
          "fetch",
          "EventSource",
          "URLSearchParams",
          "requestAnimationFrame",
          "performance",
          "setInterval",
        ].map((g) => [g, "readonly"]),
      ),
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    files: ["shared/**/*.ts", "functions/options.ts", "functions/ingest/worker.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: builtinModules.map((name) => ({ name, message: nodeOnlyMessage })),
          patterns: [{ group: ["node:*", ...NODE_ONLY], message: nodeOnlyMessage }],
        },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: "shared/ reads no environment: add the setting to the option table (functions/options.ts)",
        },
        {
          // import("…") too (esquery regex: no slashes inside).
          selector:
            "ImportExpression[source.value=/^(node:|prom-client|onnxruntime-node|pino|@duckdb|sqs-consumer|better-sqlite3)/]",
          message: nodeOnlyMessage,
        },
      ],
    },
  },
);
