/**
 * The ordered-commit pipeline of `revrisk backfill`: work units run with bounded concurrency, and a
 * checkpoint only ever advances over units that all completed, in input order (so a resume neither
 * skips nor repeats work).
 */

export interface PipelineOptions<U, P> {
  /** Work units in input order, each with the position to checkpoint once it and all before it are done. */
  units: AsyncIterable<U>;
  position: (unit: U) => P;
  process: (unit: U, signal: AbortSignal) => Promise<void>;
  /** Called in order with the position after the last contiguous completed unit. */
  commit: (position: P, unit: U) => Promise<void> | void;
  /**
   * Called once at a stop (abort or failure) with the units that completed after the first unit that
   * did not: their work is done but their position cannot be committed (there is a gap before them).
   * Persist their keys so that a resume skips them (shared seen-set).
   */
  onStop?: (completedAfterGap: U[]) => Promise<void> | void;
  /** Units in flight at once. Default 4. */
  concurrency?: number;
  /** Stop reading units; in-flight units finish (or are aborted by `process` itself) and are committed. */
  signal?: AbortSignal;
}

export interface PipelineResult {
  /** true when the input was read to its end and every unit completed. */
  completed: boolean;
  units: number;
}

/**
 * Runs `process` over the units with bounded concurrency and commits positions in input order.
 * On abort (signal) or on the first failure, reads no more units, waits for the units in flight and
 * commits those that completed contiguously; a failure is then rethrown. So after any stop, the
 * last committed position has no gap behind it, and nothing after it was committed.
 */
export async function runOrdered<U, P>(o: PipelineOptions<U, P>): Promise<PipelineResult> {
  const concurrency = Math.max(1, o.concurrency ?? 4);
  const inner = new AbortController();
  const outer = o.signal;
  const onAbort = () => inner.abort(outer?.reason);
  outer?.addEventListener("abort", onAbort, { once: true });
  type Slot = { unit: U; done: boolean; error?: unknown };
  const window: Slot[] = [];
  let failure: { error: unknown } | undefined;
  let units = 0;
  let commitChain: Promise<void> = Promise.resolve();
  const running = new Set<Promise<void>>();

  const drainCommits = () => {
    commitChain = commitChain.then(async () => {
      while (window.length && window[0]!.done && window[0]!.error === undefined) {
        const s = window.shift()!;
        await o.commit(o.position(s.unit), s.unit);
      }
    });
    commitChain.catch((e: unknown) => {
      failure ??= { error: e };
      inner.abort(e);
    });
  };

  let exhausted = false;
  const it = o.units[Symbol.asyncIterator]();
  try {
    while (!inner.signal.aborted && !failure) {
      if (running.size >= concurrency) {
        await Promise.race(running);
        continue;
      }
      const next = await it.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      if (inner.signal.aborted || failure) {
        // Read but not started: not committed, so a resume reads it again.
        break;
      }
      units++;
      const slot: Slot = { unit: next.value, done: false };
      window.push(slot);
      const p: Promise<void> = o
        .process(slot.unit, inner.signal)
        .then(
          () => {
            slot.done = true;
          },
          (e: unknown) => {
            slot.done = true;
            slot.error = e ?? new Error("unit failed");
            // A unit cut short by the caller's abort is simply not committed (a resume redoes it).
            if (!outer?.aborted) {
              failure ??= { error: slot.error };
              inner.abort(slot.error);
            }
          },
        )
        .finally(() => {
          running.delete(p);
          drainCommits();
        });
      running.add(p);
    }
  } catch (e) {
    if (!outer?.aborted) failure ??= { error: e };
  } finally {
    await Promise.allSettled([...running]);
    drainCommits();
    await commitChain.catch(() => undefined);
    outer?.removeEventListener("abort", onAbort);
    const ahead = window.filter((s) => s.done && s.error === undefined).map((s) => s.unit);
    if (ahead.length && o.onStop) await o.onStop(ahead);
    if (!exhausted) await it.return?.();
  }
  if (failure) throw failure.error;
  return { completed: exhausted && window.length === 0, units };
}
