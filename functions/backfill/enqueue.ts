/**
 * Where the file and API sources of `revrisk backfill` send their revisions: each as a queue
 * message carrying its synthesized page_change event (the scorer builds the prediction event from
 * it), sent in batches; transient send failures are retried with backoff, a message the queue
 * refuses for what it is (too large, too deep) is counted as failed and the others go on.
 */
import { synthesizePageChange, type RevisionFacts } from "../../shared/events/synthesize-page-change.ts";
import { toMessage, type Queue, type QueueMessage } from "../../shared/queue/queue.ts";
import { bump } from "./checkpoint.ts";
import type { SourceContext, Unit } from "./source.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends the messages; returns how many the queue took. Throws after 4 attempts of a transient failure. */
async function send(
  queue: Queue,
  messages: QueueMessage[],
  refused: (error: string) => void,
): Promise<number> {
  let pending = messages;
  let sent = 0;
  for (let attempt = 0; pending.length; attempt++) {
    const r = await queue.sendBatch(pending);
    sent += r.sent;
    for (const f of r.failed) if (f.permanent) refused(f.error);
    const transient = r.failed.filter((f) => !f.permanent);
    if (!transient.length) break;
    if (attempt >= 3) {
      throw new Error(
        `queue: ${transient.length} message(s) could not be enqueued after ${attempt + 1} attempts: ${transient[0]!.error}`,
      );
    }
    pending = transient.map((f) => pending[f.index]!);
    await sleep(200 * 2 ** attempt);
  }
  return sent;
}

/** Enqueues the revisions of a unit (already filtered, groups filled), in order. */
export async function enqueueFacts(
  ctx: SourceContext,
  u: Unit<unknown>,
  facts: RevisionFacts[],
): Promise<void> {
  if (!facts.length) return;
  const messages = facts.map((f) => toMessage(f.wiki.dbName, f.revId, synthesizePageChange(f)));
  u.counters.done += await send(ctx.o.queue!, messages, (error) => {
    bump(u.counters.failed, "queue_refused");
    ctx.log(`backfill: the queue refused a message: ${error}`);
  });
}
