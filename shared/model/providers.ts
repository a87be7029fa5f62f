/**
 * The execution providers and weight precisions a model bundle can be run with — names only, so
 * that the option table (functions/options.ts) and the Worker can list them without loading a
 * runtime.
 */

/** Execution providers a model can be loaded with. */
export const PROVIDERS = ["cuda", "cpu", "wasm"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** fp32, or the bundle's dynamically quantized int8 encoders. */
export const PRECISIONS = ["fp32", "int8"] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Throws for a provider name that is not one of PROVIDERS (e.g. "gpu"), instead of loading another. */
export function assertProvider(name: string): asserts name is Provider {
  if (!(PROVIDERS as readonly string[]).includes(name))
    throw new RangeError(`unknown execution provider "${name}" (expected one of ${PROVIDERS.join(", ")})`);
}
