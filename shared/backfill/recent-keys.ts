/**
 * The bounded "recently seen" set of `wiki:rev_id` keys of `revrisk backfill`: drops duplicates
 * within a run and, persisted in the checkpoint, across a resume.
 */

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
