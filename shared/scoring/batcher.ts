/**
 * Cross-request micro-batcher (as in text-embeddings-inference's queue): callers submit items one by
 * one; the batcher forms batches bounded by a cost budget (tokens) and an item cap, waiting at most
 * `maxWaitMs` for more work once the first item of a batch is queued, and runs at most `concurrency`
 * batches at a time. Each caller gets its own result or its own error: a failing item never fails its
 * neighbours (the run function reports per-item outcomes), and an item whose caller gave up (abort
 * signal) is dropped before it is run.
 */

export type ItemOutcome<Out> = { ok: true; value: Out } | { ok: false; error: Error };

export interface BatcherOptions<In, Out> {
  /** Runs one batch; returns one outcome per input item, in order. A throw fails every item of the batch. */
  run: (items: In[]) => Promise<ItemOutcome<Out>[]>;
  /** Cost of one item (e.g. its token count). An item costlier than the budget runs alone. */
  cost?: (item: In) => number;
  /** Budget per batch, in cost units. Default 16384. */
  maxBatchCost?: number;
  /** Cap on items per batch. Default 64. */
  maxBatchItems?: number;
  /** How long the first queued item may wait for companions. Default 5 ms. */
  maxWaitMs?: number;
  /** Batches in flight at once. Default 1. */
  concurrency?: number;
  /** Called after each batch with its size and cost (for metrics). */
  onBatch?: (info: { items: number; cost: number; ms: number; failed: boolean }) => void;
}

interface Pending<In, Out> {
  item: In;
  cost: number;
  resolve: (value: Out) => void;
  reject: (error: Error) => void;
  signal?: AbortSignal;
}

export class AbortedError extends Error {
  constructor(message = "the caller gave up before the item was scored") {
    super(message);
    this.name = "AbortedError";
  }
}

export class Batcher<In, Out> {
  private readonly queue: Pending<In, Out>[] = [];
  private readonly opts: Required<Omit<BatcherOptions<In, Out>, "onBatch">> &
    Pick<BatcherOptions<In, Out>, "onBatch">;
  private inFlight = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** Number of batches run so far. */
  batches = 0;

  constructor(options: BatcherOptions<In, Out>) {
    const o = {
      cost: () => 1,
      maxBatchCost: 16384,
      maxBatchItems: 64,
      maxWaitMs: 5,
      concurrency: 1,
      ...options,
    };
    for (const [k, v] of Object.entries({
      maxBatchCost: o.maxBatchCost,
      maxBatchItems: o.maxBatchItems,
      concurrency: o.concurrency,
    })) {
      if (!Number.isFinite(v) || v < 1) throw new RangeError(`batcher option ${k} must be ≥ 1, got ${v}`);
    }
    if (!Number.isFinite(o.maxWaitMs) || o.maxWaitMs < 0)
      throw new RangeError(`batcher option maxWaitMs must be ≥ 0, got ${o.maxWaitMs}`);
    this.opts = o;
  }

  /** Items waiting to be batched. */
  get pending(): number {
    return this.queue.length;
  }

  /** Batches currently running. */
  get running(): number {
    return this.inFlight;
  }

  submit(item: In, signal?: AbortSignal): Promise<Out> {
    if (this.closed) return Promise.reject(new Error("batcher is closed"));
    if (signal?.aborted) return Promise.reject(new AbortedError());
    return new Promise<Out>((resolve, reject) => {
      const cost = Math.max(0, this.opts.cost(item));
      this.queue.push({ item, cost, resolve, reject, signal });
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting work; queued and running items still complete. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 || this.inFlight > 0) {
      this.dispatch();
      await this.idle();
    }
  }

  private schedule(): void {
    if (this.inFlight >= this.opts.concurrency) return;
    const full = this.queuedCost() >= this.opts.maxBatchCost || this.queue.length >= this.opts.maxBatchItems;
    if (full || this.opts.maxWaitMs === 0 || this.closed) {
      this.dispatch();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.dispatch();
      }, this.opts.maxWaitMs);
    }
  }

  private queuedCost(): number {
    let c = 0;
    for (const p of this.queue) c += p.cost;
    return c;
  }

  private take(): Pending<In, Out>[] {
    const batch: Pending<In, Out>[] = [];
    let cost = 0;
    while (this.queue.length > 0 && batch.length < this.opts.maxBatchItems) {
      const next = this.queue[0]!;
      if (next.signal?.aborted) {
        this.queue.shift();
        next.reject(new AbortedError());
        continue;
      }
      if (batch.length > 0 && cost + next.cost > this.opts.maxBatchCost) break;
      this.queue.shift();
      batch.push(next);
      cost += next.cost;
    }
    return batch;
  }

  private dispatch(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.inFlight < this.opts.concurrency && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) break;
      void this.runBatch(batch);
    }
    this.notifyIdle();
  }

  private async runBatch(batch: Pending<In, Out>[]): Promise<void> {
    this.inFlight++;
    this.batches++;
    const started = performance.now();
    const cost = batch.reduce((s, p) => s + p.cost, 0);
    let failed = false;
    try {
      const outcomes = await this.opts.run(batch.map((p) => p.item));
      if (outcomes.length !== batch.length)
        throw new Error(`batch run returned ${outcomes.length} outcomes for ${batch.length} items`);
      outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.error)));
    } catch (err) {
      failed = true;
      const error = err instanceof Error ? err : new Error(String(err));
      for (const p of batch) p.reject(error);
    } finally {
      this.inFlight--;
      try {
        this.opts.onBatch?.({ items: batch.length, cost, ms: performance.now() - started, failed });
      } catch {
        // A metrics callback must not stall the queue (nor reject the fire-and-forget batch run).
      }
      if (this.queue.length > 0) this.schedule();
      this.notifyIdle();
    }
  }

  private notifyIdle(): void {
    if (this.queue.length === 0 && this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
