#!/usr/bin/env node
/**
 * Runs the BERT-base-shaped benchmark encoder on the probe that check_bert.py --bert-base wrote into
 * DIR/reference.json, with onnxruntime-node and onnxruntime-web (fp32, and int8 for information), and
 * prints the largest differences from the PyTorch logits.
 *
 *   node models/reference/compare-bert-base.ts models/generated/bert-base
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createEncoderSession, type Backend, type Precision } from "../../shared/model/encoders.ts";
import { loadOnnxNode } from "../../functions/node/onnxruntime-node.ts";

const dir = resolve(process.argv[2] ?? "models/generated/bert-base");
const ref = JSON.parse(readFileSync(join(dir, "reference.json"), "utf8")) as {
  rows: number;
  seq_len: number;
  input_ids: number[];
  attention_mask: number[];
  token_type_ids: number[];
  logits: number[];
};
const big = (xs: number[]): BigInt64Array => BigInt64Array.from(xs, (x) => BigInt(x));
const input = {
  rows: ref.rows,
  seqLen: ref.seq_len,
  inputIds: big(ref.input_ids),
  attentionMask: big(ref.attention_mask),
  tokenTypeIds: big(ref.token_type_ids),
};
const outputs = new Map<string, Float32Array>();
for (const precision of ["fp32", "int8"] as Precision[]) {
  for (const backend of ["node", "web"] as Backend[]) {
    const file = join(dir, precision === "fp32" ? "encoder.onnx" : "encoder.int8.onnx");
    const s = await createEncoderSession(file, {
      backend,
      providers: ["cpu"],
      numOutputs: 2,
      logger: { info: () => {}, warn: () => {} },
      nodeRuntime: loadOnnxNode,
    });
    const got = await s.run(input);
    await s.release();
    outputs.set(`${backend} ${precision}`, got);
    const diff = Math.max(...ref.logits.map((w, i) => Math.abs((got[i] as number) - w)));
    console.log(`${backend} ${precision} vs torch fp32: max |Δ| = ${diff.toExponential(3)}`);
  }
}
for (const precision of ["fp32", "int8"]) {
  const a = outputs.get(`node ${precision}`) as Float32Array;
  const b = outputs.get(`web ${precision}`) as Float32Array;
  const diff = Math.max(...Array.from(a, (v, i) => Math.abs(v - (b[i] as number))));
  console.log(`node vs web ${precision}: max |Δ| = ${diff.toExponential(3)}`);
}
console.log(`torch logits: ${ref.logits.map((v) => v.toFixed(5)).join(" ")}`);
