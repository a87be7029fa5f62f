/**
 * mwedittypes 1.2.1 `EditTypes(prev, curr, lang).get_diff()`, parser-agnostic:
 * the wikitext parser is passed in. `editTypes` in ./index.ts binds the project's parser.
 */
import { countDiff } from "./count.ts";
import { PythonError, type TreeDiff, correspondingNodes, postProcess } from "./diff.ts";
import { DEFAULT_TED_BUDGET, treeEditTransactions } from "./ted.ts";
import type { Actions } from "./tokenizer.ts";
import { type SizeMode, buildTree, postOrder, pruneTrees } from "./tree.ts";
import type { ParseFn } from "./wikicode.ts";

export interface EditTypesOptions {
  /** Tree-edit-distance work budget (forest-DP cells); replaces Python's 5 s timeout. */
  budget?: number;
}

export interface EditTypesResult {
  /** "ok", or "error:<PythonExceptionName>" where mwedittypes 1.2.1 raises. */
  status: string;
  /** The `get_diff()` count dict ({} on error). */
  actions: Actions;
  /** `tree_diff` after `get_diff()` (null on error). */
  treeDiff: TreeDiff | null;
  /** Diagnostics: size mode, tree-edit work used, whether the budget was exhausted. */
  mode: SizeMode | null;
  work: number;
  budgetExhausted: boolean;
}

/** Map a JS error to the Python exception name mwedittypes would have raised. */
function pythonName(e: unknown): string {
  if (e instanceof PythonError) return e.pyName;
  if (e instanceof RangeError) return "RecursionError";
  return "Exception";
}

/** Parses are pure and never mutated here: memoize them for the duration of one diff. */
function memoized(parse: ParseFn): ParseFn {
  const memo = new Map<string, ReturnType<ParseFn>>();
  return (text) => {
    let code = memo.get(text);
    if (code === undefined) {
      code = parse(text);
      memo.set(text, code);
    }
    return code;
  };
}

export function computeEditTypes(
  prev: string,
  curr: string,
  lang: string,
  rawParse: ParseFn,
  options: EditTypesOptions = {},
): EditTypesResult {
  const parse = memoized(rawParse);
  let mode: SizeMode | null = null;
  let work = 0;
  let budgetExhausted = false;
  try {
    const t1 = buildTree(prev, lang, parse);
    const t2 = buildTree(curr, lang, parse);
    mode = pruneTrees(t1, t2, parse);
    const n1 = postOrder(t1.root);
    const n2 = postOrder(t2.root);
    n1.forEach((n, i) => (n.idx = i));
    n2.forEach((n, i) => (n.idx = i));
    const ted = treeEditTransactions(n1, n2, options.budget ?? DEFAULT_TED_BUDGET);
    work = ted.work;
    budgetExhausted = ted.transactions === null;
    const nodes = correspondingNodes(ted.transactions, n1, n2);
    const treeDiff = postProcess(nodes, t1.secnameToText, t2.secnameToText, lang, parse);
    if (!prev) treeDiff["prev-no-content"] = true;
    const actions = countDiff(treeDiff, lang, parse);
    return { status: "ok", actions, treeDiff, mode, work, budgetExhausted };
  } catch (e) {
    return { status: `error:${pythonName(e)}`, actions: {}, treeDiff: null, mode, work, budgetExhausted };
  }
}
