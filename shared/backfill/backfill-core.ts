/**
 * Runtime-agnostic parts of `revrisk backfill` (functions/backfill/): wiki-id resolution,
 * page_change events synthesized from what a backfill knows about a revision, the bounded
 * "recently seen" key set, and the ordered-commit pipeline that makes checkpoints exact (a
 * checkpoint only ever advances over work units that all completed, in input order).
 */
import { synthesizePageChange as synthesize } from "../events/synthesize-page-change.ts";
import { CANONICAL_WIKIS, resolveWiki, type ResolvedWiki } from "../wikis/wikis.ts";

// ---------------------------------------------------------------------------------------------
// Wikis
// ---------------------------------------------------------------------------------------------

const byDbName = new Map(CANONICAL_WIKIS.map((w) => [w.dbName, w.code]));

/**
 * Resolves a wiki given as a database name ("enwiki", "alswiki", "testwiki") or a language code
 * ("en", "gsw", "test"). Throws WikiValidationError for unknown wikis.
 */
export function resolveWikiId(wiki: string): ResolvedWiki {
  const w = wiki.trim();
  if (w === "testwiki") return resolveWiki("test");
  if (w.endsWith("wiki")) {
    const code = byDbName.get(w) ?? w.slice(0, -4).replaceAll("_", "-");
    return resolveWiki(code);
  }
  return resolveWiki(w);
}

// ---------------------------------------------------------------------------------------------
// Synthesized page_change events
// ---------------------------------------------------------------------------------------------

/** What a backfill knows about one revision (from list=allrevisions, prop=revisions or a dump). */
export interface RevisionFacts {
  wiki: ResolvedWiki;
  revId: number;
  parentId: number;
  pageId: number;
  /** Spaces or underscores; events carry underscores. */
  pageTitle: string;
  namespace: number;
  /** ISO-8601. */
  timestamp: string;
  bytes?: number;
  minor?: boolean;
  comment?: string;
  /** 0 / undefined for anonymous editors. */
  userId?: number;
  userText?: string;
  userHidden?: boolean;
  /** Current groups of the editor ("*", "user", …); undefined when unknown. */
  groups?: string[];
  tags?: string[];
}

/**
 * The page_change event the scorer needs for a revision that was never seen as an event
 * (`page_change_kind: "edit"`, `changelog_kind: "update"`; "create"/"insert" for a kept page
 * creation), with `performer` from the revision's user: shared/synth-page-change.ts, the same
 * builder the offline replay uses.
 */
export function synthesizePageChange(f: RevisionFacts): Record<string, unknown> {
  const groups = f.groups;
  return synthesize({
    domain: f.wiki.host,
    wikiId: f.wiki.dbName,
    pageId: f.pageId,
    title: f.pageTitle,
    namespace: f.namespace,
    revId: f.revId,
    parentId: f.parentId,
    timestamp: f.timestamp,
    size: f.bytes,
    comment: f.comment,
    minor: f.minor,
    userText: f.userText ?? "",
    userId: f.userId || undefined,
    groups,
    isBot: groups?.includes("bot") ?? false,
  });
}

// ---------------------------------------------------------------------------------------------
// Recently seen keys
// ---------------------------------------------------------------------------------------------

/**
 * A bounded FIFO set of "wiki:rev_id" keys (oldest evicted first). A ring buffer remembers the
 * insertion order, so an eviction is O(1) (deleting the first entry of a big JS Set again and again
 * is not: iteration has to skip the holes left by earlier deletions).
 */
export class RecentKeys {
  private readonly set = new Set<string>();
  private readonly ring: Array<string | undefined>;
  private next = 0;
  readonly capacity: number;
  constructor(capacity = 100_000, initial: Iterable<string> = []) {
    this.capacity = Math.max(1, capacity);
    this.ring = new Array<string | undefined>(this.capacity);
    for (const k of initial) this.add(k);
  }
  has(key: string): boolean {
    return this.set.has(key);
  }
  add(key: string): void {
    if (this.set.has(key)) return;
    const old = this.ring[this.next];
    if (old !== undefined) this.set.delete(old);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.capacity;
    this.set.add(key);
  }
  /** The newest `n` keys, oldest first (persisted in checkpoints). */
  newest(n: number): string[] {
    const out: string[] = [];
    const m = Math.min(n, this.set.size);
    for (let i = m; i >= 1; i--) out.push(this.ring[(this.next - i + this.capacity) % this.capacity]!);
    return out;
  }
  get size(): number {
    return this.set.size;
  }
}

export const revKey = (wiki: string, revId: number): string => `${wiki}:${revId}`;

// ---------------------------------------------------------------------------------------------
// Ordered-commit pipeline
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Progress
// ---------------------------------------------------------------------------------------------

export interface ProgressSnapshot {
  /** Items handled (enqueued / scored, or counted in a dry run). */
  done: number;
  skipped: number;
  /** 0..1 when the size of the input is known (bytes read, time range covered). */
  fraction?: number;
  /** Items per second since the start of this run. */
  rate: number;
  /** Seconds left, from `fraction` and the elapsed time. */
  etaS?: number;
}

export function formatDuration(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return "?";
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, "0")}m` : m ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

/** ETA from the fraction covered in this run (`startFraction` → `fraction` in `elapsedS`). */
export function etaSeconds(startFraction: number, fraction: number, elapsedS: number): number | undefined {
  const covered = fraction - startFraction;
  if (covered <= 0 || elapsedS <= 0) return undefined;
  return ((1 - fraction) * elapsedS) / covered;
}
