/**
 * Counting the tree diff (mwedittypes 1.2.1 `get_diff_count`): a per-type "is this a real edit"
 * check that re-parses the node texts, text statistics over the joined section texts, and the
 * Section arithmetic.
 */
import type { Node, Wikicode } from "../wikitext/nodes.ts";
import { LIST_TAGS, TABLE_ELEMENT_TAGS, TEXT_FORMATTING_TAGS } from "./data.ts";
import type { TreeDiff } from "./diff.ts";
import { type Actions, parseChangeText } from "./tokenizer.ts";
import { type ParseFn, codeToString } from "./wikicode.ts";

type TagNode = Extract<Node, { type: "Tag" }>;

const tagName = (n: TagNode): string => codeToString(n.tag);
const optStr = (c: Wikicode | null): string | null => (c === null ? null : codeToString(c));

function topLevel<T extends Node["type"]>(code: Wikicode, type: T): Array<Extract<Node, { type: T }>> {
  return code.filter((n) => n.type === type) as Array<Extract<Node, { type: T }>>;
}
const tags = (code: Wikicode, pred: (tag: string) => boolean): TagNode[] =>
  topLevel(code, "Tag").filter((t) => pred(tagName(t)));

/** Python `lst[0]` on a filter result: IndexError when empty (caught by the caller → not counted). */
function first<T>(list: T[]): T {
  if (list.length === 0) throw new Error("IndexError");
  return list[0]!;
}

/** Tag-based types: the matching predicate on the tag name; a change counts when the contents differ. */
function tagPredicate(type: string): ((tag: string) => boolean) | null {
  switch (type) {
    case "Reference":
      return (t) => t === "ref";
    case "Table":
      return (t) => t === "table";
    case "Text Formatting":
      return (t) => TEXT_FORMATTING_TAGS.has(t);
    case "List":
      return (t) => LIST_TAGS.has(t);
    case "Table Element":
      return (t) => TABLE_ELEMENT_TAGS.has(t);
    case "Gallery":
      return (t) => t === "gallery";
    default:
      return type.includes("Tag") ? () => true : null;
  }
}

function templateMap(code: Wikicode): Map<string, string> {
  const t = first(topLevel(code, "Template"));
  const m = new Map<string, string>();
  for (const p of t.params) m.set(codeToString(p.name), codeToString(p.value));
  m.set("template_name", codeToString(t.name));
  return m;
}

function mapsDiffer(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return true;
  for (const [k, v] of a) if (b.get(k) !== v) return true;
  return false;
}

/** Does one side alone (remove / insert / move) count as an edit of this type? */
function presentCheck(type: string, code: Wikicode): boolean {
  switch (type) {
    case "Template":
      return topLevel(code, "Template").length > 0;
    case "Media":
      return true;
    case "Category":
    case "Wikilink":
      return topLevel(code, "Wikilink").length > 0;
    case "Heading":
      return topLevel(code, "Heading").length > 0;
    case "Comment":
      return topLevel(code, "Comment").length > 0;
    default: {
      const pred = tagPredicate(type);
      if (pred) return tags(code, pred).length > 0;
      return true;
    }
  }
}

/** Is a prev → curr change of this type a real edit? */
function changeCheck(type: string, prev: Wikicode, curr: Wikicode): boolean {
  switch (type) {
    case "Template":
      return mapsDiffer(templateMap(prev), templateMap(curr));
    case "Media":
      return true;
    case "Category":
    case "Wikilink": {
      const p = topLevel(prev, "Wikilink");
      const c = topLevel(curr, "Wikilink");
      if (p.length === 0 || c.length === 0) return false;
      return (
        optStr(p[0]!.text) !== optStr(c[0]!.text) || codeToString(p[0]!.title) !== codeToString(c[0]!.title)
      );
    }
    case "Reference": {
      const p = tags(prev, (t) => t === "ref");
      const c = tags(curr, (t) => t === "ref");
      if (p.length === 0 || c.length === 0) return false;
      return p[0]!.str !== c[0]!.str;
    }
    case "Text Formatting": {
      const p = tags(prev, (t) => TEXT_FORMATTING_TAGS.has(t));
      const c = tags(curr, (t) => TEXT_FORMATTING_TAGS.has(t));
      if (p.length === 0 || c.length === 0) return false;
      return tagName(p[0]!) !== tagName(c[0]!);
    }
    case "Heading":
      return (
        codeToString(first(topLevel(prev, "Heading")).title) !==
        codeToString(first(topLevel(curr, "Heading")).title)
      );
    case "Comment":
      return first(topLevel(prev, "Comment")).contents !== first(topLevel(curr, "Comment")).contents;
    default: {
      const pred = tagPredicate(type);
      if (!pred) return true;
      const p = tags(prev, pred);
      const c = tags(curr, pred);
      if (p.length === 0 || c.length === 0) return false;
      return codeToString(p[0]!.contents) !== codeToString(c[0]!.contents);
    }
  }
}

