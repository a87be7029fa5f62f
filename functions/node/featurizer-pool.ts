/**
 * A pool of worker threads running the featurizer (Node): parsing and diffing wikitext is CPU work
 * on the event loop otherwise, and on a GPU host it, not the encoders, bounds throughput. Revisions
 * go to the least busy worker; results come back as FeaturizedRevisions.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { FeatureSpec } from "../../shared/model/bundle.ts";
import type { RevisionData } from "../../shared/mediawiki/revision-data.ts";
import type { FeaturizedRevision } from "../../shared/model/model-input.ts";

interface Pending {
  resolve: (item: FeaturizedRevision) => void;
  reject: (err: Error) => void;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
import(workerData.featurizerUrl).then(({ featurize }) => {
  parentPort.on("message", ({ id, revision }) => {
    try {
      const r = featurize(revision, workerData.features);
      parentPort.postMessage({ id, item: { values: r.values, title: r.title, inserts: r.inserts, removes: r.removes, changes: r.changes } });
    } catch (err) {
      parentPort.postMessage({ id, error: String(err && err.stack || err) });
    }
  });
  parentPort.postMessage({ ready: true });
});
`;

export interface FeaturizerPool {
  readonly size: number;
  featurize(revision: RevisionData): Promise<FeaturizedRevision>;
  close(): Promise<void>;
}

/** Default pool size: the cores left once one is kept for the event loop and the encoders. */
export function defaultFeaturizerThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

export async function createFeaturizerPool(
  features: FeatureSpec[],
  size = defaultFeaturizerThreads(),
): Promise<FeaturizerPool> {
  const featurizerUrl = new URL("../../shared/featurize/featurizer.ts", import.meta.url).href;
  const workers = await Promise.all(
    Array.from({ length: size }, async () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { featurizerUrl, features } });
      const pending = new Map<number, Pending>();
      await new Promise<void>((resolve, reject) => {
        worker.once("error", reject);
        worker.once("message", (m: { ready?: boolean }) =>
          m.ready ? resolve() : reject(new Error("featurizer worker failed to start")),
        );
      });
      worker.on("message", (m: { id: number; item?: FeaturizedRevision; error?: string }) => {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error));
        else p.resolve(m.item!);
      });
      worker.on("error", (err) => {
        for (const p of pending.values()) p.reject(err);
        pending.clear();
      });
      return { worker, pending };
    }),
  );
  let nextId = 0;
  return {
    size,
    featurize(revision) {
      const w = workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const id = nextId++;
      return new Promise<FeaturizedRevision>((resolve, reject) => {
        w.pending.set(id, { resolve, reject });
        w.worker.postMessage({ id, revision });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
