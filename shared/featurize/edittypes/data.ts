/**
 * Data tables of mwedittypes 1.2.1 (geohci/edit-types, MIT; see shared/featurize/edittypes/edittypes-data.NOTICE.md) and
 * the HTML 4 entity table, as typed lookups.
 */
import raw from "./edittypes-data.json" with { type: "json" };

interface RawData {
  textFormattingTags: string[];
  tableElementTags: string[];
  listTags: string[];
  nonWhitespaceLanguages: string[];
  sentenceBreakChars: string;
  englishPunctuation: string;
  englishUnicodePunctuation: string;
  nonEnglishPunctuationRanges: Array<[number, number]>;
  mediaExtensions: string[];
  mediaPrefixes: string[];
  categoryPrefixes: string[];
  mediaAliases: Record<string, string[]>;
  categoryAliases: Record<string, string[]>;
}

const data = raw as unknown as RawData;

export const TEXT_FORMATTING_TAGS: ReadonlySet<string> = new Set(data.textFormattingTags);
export const TABLE_ELEMENT_TAGS: ReadonlySet<string> = new Set(data.tableElementTags);
export const LIST_TAGS: ReadonlySet<string> = new Set(data.listTags);
export const NON_WHITESPACE_LANGUAGES: ReadonlySet<string> = new Set(data.nonWhitespaceLanguages);
export const SENTENCE_BREAK_CHARS = data.sentenceBreakChars;
export const ENGLISH_PUNCTUATION = data.englishPunctuation;
export const ENGLISH_UNICODE_PUNCTUATION = data.englishUnicodePunctuation;
export const NON_ENGLISH_PUNCTUATION_RANGES: ReadonlyArray<readonly [number, number]> =
  data.nonEnglishPunctuationRanges;
/** Extensions without the leading dot. */
export const MEDIA_EXTENSIONS: readonly string[] = data.mediaExtensions.map((e) => e.replace(/^\./, ""));

const prefixCache = new Map<string, { media: ReadonlySet<string>; category: ReadonlySet<string> }>();

/** Lower-cased namespace prefixes for a wiki language: English ones plus the language's aliases. */
export function prefixesFor(lang: string): { media: ReadonlySet<string>; category: ReadonlySet<string> } {
  let p = prefixCache.get(lang);
  if (!p) {
    const own = (table: Record<string, string[]>): string[] =>
      Object.prototype.hasOwnProperty.call(table, lang) ? table[lang]! : [];
    p = {
      media: new Set([...data.mediaPrefixes, ...own(data.mediaAliases)].map((m) => m.toLowerCase())),
      category: new Set([...data.categoryPrefixes, ...own(data.categoryAliases)].map((m) => m.toLowerCase())),
    };
    prefixCache.set(lang, p);
  }
  return p;
}
