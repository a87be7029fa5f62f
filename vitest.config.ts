import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Any unhandledRejection / uncaughtException fails the run (issue 12).
    setupFiles: ["test/setup/no-unhandled-errors.ts"],
  },
});
