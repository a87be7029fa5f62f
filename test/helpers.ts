/** Small helpers shared by the end-to-end tests. */
import type { Queue } from "../shared/queue/queue.ts";

/** Polls `cond` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(
  cond: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Receives and acks everything visible on a queue; returns the rev ids, sorted. */
export async function drainRevIds(q: Queue): Promise<number[]> {
  const got: number[] = [];
  for (let i = 0; i < 20; i++) {
    const batch = await q.receive({ max: 10, visibilityTimeoutS: 30 });
    if (!batch.length) break;
    for (const m of batch) {
      got.push(m.body.rev_id);
      await q.ack(m.receiptHandle);
    }
  }
  return got.sort((a, b) => a - b);
}
