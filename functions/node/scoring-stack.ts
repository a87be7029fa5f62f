/**
 * The offline scoring stack the tests and benchmarks run on (Node): the MediaWiki fixture server
 * (seeded from the parity fixtures), a model bundle on onnxruntime (CPU by default) and the batching
 * scoring service over them — the same parts `revrisk serve --offline` wires.
 */
import { createFeaturizerPool } from "./featurizer-pool.ts";
import { createScoringService } from "../../shared/scoring/create-service.ts";
import type { Provider } from "../../shared/model/encoders.ts";
import { MediaWikiClient, type MediaWikiClientOptions } from "../../shared/mediawiki/client.ts";
import { loadModel, type LoadedModel, type LoadModelOptions } from "./model-loader.ts";
import type { BatchingScoringService } from "../../shared/scoring/service-impl.ts";
import {
  startMwFixtureServer,
  type MwFixtureServer,
  type MwFixtureServerOptions,
} from "../../standins/mediawiki-fixture/server.ts";

export interface ScoringStackOptions {
  /** Model bundle directory. Default models/fixture. */
  bundle?: string;
  provider?: Provider;
  model?: Omit<LoadModelOptions, "provider">;
  mediawikiServer?: MwFixtureServerOptions;
  mediawikiClient?: Omit<MediaWikiClientOptions, "apiBase">;
  /** Scoring and MediaWiki batch waits (ms). */
  maxWaitMs?: number;
  fetchWaitMs?: number;
  /** Featurizer worker threads (0: on the event loop). Default 0. */
  featurizerThreads?: number;
}

export interface ScoringStack {
  mw: MwFixtureServer;
  model: LoadedModel;
  mediawiki: MediaWikiClient;
  service: BatchingScoringService;
  close(): Promise<void>;
}

export async function startScoringStack(o: ScoringStackOptions = {}): Promise<ScoringStack> {
  const mw = await startMwFixtureServer({ port: 0, ...o.mediawikiServer });
  const model = await loadModel(o.bundle ?? "models/fixture", { provider: o.provider ?? "cpu", ...o.model });
  const pool = o.featurizerThreads
    ? await createFeaturizerPool(model.manifest.features, o.featurizerThreads)
    : undefined;
  const mediawiki = new MediaWikiClient({ ...o.mediawikiClient, apiBase: mw.apiBase });
  const service = createScoringService({
    manifest: model.manifest,
    scorer: model.scorer,
    health: model.health,
    mediawiki,
    featurize: pool ? (rev) => pool.featurize(rev) : undefined,
    maxWaitMs: o.maxWaitMs,
    fetchWaitMs: o.fetchWaitMs,
  });
  return {
    mw,
    model,
    mediawiki,
    service,
    async close() {
      await service.close();
      await pool?.close();
      await model.release();
      await mw.close();
    },
  };
}
