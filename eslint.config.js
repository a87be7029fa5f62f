// ESLint flat config: recommended rules for TypeScript sources (type-checking is done by tsc).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
);
