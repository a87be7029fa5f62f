/**
 * Loads a model bundle (Node only: reads the bundle directory): validates manifest.json, loads the
 * tokenizers, the four encoder sessions (CUDA → CPU fallback, or WASM) and the CatBoost classifier,
 * verifies the classifier against its check file when the bundle has one, and returns a RevertRiskModel whose
 * encoder calls are split into padded batches bounded by a token budget (sorted by length, so that
 * padding waste stays small, as in text-embeddings-inference).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ENCODER_NAMES, Manifest, type EncoderName } from "../../shared/model/bundle.ts";
import { checkManifestFeatures, loadCatBoost } from "../../shared/model/catboost/load.ts";
import { parseCheckFile, verifyCheckFile } from "../../shared/model/catboost/check-file.ts";
import {
  describeEncoders,
  loadBundleEncoders,
  type EncoderSet,
  type Precision,
} from "../../shared/model/encoders.ts";
import { assertProvider, type ProviderChoice } from "../../shared/model/providers.ts";
import { cudaProviderInstalled, loadOnnxNode } from "./onnxruntime-node.ts";
import { RevertRiskModel, type EncodeFn } from "../../shared/model/revertrisk-model.ts";
import type { HealthInfo } from "../../shared/scoring/service.ts";
import {
  BertTokenizer,
  padBatch,
  type EncodedSequence,
  type TextInput,
} from "../../shared/model/tokenizer.ts";

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleError";
  }
}

export interface LoadModelOptions {
  /** "cuda" (falls back to cpu, loudly), "cpu", or "wasm" (onnxruntime-web). Default "cuda". */
  provider?: ProviderChoice;
  precision?: Precision;
  /**
   * Padded tokens (rows × longest row) per encoder run. Default 16384 on CUDA; 1024 on CPU and WASM,
   * where large batches run no faster per sequence (see `npm run bench -- encoders`) and only delay
   * the first results.
   */
  maxBatchTokens?: number;
  /** Rows per encoder run. Default 64 on CUDA, 16 on CPU and WASM. */
  maxBatchRows?: number;
  threads?: number;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface LoadedModel {
  dir: string;
  manifest: Manifest;
  revertRisk: RevertRiskModel;
  encoders: EncoderSet;
  health(): HealthInfo;
  /** Encoder runs so far (for tests and metrics). */
  encoderRuns(): number;
  release(): Promise<void>;
}

function readBundleFile(dir: string, rel: string, what: string): string {
  const path = join(dir, rel);
  if (!existsSync(path)) throw new BundleError(`${path}: missing (${what} named in manifest.json)`);
  return readFileSync(path, "utf8");
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BundleError(`${path}: bad JSON (${(err as Error).message})`);
  }
}

/** Reads and validates a bundle's manifest.json; errors name the file and the problem. */
export function readManifest(dir: string): Manifest {
  const path = join(dir, "manifest.json");
  if (!existsSync(path)) throw new BundleError(`${path}: missing (not a model bundle directory?)`);
  const raw = parseJson(path, readFileSync(path, "utf8"));
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new BundleError(`${path}: invalid manifest: ${issues.join("; ")}`);
  }
  const m = parsed.data;
  const names = m.features.map((f) => f.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new BundleError(`${path}: feature "${dup}" is listed twice`);
  for (const name of ENCODER_NAMES) {
    const spec = m.encoders[name];
    const want =
      name === "title"
        ? ["regression", 1, "single"]
        : ["classification", 2, name === "change" ? "pair" : "single"];
    if (spec.task !== want[0] || spec.num_outputs !== want[1] || spec.input !== want[2])
      throw new BundleError(
        `${path}: encoders.${name} must be ${want[0]} with ${want[1]} output(s) on ${want[2]} input, got ${spec.task}/${spec.num_outputs}/${spec.input}`,
      );
  }
  return m;
}

/** Builds the batched encode function over tokenizers and sessions. */
export function makeEncodeFn(
  tokenizers: Record<EncoderName, BertTokenizer>,
  sessions: EncoderSet,
  opts: { maxBatchTokens: number; maxBatchRows: number; onRun?: () => void },
): EncodeFn {
  return async (name, inputs) => {
    const tok = tokenizers[name];
    const session = sessions[name];
    const seqs: EncodedSequence[] = (inputs as ReadonlyArray<TextInput>).map((x) => tok.encode(x));
    const order = seqs.map((_, i) => i).sort((a, b) => seqs[a]!.ids.length - seqs[b]!.ids.length);
    const out: Float32Array[] = new Array(seqs.length);
    let start = 0;
    while (start < order.length) {
      // Rows sorted by length: grow the chunk while rows × longest stays within the budget.
      let end = start + 1;
      while (
        end < order.length &&
        end - start < opts.maxBatchRows &&
        (end - start + 1) * seqs[order[end]!]!.ids.length <= opts.maxBatchTokens
      )
        end++;
      const idx = order.slice(start, end);
      const batch = padBatch(
        idx.map((i) => seqs[i]!),
        tok.padId,
      );
      opts.onRun?.();
      const logits = await session.run(batch);
      const k = session.numOutputs;
      idx.forEach((i, r) => (out[i] = logits.slice(r * k, (r + 1) * k)));
      start = end;
    }
    return out;
  };
}

