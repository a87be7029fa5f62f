/**
 * ONNX encoder sessions for the four revertrisk-multilingual encoders, with two backends behind one
 * interface:
 *
 * - `node`: onnxruntime-node with execution providers from config (default CUDA, then CPU).
 *   onnxruntime-node THROWS when an EP cannot load (there is no automatic fallback), so each EP is
 *   tried in turn; a failure is logged loudly and recorded in `fallbackReason`, and `provider` says
 *   which EP the session was actually created with. "wasm" may end the list as a last resort.
 * - `web`: onnxruntime-web's WASM backend (works in Node too), `env.wasm.numThreads` = cores.
 *
 * Both runtimes are imported lazily, so this module loads where only one of them exists.
 */
import type { InferenceSession, Tensor } from "onnxruntime-web";
import type { EncoderName, EncoderSpec, Manifest } from "./bundle.ts";
import { ENCODER_NAMES } from "./bundle.ts";

import { assertProvider, type Precision, type Provider } from "./providers.ts";

export type { Precision, Provider } from "./providers.ts";
export type Backend = "node" | "web";

/** A padded batch, row-major [rows × seqLen] (shared/model/tokenizer.ts `EncodedBatch` fits). */
export interface EncoderInput {
  rows: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}

/** pino-compatible subset. */
export interface EncoderLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EncoderSession {
  readonly name: string;
  readonly backend: Backend;
  readonly numOutputs: number;
  /** EPs asked for, in order of preference. */
  readonly requestedProviders: readonly Provider[];
  /** The EP the session was actually created with. */
  readonly provider: Provider;
  /** Why a preferred EP was not used (null when the first choice worked). */
  readonly fallbackReason: string | null;
  readonly warmedUp: boolean;
  /** Logits, row-major [rows × numOutputs]. */
  run(batch: EncoderInput): Promise<Float32Array>;
  /** One small inference, so that the first real request does not pay for lazy initialisation. */
  warmUp(): Promise<void>;
  release(): Promise<void>;
}

export interface EncoderSessionOptions {
  /** "web" = onnxruntime-web WASM only (providers ignored); "node" (default) = `providers` in order. */
  backend?: Backend;
  /**
   * Execution providers in order of preference (default ["cuda", "cpu"]). "cuda" and "cpu" use
   * onnxruntime-node; "wasm" uses onnxruntime-web and may end the list as a last resort (e.g.
   * ["cuda", "cpu", "wasm"]), which also covers hosts where onnxruntime-node cannot be imported.
   */
  providers?: readonly Provider[];
  /** Threads: onnxruntime-node intraOpNumThreads, or onnxruntime-web env.wasm.numThreads. Default: CPU cores. */
  threads?: number;
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  /** Output holding the logits (default "logits"). */
  outputName?: string;
  numOutputs: number;
  name?: string;
  logger?: EncoderLogger;
  /**
   * Loads onnxruntime-node, needed for the `cuda` and `cpu` providers. The Node runtime passes it
   * (functions/node/onnxruntime-node.ts); elsewhere (Workers, browsers) those providers fail and
   * `wasm` is the one that loads.
   */
  nodeRuntime?: () => Promise<unknown>;
}

const consoleLogger: EncoderLogger = {
  info: (obj, msg) => console.error(`[encoders] ${msg}`, JSON.stringify(obj)),
  warn: (obj, msg) => console.error(`[encoders] WARNING: ${msg}`, JSON.stringify(obj)),
};

