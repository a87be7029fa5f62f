/**
 * Pure-TypeScript generator of BERT-for-sequence-classification ONNX graphs (route B of
 * docs/mlcore.md: onnx-proto, no Python). The graph computes exactly Hugging Face's
 * `BertForSequenceClassification` forward pass in eval mode:
 *
 *   word + token-type + position embeddings → LayerNorm (eps 1e-12)
 *   → N × [multi-head self-attention with additive mask (1 − mask) · float32_min, residual, LayerNorm,
 *          erf-GELU FFN, residual, LayerNorm]
 *   → pooler tanh(W · h[CLS] + b) → classifier W · pooled + b → `logits` [batch, num_labels].
 *
 * Initializer names are the Hugging Face `state_dict` keys; Linear weights are stored **[in, out]**
 * (transposed w.r.t. torch `nn.Linear.weight`) because they feed `MatMul` directly. The int8 variant
 * (`quantize: true`) is ONNX Runtime's dynamic-quantization pattern: every encoder-layer MatMul becomes
 * DynamicQuantizeLinear → MatMulInteger (u8 × s8) → Cast → Mul(scale_x · scale_w), and the word
 * embedding is an int8 Gather → DequantizeLinear. Pooler and classifier stay fp32.
 */
import onnxProto from "onnx-proto";
import { Rng } from "./rng.ts";

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  numLabels: number;
  layerNormEps: number;
}

/** bert-base-multilingual-cased shapes (compute-equivalent to the production encoders). */
export const BERT_BASE: Omit<BertConfig, "numLabels"> = {
  vocabSize: 119_547,
  hiddenSize: 768,
  numLayers: 12,
  numHeads: 12,
  intermediateSize: 3072,
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
};

/** The committed fixture's shapes (vocabulary size comes from the generated tokenizer). */
export const TINY: Omit<BertConfig, "numLabels" | "vocabSize"> = {
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 256,
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
};

export interface Param {
  dims: number[];
  data: Float32Array;
}
/** Parameters by Hugging Face state_dict name; Linear weights in [in, out] layout. */
export type BertWeights = Map<string, Param>;

const LINEARS_PER_LAYER = [
  "attention.self.query",
  "attention.self.key",
  "attention.self.value",
  "attention.output.dense",
  "intermediate.dense",
  "output.dense",
] as const;

function linearShape(cfg: BertConfig, name: (typeof LINEARS_PER_LAYER)[number]): [number, number] {
  const H = cfg.hiddenSize;
  if (name === "intermediate.dense") return [H, cfg.intermediateSize];
  if (name === "output.dense") return [cfg.intermediateSize, H];
  return [H, H];
}

/**
 * Seeded random weights: Linear/embedding weights N(0, std) (BERT's init uses 0.02; the tiny fixture uses a
 * larger std so that its outputs depend visibly on the input), biases N(0, 0.02); LayerNorm weights
 * 1 + 0.1·N(0,1) and biases N(0, 0.02), on purpose, so that an implementation that skips a LayerNorm
 * affine transform is caught.
 */
export function initBertWeights(cfg: BertConfig, seed: number, std = 0.02): BertWeights {
  const rng = new Rng(seed);
  const w: BertWeights = new Map();
  const H = cfg.hiddenSize;
  const put = (name: string, dims: number[], std: number, mean = 0): void => {
    const n = dims.reduce((a, b) => a * b, 1);
    w.set(name, { dims, data: rng.normals(n, std, mean) });
  };
  const layerNorm = (prefix: string): void => {
    put(`${prefix}.weight`, [H], 0.1, 1);
    put(`${prefix}.bias`, [H], 0.02);
  };
  put("bert.embeddings.word_embeddings.weight", [cfg.vocabSize, H], std);
  put("bert.embeddings.position_embeddings.weight", [cfg.maxPositions, H], std);
  put("bert.embeddings.token_type_embeddings.weight", [cfg.typeVocabSize, H], std);
  layerNorm("bert.embeddings.LayerNorm");
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    for (const lin of LINEARS_PER_LAYER) {
      const [i, o] = linearShape(cfg, lin);
      put(`${p}.${lin}.weight`, [i, o], std);
      put(`${p}.${lin}.bias`, [o], 0.02);
    }
    layerNorm(`${p}.attention.output.LayerNorm`);
    layerNorm(`${p}.output.LayerNorm`);
  }
  put("bert.pooler.dense.weight", [H, H], std);
  put("bert.pooler.dense.bias", [H], 0.02);
  put("classifier.weight", [H, cfg.numLabels], Math.min(std, 0.1));
  put("classifier.bias", [cfg.numLabels], 0.02);
  return w;
}

// ---------------------------------------------------------------------------------------------
// Graph construction helpers

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function tensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): ITensorProto {
  return { name, dataType, dims, rawData: bytesOf(data) };
}

