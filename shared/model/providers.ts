/**
 * The execution providers and weight precisions a model bundle can be run with — names only, so
 * that the option table (functions/options.ts) and the Worker can list them without loading a
 * runtime.
 */

/**
 * Execution providers a model can be loaded with. `auto` (the default) is CUDA where onnxruntime-node's
 * CUDA provider is installed, else CPU; `cuda` insists (and falls back loudly, /healthz degraded).
 */
export const PROVIDERS = ["auto", "cuda", "cpu", "wasm"] as const;
export type ProviderChoice = (typeof PROVIDERS)[number];
/** What an encoder session actually runs on. */
export type Provider = Exclude<ProviderChoice, "auto">;

/** fp32, or the bundle's dynamically quantized int8 encoders. */
export const PRECISIONS = ["fp32", "int8"] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Throws for a provider name that is not one of PROVIDERS (e.g. "gpu"), instead of loading another. */
export function assertProvider(name: string): asserts name is ProviderChoice {
  if (!(PROVIDERS as readonly string[]).includes(name))
    throw new RangeError(`unknown execution provider "${name}" (expected one of ${PROVIDERS.join(", ")})`);
}
