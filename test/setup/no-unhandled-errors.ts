/**
 * Vitest setup file (vitest.config.ts `setupFiles`, run in every forked worker): a test run during
 * which any test meets an `unhandledRejection` or `uncaughtException` fails — the test that was
 * running fails with the error's stack (and a late one fails the file's afterAll), on top of vitest's
 * own report. Processes the tests spawn inherit REVRISK_ON_UNHANDLED_REJECTION=exit, so a revrisk
 * child that meets one exits (functions/node/process-guards.ts) and the test talking to it fails.
 */
import { afterAll, afterEach } from "vitest";

process.env.REVRISK_ON_UNHANDLED_REJECTION = "exit";

const KEY = Symbol.for("revrisk.test.unhandledErrors");
const g = globalThis as Record<symbol, string[] | undefined>;
// Once per worker process, however many files it runs.
if (!g[KEY]) {
  const seen: string[] = [];
  g[KEY] = seen;
  const describe = (kind: string, e: unknown) =>
    `${kind}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  process.on("unhandledRejection", (reason) => seen.push(describe("unhandledRejection", reason)));
  process.on("uncaughtException", (err) => seen.push(describe("uncaughtException", err)));
}
const seen = g[KEY]!;

function check(when: string): void {
  if (seen.length === 0) return;
  const all = seen.splice(0);
  throw new Error(`${all.length} unhandled error(s) ${when}:\n${all.join("\n")}`);
}

afterEach(() => check("during this test"));
afterAll(async () => {
  // Rejections of work the last test left behind surface within a few ticks.
  await new Promise((r) => setTimeout(r, 50));
  check("after the file's tests (hooks or left-over work)");
});
