/**
 * BERT WordPiece tokenization for the encoders, over `@huggingface/tokenizers` (pure JS, runs in Node,
 * workers and browsers). That library has no truncation, padding or batch API, so this module adds:
 *
 * - `longest_first` truncation to `maxLength` (512) exactly as Hugging Face's Rust `tokenizers`
 *   (≥ 0.22, with the early-exit rule of huggingface/tokenizers#1990) does it, keeping the final [SEP];
 * - the BERT templates `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]` (token types 0…0 1…1);
 * - dynamic padding of a batch to its longest row, as int64-ready `BigInt64Array`s.
 *
 * Runtime-agnostic: no I/O; the tokenizer JSON is passed in as a string or parsed object.
 */
import { Tokenizer } from "@huggingface/tokenizers";

/** One encoder input: a single text, or a text pair ([CLS] a [SEP] b [SEP]). */
export type TextInput = string | readonly [string, string];

/** One encoded sequence (special tokens included, not padded). */
export interface EncodedSequence {
  ids: number[];
  typeIds: number[];
}

/** A padded batch, row-major [rows × seqLen], ready to wrap as int64 tensors. */
export interface EncodedBatch {
  rows: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** Real (unpadded) length of each row, special tokens included. */
  lengths: number[];
}

export interface TokenizerOptions {
  /** Maximum sequence length including special tokens (default 512). */
  maxLength?: number;
}

const CONTINUATION = "##";

/**
 * Length of a token sequence after Rust tokenizers' early exit (huggingface/tokenizers#1990): with
 * truncation enabled, tokenization stops at the first word boundary after `maxLength` tokens. A word
 * boundary is a token that does not start with the continuation prefix.
 */
export function effectiveLength(tokens: readonly string[], maxLength: number): number {
  for (let i = maxLength; i < tokens.length; i++) {
    if (!(tokens[i] as string).startsWith(CONTINUATION)) return i;
  }
  return tokens.length;
}

/**
 * `longest_first` allowances for a pair (port of `truncate_encodings` in tokenizers/src/utils/truncation.rs).
 * `budget` is maxLength minus the three special tokens. Returns the kept lengths [a, b].
 */
export function longestFirstAllowance(lenA: number, lenB: number, budget: number): [number, number] {
  if (lenA + lenB <= budget) return [lenA, lenB];
  const swap = lenA > lenB;
  let n1 = swap ? lenB : lenA; // the shorter side
  let n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = Math.floor(budget / 2);
    n2 = n1 + (budget % 2);
  }
  return swap ? [n2, n1] : [n1, n2];
}

export class BertTokenizer {
  readonly maxLength: number;
  readonly padId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly unkId: number;
  private readonly tok: Tokenizer;

  private constructor(tok: Tokenizer, maxLength: number) {
    this.tok = tok;
    this.maxLength = maxLength;
    const id = (t: string): number => {
      const v = tok.token_to_id(t);
      if (v === undefined) throw new Error(`tokenizer has no ${t} token`);
      return v;
    };
    this.padId = id("[PAD]");
    this.clsId = id("[CLS]");
    this.sepId = id("[SEP]");
    this.unkId = id("[UNK]");
    if (maxLength < 4) throw new Error(`maxLength ${maxLength} is too small`);
    this.checkTemplate();
  }

  /** Load from tokenizer.json (string or parsed object) and optional tokenizer_config.json. */
  static fromJSON(
    tokenizerJson: string | object,
    tokenizerConfig: string | object = {},
    options: TokenizerOptions = {},
  ): BertTokenizer {
    const json = typeof tokenizerJson === "string" ? (JSON.parse(tokenizerJson) as object) : tokenizerJson;
    const config =
      typeof tokenizerConfig === "string" ? (JSON.parse(tokenizerConfig) as object) : tokenizerConfig;
    return new BertTokenizer(new Tokenizer(json, config), options.maxLength ?? 512);
  }

  /** The tokenizer's own post-processor must agree with the BERT template this module applies. */
  private checkTemplate(): void {
    const own = this.tok.encode("a", { text_pair: "b", return_token_type_ids: true });
    const mine = this.encode(["a", "b"]);
    if (
      JSON.stringify(own.ids) !== JSON.stringify(mine.ids) ||
      JSON.stringify(own.token_type_ids) !== JSON.stringify(mine.typeIds)
    ) {
      throw new Error("tokenizer.json post-processor is not the BERT template [CLS] A [SEP] B [SEP]");
    }
  }

  /** Word pieces without special tokens, and their token strings. */
  pieces(text: string): { ids: number[]; tokens: string[] } {
    const e = this.tok.encode(text, { add_special_tokens: false });
    return { ids: e.ids, tokens: e.tokens };
  }

  /** Encode one input with truncation to maxLength and special tokens; no padding. */
  encode(input: TextInput): EncodedSequence {
    const max = this.maxLength;
    if (typeof input === "string") {
      const a = this.pieces(input).ids.slice(0, max - 2);
      return { ids: [this.clsId, ...a, this.sepId], typeIds: new Array<number>(a.length + 2).fill(0) };
    }
    const pa = this.pieces(input[0]);
    const pb = this.pieces(input[1]);
    const budget = max - 3;
    let a = pa.ids;
    let b = pb.ids;
    if (a.length + b.length > budget) {
      const [na, nb] = longestFirstAllowance(
        effectiveLength(pa.tokens, max),
        effectiveLength(pb.tokens, max),
        budget,
      );
      a = a.slice(0, na);
      b = b.slice(0, nb);
    }
    const ids = [this.clsId, ...a, this.sepId, ...b, this.sepId];
    const typeIds = new Array<number>(ids.length).fill(0);
    typeIds.fill(1, a.length + 2);
    return { ids, typeIds };
  }

  /** Encode and pad a batch to its longest row ([PAD] id, attention 0, token type 0). */
  encodeBatch(inputs: readonly TextInput[]): EncodedBatch {
    return padBatch(
      inputs.map((x) => this.encode(x)),
      this.padId,
    );
  }
}

/** Pad encoded sequences to the longest one. */
export function padBatch(seqs: readonly EncodedSequence[], padId: number): EncodedBatch {
  const rows = seqs.length;
  const seqLen = seqs.reduce((m, s) => Math.max(m, s.ids.length), 0);
  const inputIds = new BigInt64Array(rows * seqLen).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(rows * seqLen);
  const tokenTypeIds = new BigInt64Array(rows * seqLen);
  const lengths: number[] = [];
  seqs.forEach((s, r) => {
    const off = r * seqLen;
    for (let i = 0; i < s.ids.length; i++) {
      inputIds[off + i] = BigInt(s.ids[i] as number);
      attentionMask[off + i] = 1n;
      tokenTypeIds[off + i] = BigInt(s.typeIds[i] as number);
    }
    lengths.push(s.ids.length);
  });
  return { rows, seqLen, inputIds, attentionMask, tokenTypeIds, lengths };
}
