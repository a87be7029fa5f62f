/**
 * Text statistics of mwedittypes 1.2.1 (`parse_change_text`): token counters per
 * category on each side, then per-category remove / insert / change summaries.
 */
import { PY_SPACE_CLASS, PY_WORD_BOUNDARY, PY_WORD_CLASS, strip } from "../pycompat.ts";
import {
  ENGLISH_PUNCTUATION,
  ENGLISH_UNICODE_PUNCTUATION,
  NON_ENGLISH_PUNCTUATION_RANGES,
  NON_WHITESPACE_LANGUAGES,
  SENTENCE_BREAK_CHARS,
} from "./data.ts";

export type ActionCounts = Record<string, number>;
export type Actions = Record<string, ActionCounts>;

const escapeClass = (s: string): string => s.replace(/[\\\][^-]/g, "\\$&");
const hex = (cp: number): string => `\\u{${cp.toString(16)}}`;

const ELLIPSIS_RE = /\.{3,}/g;
const PUNCT_RE = new RegExp(
  `[${escapeClass(ENGLISH_PUNCTUATION)}]|[${escapeClass(ENGLISH_UNICODE_PUNCTUATION)}]|[${NON_ENGLISH_PUNCTUATION_RANGES.map(
    ([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`),
  ).join("")}]`,
  "gu",
);
const SPACE_RE = new RegExp(`[${PY_SPACE_CLASS}]`, "gu");
const CHAR_RE = new RegExp(PY_WORD_CLASS, "gu");
const WORD_RE = new RegExp(`${PY_WORD_BOUNDARY}((?:${PY_WORD_CLASS}+[-']?)+)${PY_WORD_BOUNDARY}`, "gu");
const SENTENCE_BREAK_RE = new RegExp(
  `[!?\\n${escapeClass(SENTENCE_BREAK_CHARS)}]+|(?<!\\.)\\.(?!(?<=\\p{Nd}[^\\n])\\p{Nd})(?!\\.)`,
  "u",
);
const PARAGRAPH_RE = /\n{2}/;

function matchAll(re: RegExp, text: string, group = 0): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(re)) out.push(m[group]!);
  return out;
}

export function getWords(text: string, lang: string): string[] {
  return NON_WHITESPACE_LANGUAGES.has(lang) ? matchAll(CHAR_RE, text) : matchAll(WORD_RE, text, 1);
}

export function getPunctuation(text: string): string[] {
  const ellipses = matchAll(ELLIPSIS_RE, text);
  const rest = text.replace(ELLIPSIS_RE, "");
  return [...ellipses, ...matchAll(PUNCT_RE, rest)];
}

export function getSentences(text: string, lang: string): string[] {
  return text
    .split(SENTENCE_BREAK_RE)
    .filter((s) => getWords(s, lang).length >= 2)
    .map(strip);
}

export function getParagraphs(text: string, lang: string): string[] {
  if (text === "") return [];
  return text
    .split(PARAGRAPH_RE)
    .filter((p) => getWords(p, lang).length > 0)
    .map(strip);
}

function counter(tokens: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tokens) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/** Token counters of one side, keyed by category (`Word` or `Character` by language). */
export function tokenize(text: string, lang: string): Array<[string, Map<string, number>]> {
  return [
    ["Whitespace", counter(matchAll(SPACE_RE, text))],
    ["Punctuation", counter(getPunctuation(text))],
    [NON_WHITESPACE_LANGUAGES.has(lang) ? "Character" : "Word", counter(getWords(text, lang))],
    ["Sentence", counter(getSentences(text, lang))],
    ["Paragraph", counter(getParagraphs(text, lang))],
  ];
}

/** `parse_change_text(prev, curr, lang)`: per category `{remove, insert, change}` (zeros omitted). */
export function parseChangeText(prev: string, curr: string, lang: string): Actions {
  const p = new Map(tokenize(prev, lang));
  const result: Actions = {};
  for (const [cat, c] of tokenize(curr, lang)) {
    const pc = p.get(cat)!;
    let removals = 0;
    let additions = 0;
    const keys = new Set([...c.keys(), ...pc.keys()]);
    for (const k of keys) {
      const d = (c.get(k) ?? 0) - (pc.get(k) ?? 0);
      if (d < 0) removals -= d;
      else if (d > 0) additions += d;
    }
    if (removals === 0 && additions === 0) continue;
    const change = Math.min(removals, additions);
    const out: ActionCounts = {};
    if (removals - change > 0) out.remove = removals - change;
    if (additions - change > 0) out.insert = additions - change;
    if (change > 0) out.change = change;
    result[cat] = out;
  }
  return result;
}