function attrInt(name: string, i: number): IAttributeProto {
  return { name, type: A.INT, i };
}
function attrFloat(name: string, f: number): IAttributeProto {
  return { name, type: A.FLOAT, f };
}
function attrInts(name: string, ints: number[]): IAttributeProto {
  return { name, type: A.INTS, ints };
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** Symmetric per-tensor int8 quantization: scale = max|w| / 127, zero point 0. */
export function quantizeSymmetric(data: Float32Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(data[i] as number));
  const scale = Math.fround(max > 0 ? max / 127 : 1);
  const q = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    q[i] = Math.max(-127, Math.min(127, Math.round((data[i] as number) / scale)));
  }
  return { q, scale };
}

class GraphBuilder {
  nodes: INodeProto[] = [];
  inits: ITensorProto[] = [];
  private n = 0;
  private consts = new Map<string, string>();

  node(op: string, inputs: string[], attrs: IAttributeProto[] = [], outName?: string, domain = ""): string {
    const out = outName ?? `${op}_${this.n}`;
    this.nodes.push({
      opType: op,
      input: inputs,
      output: [out],
      name: `${op}_${this.n++}`,
      attribute: attrs,
      domain,
    });
    return out;
  }

  nodeMulti(op: string, inputs: string[], nOut: number): string[] {
    const id = this.n++;
    const outs = Array.from({ length: nOut }, (_, i) => `${op}_${id}_out${i}`);
    this.nodes.push({ opType: op, input: inputs, output: outs, name: `${op}_${id}`, attribute: [] });
    return outs;
  }

  init(name: string, dataType: number, dims: number[], data: ArrayBufferView): string {
    this.inits.push(tensor(name, dataType, dims, data));
    return name;
  }

  /** Shared constant initializer (scalar or vector). */
  constF(values: number[], dims: number[] = []): string {
    const key = `f:${dims.join("x")}:${values.join(",")}`;
    let name = this.consts.get(key);
    if (!name) {
      name = `const_f32_${this.consts.size}`;
      this.init(name, T.FLOAT, dims, Float32Array.from(values));
      this.consts.set(key, name);
    }
    return name;
  }

  constI64(values: number[], dims: number[] = []): string {
    const key = `i:${dims.join("x")}:${values.join(",")}`;
    let name = this.consts.get(key);
    if (!name) {
      name = `const_i64_${this.consts.size}`;
      this.init(name, T.INT64, dims, BigInt64Array.from(values.map((v) => BigInt(v))));
      this.consts.set(key, name);
    }
    return name;
  }
}

export interface BuildOptions {
  /** Emit the int8 dynamic-quantized variant. */
  quantize?: boolean;
  /** Graph/model doc string. */
  docString?: string;
}