/**
 * `is_change_in_edit_type(type, prev, curr)`: whether the entry counts (mwedittypes 1.2.1's per-type rules).
 * Any exception (e.g. an empty filter result) means "not counted".
 */
export function isRealEdit(type: string, prevText: string, currText: string, parse: ParseFn): boolean {
  try {
    if (prevText !== "" && currText !== "") return changeCheck(type, parse(prevText), parse(currText));
    if (prevText !== "") return presentCheck(type, parse(prevText));
    if (currText !== "") return presentCheck(type, parse(currText));
    // Both empty: only the types without a check count.
    return !TYPES_WITH_CHECK.has(type) && !type.includes("Tag");
  } catch {
    return false;
  }
}

const TYPES_WITH_CHECK = new Set([
  "Template",
  "Media",
  "Category",
  "Wikilink",
  "Reference",
  "Table",
  "Text Formatting",
  "List",
  "Table Element",
  "Gallery",
  "Heading",
  "Comment",
]);

function bump(actions: Actions, type: string, action: string): void {
  const a = actions[type];
  if (a && Object.keys(a).length > 0) a[action] = (a[action] ?? 0) + 1;
  else actions[type] = { [action]: 1 };
}

/** `get_diff_count(tree_diff, lang)`. */
export function countDiff(diff: TreeDiff, lang: string, parse: ParseFn): Actions {
  const actions: Actions = {};
  const sectionTitles = new Set<string>();
  const prevText: string[] = [];
  const currText: string[] = [];
  for (const r of diff.remove) {
    if (r.type === "Text" && r.text) {
      prevText.push(r.text);
      sectionTitles.add(r.section);
    } else if (isRealEdit(r.type, r.text, "", parse)) {
      sectionTitles.add(r.section);
      bump(actions, r.type, "remove");
    }
  }
  for (const i of diff.insert) {
    if (i.type === "Text" && i.text) {
      currText.push(i.text);
      sectionTitles.add(i.section);
    } else if (isRealEdit(i.type, "", i.text, parse)) {
      sectionTitles.add(i.section);
      bump(actions, i.type, "insert");
    }
  }
  for (const c of diff.change) {
    if (c.prev.type !== c.curr.type) continue;
    if (c.prev.type === "Text" && c.prev.text !== c.curr.text) {
      prevText.push(c.prev.text);
      currText.push(c.curr.text);
      sectionTitles.add(c.curr.section);
      sectionTitles.add(c.prev.section);
    } else if (isRealEdit(c.prev.type, c.prev.text, c.curr.text, parse)) {
      sectionTitles.add(c.curr.section);
      sectionTitles.add(c.prev.section);
      bump(actions, c.prev.type, "change");
    }
  }
  for (const m of diff.move) {
    if (isRealEdit(m.prev.type, m.prev.text, "", parse)) {
      sectionTitles.add(m.curr.section);
      sectionTitles.add(m.prev.section);
      bump(actions, m.prev.type, "move");
    }
  }
  if (prevText.length > 0 || currText.length > 0) {
    const stats = parseChangeText(prevText.join(""), currText.join(""), lang);
    for (const [cat, counts] of Object.entries(stats)) actions[cat] = { ...counts };
  }
  if (sectionTitles.size > 0) {
    const sec = (actions.Section ??= {});
    const remove = actions.Heading?.remove ?? 0;
    const insert = (actions.Heading?.insert ?? 0) + (diff["prev-no-content"] ? 1 : 0);
    const change = sectionTitles.size - remove - insert;
    if (remove) sec.remove = remove;
    if (insert) sec.insert = insert;
    if (change) sec.change = change;
  }
  return actions;
}