export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const manifest = readManifest(dir);
  const provider = options.provider ?? "auto";
  assertProvider(provider);
  // auto: CUDA only where its provider library is installed, so a machine without one loads CPU
  // without onnxruntime's errors about the missing library (one info line says which).
  const auto = provider === "auto" ? (cudaProviderInstalled() ? "cuda" : "cpu") : undefined;
  if (auto)
    (options.logger ?? { info: (o: object, m: string) => console.error(m, JSON.stringify(o)) }).info(
      { requested: "auto", provider: auto },
      `execution provider auto: ${auto === "cuda" ? "cuda (onnxruntime-node's CUDA provider is installed)" : "cpu (no CUDA provider installed)"}`,
    );
  const effective = auto ?? provider;

  // Classifier first: cheap, and a bad classifier should fail before minutes of session loading.
  const clfPath = join(dir, manifest.classifier.file);
  const clfJson = parseJson(clfPath, readBundleFile(dir, manifest.classifier.file, "classifier"));
  let classifier;
  try {
    classifier = loadCatBoost(clfJson);
    checkManifestFeatures(classifier, manifest.features);
  } catch (err) {
    throw new BundleError(`${clfPath}: ${(err as Error).message}`);
  }
  if (manifest.classifier.check_file) {
    const rows = parseCheckFile(readBundleFile(dir, manifest.classifier.check_file, "classifier check file"));
    try {
      verifyCheckFile(classifier, rows);
    } catch (err) {
      throw new BundleError(`${join(dir, manifest.classifier.check_file)}: ${(err as Error).message}`);
    }
  }

  const tokenizers = {} as Record<EncoderName, BertTokenizer>;
  const cache = new Map<string, string>();
  for (const name of ENCODER_NAMES) {
    const spec = manifest.encoders[name];
    if (!existsSync(join(dir, spec.onnx)))
      throw new BundleError(`${join(dir, spec.onnx)}: missing (encoders.${name}.onnx)`);
    const text =
      cache.get(spec.tokenizer) ?? readBundleFile(dir, spec.tokenizer, `encoders.${name}.tokenizer`);
    cache.set(spec.tokenizer, text);
    const cfgPath = join(dir, "tokenizer_config.json");
    try {
      tokenizers[name] = BertTokenizer.fromJSON(
        text,
        existsSync(cfgPath) ? readFileSync(cfgPath, "utf8") : {},
        {
          maxLength: spec.max_length,
        },
      );
    } catch (err) {
      throw new BundleError(`${join(dir, spec.tokenizer)}: ${(err as Error).message}`);
    }
  }

  const encoders = await loadBundleEncoders(dir, manifest, {
    backend: effective === "wasm" ? "web" : "node",
    providers: effective === "cuda" ? ["cuda", "cpu"] : effective === "cpu" ? ["cpu"] : ["wasm"],
    nodeRuntime: loadOnnxNode,
    precision: options.precision ?? "fp32",
    threads: options.threads,
    logger: options.logger,
    warmUp: true,
  });

  let runs = 0;
  const onGpu = encoders.title.provider === "cuda";
  const encode = makeEncodeFn(tokenizers, encoders, {
    maxBatchTokens: options.maxBatchTokens ?? (onGpu ? 16384 : 1024),
    maxBatchRows: options.maxBatchRows ?? (onGpu ? 64 : 16),
    onRun: () => runs++,
  });
  const revertRisk = new RevertRiskModel(manifest, encode, classifier);

  return {
    dir,
    manifest,
    revertRisk,
    encoders,
    encoderRuns: () => runs,
    health(): HealthInfo {
      const d = describeEncoders(encoders);
      const used = d.title.provider;
      const fallback = Object.values(d).find((x) => x.fallbackReason)?.fallbackReason ?? undefined;
      return {
        provider: used,
        requestedProvider: provider,
        ...(fallback ? { fallback } : {}),
        warmedUp: Object.values(d).every((x) => x.warmedUp),
      };
    },
    release: async () => {
      await Promise.all(Object.values(encoders).map((s) => s.release()));
    },
  };
}
