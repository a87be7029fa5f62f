/**
 * onnxruntime-node for the encoders: shared/model/encoders.ts is runtime-free and takes this loader
 * as `nodeRuntime` for the `cuda` and `cpu` providers; and whether onnxruntime-node's CUDA provider
 * is installed, which decides what `--provider auto` (the default) uses. The CUDA provider libraries
 * are not in the npm package: its install step downloads them (skipped by .npmrc; the GPU image
 * opts in, functions/scorer/Dockerfile), so their presence is the test.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const loadOnnxNode = (): Promise<unknown> => import("onnxruntime-node");

/** True when onnxruntime-node's CUDA execution provider library is installed (Linux x64 only). */
export function cudaProviderInstalled(): boolean {
  if (process.platform !== "linux" || process.arch !== "x64") return false;
  let dist: string;
  try {
    dist = dirname(createRequire(import.meta.url).resolve("onnxruntime-node"));
  } catch {
    return false;
  }
  return existsSync(join(dist, "..", "bin", "napi-v6", "linux", "x64", "libonnxruntime_providers_cuda.so"));
}
