/**
 * Wikitext parser reproducing mwparserfromhell 0.6.4 (see docs/parser.md).
 */
export type * from "./nodes.ts";
export { parse, MAX_DEPTH } from "./parser.ts";
export {
  childCodes,
  countAll,
  filterNodes,
  getSectionNodesFlat,
  getSectionsFlat,
  normalizeEntity,
  stripCode,
  toString,
  topLevel,
  walk,
} from "./tree.ts";
export type { NodeType, StripOptions } from "./tree.ts";
