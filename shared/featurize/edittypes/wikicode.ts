/**
 * Helpers over the parser's node contract (shared/featurize/wikitext/nodes.ts) with mwparserfromhell 0.6.4
 * semantics, as the edit-type algorithm uses them (the mwparserfromhell 0.6.4 API that mwedittypes uses): the
 * parser module's child code lists, recursive walk, strip_code, flat sections and entity values,
 * plus the two small conveniences the edit-type code needs.
 */
import type { Wikicode } from "../wikitext/nodes.ts";
import { toString, walk } from "../wikitext/tree.ts";

export {
  childCodes,
  walk,
  normalizeEntity as entityNormalize,
  stripCode,
  getSectionNodesFlat as sectionsFlat,
  type StripOptions,
} from "../wikitext/tree.ts";

/** What the edit-type code needs from a parser: mwparserfromhell.parse with style tags on. */
export type ParseFn = (text: string) => Wikicode;

/** Source text of a wikicode; "" for an absent one. */
export function codeToString(code: Wikicode | null | undefined): string {
  return code ? toString(code) : "";
}

/** `len(code.filter())`: number of nodes in the recursive walk, counting stops at `limit`. */
export function countAll(code: Wikicode, limit = Infinity): number {
  let n = 0;
  for (const _ of walk(code)) {
    if (++n >= limit) break;
  }
  return n;
}
