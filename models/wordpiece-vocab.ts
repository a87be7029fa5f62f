/**
 * Builds a cased WordPiece vocabulary in the exact id layout of bert-base-multilingual-cased
 * ([PAD]=0, [unused1..99]=1..99, [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103) from a small sample
 * text, and the matching Hugging Face `tokenizer.json` (BertNormalizer without lower-casing,
 * BertPreTokenizer, WordPiece `##`, TemplateProcessing single/pair with type ids).
 *
 * Vocabulary selection: BERT-style basic pre-tokenization of the text (clean control characters,
 * split whitespace, split off every CJK ideograph and punctuation mark), then every character seen in
 * both plain and `##` form (so no seen character is ever [UNK]), then frequent whole words alternated
 * with frequent word-prefix and `##` suffix pieces until the target size is reached.
 */

export const SPECIAL_TOKENS = {
  pad: "[PAD]",
  unk: "[UNK]",
  cls: "[CLS]",
  sep: "[SEP]",
  mask: "[MASK]",
} as const;

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

const WHITESPACE = /^[\t\n\r \p{Zs}]$/u;
const OTHER = /^\p{C}$/u;
const PUNCT = /^[\p{P}!-/:-@[-`{-~]$/u;

/** BERT basic pre-tokenization (BertNormalizer clean_text + handle_chinese_chars, BertPreTokenizer). */
export function basicPreTokenize(text: string): string[] {
  const words: string[] = [];
  let cur = "";
  const flush = (): void => {
    if (cur) words.push(cur);
    cur = "";
  };
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (WHITESPACE.test(ch)) {
      flush();
      continue;
    }
    if (cp === 0 || cp === 0xfffd || OTHER.test(ch)) continue;
    if (isCjk(cp) || PUNCT.test(ch)) {
      flush();
      words.push(ch);
      continue;
    }
    cur += ch;
  }
  flush();
  return words;
}

function sortedByCount(counts: Map<string, number>): string[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k]) => k);
}

/** Vocabulary (token list, index = id) of at most `targetSize` entries. */
export function buildVocab(text: string, targetSize: number): string[] {
  const vocab: string[] = [SPECIAL_TOKENS.pad];
  for (let i = 1; i < 100; i++) vocab.push(`[unused${i}]`);
  vocab.push(SPECIAL_TOKENS.unk, SPECIAL_TOKENS.cls, SPECIAL_TOKENS.sep, SPECIAL_TOKENS.mask);
  const seen = new Set(vocab);
  const add = (t: string): void => {
    if (!seen.has(t) && vocab.length < targetSize) {
      seen.add(t);
      vocab.push(t);
    }
  };

  const wordCounts = new Map<string, number>();
  const charCounts = new Map<string, number>();
  const pieceCounts = new Map<string, number>();
  for (const w of basicPreTokenize(text)) {
    wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
    const chars = [...w];
    for (const c of chars) charCounts.set(c, (charCounts.get(c) ?? 0) + 1);
    for (let len = 2; len <= Math.min(6, chars.length - 1); len++) {
      const prefix = chars.slice(0, len).join("");
      pieceCounts.set(prefix, (pieceCounts.get(prefix) ?? 0) + 1);
      const suffix = "##" + chars.slice(chars.length - len).join("");
      pieceCounts.set(suffix, (pieceCounts.get(suffix) ?? 0) + 1);
    }
  }
  const chars = sortedByCount(charCounts);
  for (const c of chars) add(c);
  for (const c of chars) add("##" + c);
  const words = sortedByCount(wordCounts).filter((w) => [...w].length > 1);
  const pieces = sortedByCount(pieceCounts).filter((p) => (pieceCounts.get(p) ?? 0) >= 2);
  for (let i = 0; i < Math.max(words.length, pieces.length) && vocab.length < targetSize; i++) {
    if (i < words.length) add(words[i] as string);
    if (i < pieces.length) add(pieces[i] as string);
  }
  return vocab;
}

/** Hugging Face tokenizer.json for a BERT WordPiece vocabulary in mBERT layout. */
export function buildTokenizerJson(vocab: string[]): Record<string, unknown> {
  const id = (t: string): number => {
    const i = vocab.indexOf(t);
    if (i < 0) throw new Error(`vocabulary lacks ${t}`);
    return i;
  };
  const special = [
    SPECIAL_TOKENS.pad,
    SPECIAL_TOKENS.unk,
    SPECIAL_TOKENS.cls,
    SPECIAL_TOKENS.sep,
    SPECIAL_TOKENS.mask,
  ];
  const cls = SPECIAL_TOKENS.cls;
  const sep = SPECIAL_TOKENS.sep;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: special.map((t) => ({
      id: id(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: false,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: sep, type_id: 1 } },
      ],
      special_tokens: {
        [cls]: { id: cls, ids: [id(cls)], tokens: [cls] },
        [sep]: { id: sep, ids: [id(sep)], tokens: [sep] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: SPECIAL_TOKENS.unk,
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

/** tokenizer_config.json as bert-base-multilingual-cased ships it (for Hugging Face compatibility). */
export function buildTokenizerConfig(): Record<string, unknown> {
  return {
    do_lower_case: false,
    model_max_length: 512,
    tokenizer_class: "BertTokenizer",
    strip_accents: null,
    tokenize_chinese_chars: true,
    unk_token: SPECIAL_TOKENS.unk,
    sep_token: SPECIAL_TOKENS.sep,
    pad_token: SPECIAL_TOKENS.pad,
    cls_token: SPECIAL_TOKENS.cls,
    mask_token: SPECIAL_TOKENS.mask,
  };
}

/** Synthetic, large-vocabulary variant for the BERT-base-shaped benchmark model: the sample vocabulary
 * padded with `[unusedN]`-style filler tokens up to `size` entries (mBERT's 119,547). */
export function padVocab(vocab: string[], size: number): string[] {
  const out = [...vocab];
  for (let i = 0; out.length < size; i++) out.push(`[filler${i}]`);
  return out;
}
