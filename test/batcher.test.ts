import { describe, expect, it } from "vitest";
import { AbortedError, Batcher, type ItemOutcome } from "../shared/scoring/batcher.ts";

const double = async (items: number[]): Promise<ItemOutcome<number>[]> =>
  items.map((x) => ({ ok: true as const, value: x * 2 }));

describe("Batcher", () => {
  it("serves concurrent submissions in fewer runs than items, with per-item results", async () => {
    const sizes: number[] = [];
    const b = new Batcher<number, number>({
      run: double,
      maxWaitMs: 20,
      maxBatchItems: 16,
      onBatch: (i) => sizes.push(i.items),
    });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => b.submit(i)));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(b.batches).toBeLessThan(50);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16);
    expect(sizes.reduce((a, c) => a + c, 0)).toBe(50);
  });

  it("bounds batches by the cost budget, and runs an oversized item alone", async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>({
      run: async (items) => {
        batches.push(items);
        return double(items);
      },
      cost: (x) => x,
      maxBatchCost: 10,
      maxWaitMs: 10,
    });
    await Promise.all([4, 4, 4, 25, 1].map((x) => b.submit(x)));
    for (const batch of batches) {
      const cost = batch.reduce((a, c) => a + c, 0);
      expect(batch.length === 1 || cost <= 10).toBe(true);
    }
    expect(batches.some((x) => x.length === 1 && x[0] === 25)).toBe(true);
  });

  it("isolates failures: one failing item does not fail its neighbours", async () => {
    const b = new Batcher<number, number>({
      run: async (items) =>
        items.map((x) =>
          x === 3 ? { ok: false as const, error: new Error("bad 3") } : { ok: true as const, value: x },
        ),
      maxWaitMs: 10,
    });
    const settled = await Promise.allSettled([1, 2, 3, 4].map((x) => b.submit(x)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((settled[2] as PromiseRejectedResult).reason.message).toBe("bad 3");
  });

  it("fails all items of a batch whose run throws, and keeps serving afterwards", async () => {
    let calls = 0;
    const b = new Batcher<number, number>({
      run: async (items) => {
        if (calls++ === 0) throw new Error("device lost");
        return double(items);
      },
      maxWaitMs: 5,
    });
    await expect(b.submit(1)).rejects.toThrow("device lost");
    await expect(b.submit(2)).resolves.toBe(4);
  });

  it("drops items whose caller aborted before they ran", async () => {
    const seen: number[] = [];
    const b = new Batcher<number, number>({
      run: async (items) => {
        seen.push(...items);
        return double(items);
      },
      maxWaitMs: 30,
    });
    const ac = new AbortController();
    const p1 = b.submit(1, ac.signal);
    const p2 = b.submit(2);
    ac.abort();
    await expect(p1).rejects.toBeInstanceOf(AbortedError);
    await expect(p2).resolves.toBe(4);
    expect(seen).toEqual([2]);
  });

  it("runs at most `concurrency` batches at once and drains on close", async () => {
    let running = 0;
    let peak = 0;
    const b = new Batcher<number, number>({
      run: async (items) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
        return double(items);
      },
      maxBatchItems: 2,
      maxWaitMs: 0,
      concurrency: 2,
    });
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
    await b.close();
    expect(await all).toHaveLength(10);
    expect(peak).toBeLessThanOrEqual(2);
    await expect(b.submit(1)).rejects.toThrow("closed");
  });

  it("validates options up front", () => {
    expect(() => new Batcher({ run: double, maxBatchItems: 0 })).toThrow(/maxBatchItems/);
    expect(() => new Batcher({ run: double, maxWaitMs: -1 })).toThrow(/maxWaitMs/);
  });
});