type OrtModule = {
  InferenceSession: {
    create(model: string | Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
  Tensor: new (type: "int64", data: BigInt64Array, dims: readonly number[]) => Tensor;
  env: { wasm: { numThreads?: number } };
};

let webModule: Promise<OrtModule> | null = null;
let webThreads: number | null = null;

/** CPU cores: navigator.hardwareConcurrency (Node ≥ 21 answers os.availableParallelism(); browsers, workerd). */
async function defaultThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/** onnxruntime-web, with env.wasm.numThreads set before its WASM instance starts (first call wins). */
async function loadWeb(threads: number | undefined): Promise<OrtModule> {
  if (!webModule) {
    webModule = (async () => {
      const ort = (await import("onnxruntime-web")) as unknown as OrtModule;
      webThreads = threads ?? (await defaultThreads());
      ort.env.wasm.numThreads = webThreads;
      return ort;
    })();
  }
  return webModule;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class OrtEncoderSession implements EncoderSession {
  readonly name: string;
  readonly backend: Backend;
  readonly numOutputs: number;
  readonly requestedProviders: readonly Provider[];
  readonly provider: Provider;
  readonly fallbackReason: string | null;
  warmedUp = false;
  private readonly ort: OrtModule;
  private readonly session: InferenceSession;
  private readonly outputName: string;

  constructor(init: {
    name: string;
    backend: Backend;
    numOutputs: number;
    requested: readonly Provider[];
    provider: Provider;
    fallbackReason: string | null;
    ort: OrtModule;
    session: InferenceSession;
    outputName: string;
  }) {
    this.name = init.name;
    this.backend = init.backend;
    this.numOutputs = init.numOutputs;
    this.requestedProviders = init.requested;
    this.provider = init.provider;
    this.fallbackReason = init.fallbackReason;
    this.ort = init.ort;
    this.session = init.session;
    this.outputName = init.outputName;
  }

  async run(batch: EncoderInput): Promise<Float32Array> {
    const { rows, seqLen } = batch;
    if (rows === 0) return new Float32Array(0);
    const n = rows * seqLen;
    if (batch.inputIds.length !== n || batch.attentionMask.length !== n || batch.tokenTypeIds.length !== n) {
      throw new Error(`encoder ${this.name}: input arrays do not match ${rows}×${seqLen}`);
    }
    const dims = [rows, seqLen];
    const feeds = {
      input_ids: new this.ort.Tensor("int64", batch.inputIds, dims),
      attention_mask: new this.ort.Tensor("int64", batch.attentionMask, dims),
      token_type_ids: new this.ort.Tensor("int64", batch.tokenTypeIds, dims),
    };
    const out = (await this.session.run(feeds))[this.outputName];
    if (!out) throw new Error(`encoder ${this.name}: no output '${this.outputName}'`);
    const data = out.data;
    if (!(data instanceof Float32Array) || data.length !== rows * this.numOutputs) {
      throw new Error(
        `encoder ${this.name}: expected float32 [${rows}, ${this.numOutputs}], got ${out.type} [${out.dims.join(", ")}]`,
      );
    }
    return data;
  }

  async warmUp(): Promise<void> {
    // [CLS] [UNK] [SEP] in mBERT's id layout; any id < vocabulary size would do.
    const ids = BigInt64Array.from([101n, 100n, 102n]);
    await this.run({
      rows: 1,
      seqLen: 3,
      inputIds: ids,
      attentionMask: BigInt64Array.from([1n, 1n, 1n]),
      tokenTypeIds: new BigInt64Array(3),
    });
    this.warmedUp = true;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Create one encoder session from an ONNX file path or its bytes. */
export async function createEncoderSession(
  model: string | Uint8Array,
  opts: EncoderSessionOptions,
): Promise<EncoderSession> {
  const logger = opts.logger ?? consoleLogger;
  const name = opts.name ?? (typeof model === "string" ? model : "encoder");
  const base: InferenceSession.SessionOptions = {
    graphOptimizationLevel: opts.graphOptimizationLevel ?? "all",
  };
  const requested: readonly Provider[] =
    opts.backend === "web" ? ["wasm"] : (opts.providers ?? (["cuda", "cpu"] as const));
  if (requested.length === 0) throw new Error("no execution providers requested");
  for (const p of requested) assertProvider(p);

  const failures: string[] = [];
  for (const provider of requested) {
    try {
      let ort: OrtModule;
      let session: InferenceSession;
      if (provider === "wasm") {
        ort = await loadWeb(opts.threads);
        if (opts.threads !== undefined && webThreads !== opts.threads) {
          logger.warn(
            { encoder: name, requested: opts.threads, actual: webThreads },
            "onnxruntime-web thread count is fixed at first use",
          );
        }
        session = await ort.InferenceSession.create(model, { ...base, executionProviders: ["wasm"] });
      } else {
        if (!opts.nodeRuntime) throw new Error("onnxruntime-node is not available in this runtime");
        ort = (await opts.nodeRuntime()) as OrtModule;
        session = await ort.InferenceSession.create(model, {
          ...base,
          executionProviders: [provider],
          ...(opts.threads !== undefined ? { intraOpNumThreads: opts.threads } : {}),
        });
      }
      const fallbackReason = failures.length > 0 ? failures.join("; ") : null;
      const fields = {
        encoder: name,
        requested,
        provider,
        ...(provider === "wasm" ? { threads: webThreads } : {}),
      };
      if (fallbackReason) {
        logger.warn(
          { ...fields, fallbackReason },
          `encoder '${name}' FELL BACK to execution provider '${provider}'`,
        );
      } else {
        logger.info(fields, "encoder session created");
      }
      return new OrtEncoderSession({
        name,
        backend: provider === "wasm" ? "web" : "node",
        numOutputs: opts.numOutputs,
        outputName: opts.outputName ?? "logits",
        requested,
        provider,
        fallbackReason,
        ort,
        session,
      });
    } catch (err) {
      failures.push(`${provider}: ${errorMessage(err)}`);
      logger.warn(
        { encoder: name, provider, error: errorMessage(err) },
        `execution provider '${provider}' failed to load`,
      );
    }
  }
  throw new Error(`encoder ${name}: no execution provider could be loaded (${failures.join("; ")})`);
}

/** Where bundle files come from: a directory path (Node) or a reader (any runtime). */
export type BundleSource = string | { readFile(relativePath: string): Promise<Uint8Array> };

export interface LoadEncodersOptions extends Omit<
  EncoderSessionOptions,
  "numOutputs" | "name" | "outputName"
> {
  precision?: Precision;
  /** Run one warm-up inference per encoder (default true). */
  warmUp?: boolean;
}

export type EncoderSet = Record<EncoderName, EncoderSession>;

function modelFile(spec: EncoderSpec, precision: Precision, name: string): string {
  if (precision === "fp32") return spec.onnx;
  if (!spec.onnx_int8) throw new Error(`encoder ${name} has no int8 variant in the manifest`);
  return spec.onnx_int8;
}

/** Load (and warm up) the four encoders of a bundle. */
export async function loadBundleEncoders(
  source: BundleSource,
  manifest: Manifest,
  opts: LoadEncodersOptions = {},
): Promise<EncoderSet> {
  const precision = opts.precision ?? "fp32";
  const sessions: Partial<EncoderSet> = {};
  try {
    for (const name of ENCODER_NAMES) {
      const spec = manifest.encoders[name];
      const file = modelFile(spec, precision, name);
      const model =
        typeof source === "string" ? `${source.replace(/\/+$/, "")}/${file}` : await source.readFile(file);
      const session = await createEncoderSession(model, {
        ...opts,
        name,
        numOutputs: spec.num_outputs,
        outputName: spec.output,
      });
      sessions[name] = session;
      if (opts.warmUp ?? true) await session.warmUp();
    }
  } catch (err) {
    await Promise.allSettled(Object.values(sessions).map((s) => s.release()));
    throw err;
  }
  return sessions as EncoderSet;
}

/** A one-line summary per encoder for logs and the model-info endpoint. */
export function describeEncoders(
  set: EncoderSet,
): Record<
  EncoderName,
  { backend: Backend; provider: Provider; fallbackReason: string | null; warmedUp: boolean }
> {
  const out = {} as Record<
    EncoderName,
    { backend: Backend; provider: Provider; fallbackReason: string | null; warmedUp: boolean }
  >;
  for (const name of ENCODER_NAMES) {
    const s = set[name];
    out[name] = {
      backend: s.backend,
      provider: s.provider,
      fallbackReason: s.fallbackReason,
      warmedUp: s.warmedUp,
    };
  }
  return out;
}