/** Build the ONNX model (serialized ModelProto) for the given config and weights. */
export function buildBertOnnx(cfg: BertConfig, weights: BertWeights, opts: BuildOptions = {}): Uint8Array {
  const g = new GraphBuilder();
  const H = cfg.hiddenSize;
  const nH = cfg.numHeads;
  if (H % nH !== 0) throw new Error(`hidden size ${H} not divisible by ${nH} heads`);
  const dH = H / nH;
  const quant = opts.quantize === true;
  const used = new Set<string>();

  const param = (name: string): string => {
    const p = weights.get(name);
    if (!p) throw new Error(`missing weight ${name}`);
    if (!used.has(name)) {
      used.add(name);
      g.init(name, T.FLOAT, p.dims, p.data);
    }
    return name;
  };

  /** x · W + b, optionally through the dynamic-quantization pattern. */
  const linear = (x: string, prefix: string, quantizeThis: boolean): string => {
    let y: string;
    if (quantizeThis) {
      const p = weights.get(`${prefix}.weight`);
      if (!p) throw new Error(`missing weight ${prefix}.weight`);
      const { q, scale } = quantizeSymmetric(p.data);
      const wq = g.init(`${prefix}.weight_quantized`, T.INT8, p.dims, q);
      const ws = g.init(`${prefix}.weight_scale`, T.FLOAT, [], Float32Array.of(scale));
      const [xq, xs, xzp] = g.nodeMulti("DynamicQuantizeLinear", [x], 3) as [string, string, string];
      const acc = g.node("MatMulInteger", [xq, wq, xzp]);
      const accF = g.node("Cast", [acc], [attrInt("to", T.FLOAT)]);
      const s = g.node("Mul", [xs, ws]);
      y = g.node("Mul", [accF, s]);
    } else {
      y = g.node("MatMul", [x, param(`${prefix}.weight`)]);
    }
    return g.node("Add", [y, param(`${prefix}.bias`)]);
  };

  const layerNorm = (x: string, prefix: string): string =>
    g.node(
      "LayerNormalization",
      [x, param(`${prefix}.weight`), param(`${prefix}.bias`)],
      [attrInt("axis", -1), attrFloat("epsilon", cfg.layerNormEps)],
    );

  // Embeddings ---------------------------------------------------------------------------------
  let word: string;
  if (quant) {
    const p = weights.get("bert.embeddings.word_embeddings.weight");
    if (!p) throw new Error("missing word embeddings");
    const { q, scale } = quantizeSymmetric(p.data);
    const wq = g.init("bert.embeddings.word_embeddings.weight_quantized", T.INT8, p.dims, q);
    const ws = g.init("bert.embeddings.word_embeddings.weight_scale", T.FLOAT, [], Float32Array.of(scale));
    const wz = g.init("bert.embeddings.word_embeddings.weight_zero_point", T.INT8, [], Int8Array.of(0));
    const gathered = g.node("Gather", [wq, "input_ids"], [attrInt("axis", 0)]);
    word = g.node("DequantizeLinear", [gathered, ws, wz]);
  } else {
    word = g.node(
      "Gather",
      [param("bert.embeddings.word_embeddings.weight"), "input_ids"],
      [attrInt("axis", 0)],
    );
  }
  const tt = g.node(
    "Gather",
    [param("bert.embeddings.token_type_embeddings.weight"), "token_type_ids"],
    [attrInt("axis", 0)],
  );
  const shape = g.node("Shape", ["input_ids"]);
  const seqLen = g.node("Gather", [shape, g.constI64([1])], [attrInt("axis", 0)]);
  const positions = g.node("Range", [g.constI64([0]), seqLen, g.constI64([1])]);
  const pos = g.node(
    "Gather",
    [param("bert.embeddings.position_embeddings.weight"), positions],
    [attrInt("axis", 0)],
  );
  // HF order: (inputs_embeds + token_type_embeddings) + position_embeddings
  let x = g.node("Add", [g.node("Add", [word, tt]), pos]);
  x = layerNorm(x, "bert.embeddings.LayerNorm");

  // Additive attention mask [B, 1, 1, S]: (1 − mask) · float32_min -----------------------------
  const maskF = g.node("Cast", ["attention_mask"], [attrInt("to", T.FLOAT)]);
  const mask4 = g.node("Unsqueeze", [maskF, g.constI64([1, 2], [2])]);
  const inv = g.node("Sub", [g.constF([1]), mask4]);
  const maskAdd = g.node("Mul", [inv, g.constF([-3.4028234663852886e38])]);

  const heads = g.constI64([0, 0, nH, dH], [4]);
  const merge = g.constI64([0, 0, H], [3]);
  const scale = g.constF([Math.sqrt(dH)]);

  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const split = (name: string, perm: number[]): string =>
      g.node(
        "Transpose",
        [g.node("Reshape", [linear(x, `${p}.attention.self.${name}`, quant), heads])],
        [attrInts("perm", perm)],
      );
    const q = split("query", [0, 2, 1, 3]); // [B, nH, S, dH]
    const kT = split("key", [0, 2, 3, 1]); // [B, nH, dH, S]
    const v = split("value", [0, 2, 1, 3]);
    let scores = g.node("Div", [g.node("MatMul", [q, kT]), scale]);
    scores = g.node("Add", [scores, maskAdd]);
    const probs = g.node("Softmax", [scores], [attrInt("axis", -1)]);
    const ctx4 = g.node("Transpose", [g.node("MatMul", [probs, v])], [attrInts("perm", [0, 2, 1, 3])]);
    const ctx = g.node("Reshape", [ctx4, merge]);
    const attnOut = linear(ctx, `${p}.attention.output.dense`, quant);
    const h1 = layerNorm(g.node("Add", [attnOut, x]), `${p}.attention.output.LayerNorm`);
    const inter = linear(h1, `${p}.intermediate.dense`, quant);
    // exact GELU: x · 0.5 · (1 + erf(x / √2))
    const erf = g.node("Erf", [g.node("Div", [inter, g.constF([Math.SQRT2])])]);
    const gelu = g.node("Mul", [
      g.node("Mul", [inter, g.node("Add", [erf, g.constF([1])])]),
      g.constF([0.5]),
    ]);
    const out = linear(gelu, `${p}.output.dense`, quant);
    x = layerNorm(g.node("Add", [out, h1]), `${p}.output.LayerNorm`);
  }

  // Pooler over [CLS] and classification head (kept fp32) -------------------------------------
  const cls = g.node("Gather", [x, g.constI64([0])], [attrInt("axis", 1)]); // [B, H]
  const pooled = g.node("Tanh", [linear(cls, "bert.pooler.dense", false)]);
  const logitsRaw = linear(pooled, "classifier", false);
  g.node("Identity", [logitsRaw], [], "logits");

  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: "revrisk models/onnx-bert.ts",
    producerVersion: "1",
    docString: opts.docString ?? "",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "bert_for_sequence_classification",
      node: g.nodes,
      initializer: g.inits,
      input: [
        valueInfo("input_ids", T.INT64, ["batch", "sequence"]),
        valueInfo("attention_mask", T.INT64, ["batch", "sequence"]),
        valueInfo("token_type_ids", T.INT64, ["batch", "sequence"]),
      ],
      output: [valueInfo("logits", T.FLOAT, ["batch", cfg.numLabels])],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}
