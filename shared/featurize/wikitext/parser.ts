/**
 * Wikitext parser reproducing mwparserfromhell 0.6.4's parse trees (see docs/parser.md).
 *
 * Design: a single-pass recursive-descent scanner with explicit "routes". A route is a frame on a
 * stack holding the items (nodes and separator markers) parsed so far plus a pending text buffer.
 * When a construct turns out to be malformed, its route is abandoned ("bad route"): the frames it
 * pushed are discarded, the position is reset and the opening markup is emitted as plain text.
 * Failed (position, context) pairs are remembered so that no route is retried, which keeps the
 * parser linear-ish. Node `str` values are slices of the input, so the round trip is exact.
 */
import { HTML4_ENTITIES } from "./entities.ts";
import type {
  ArgumentNode,
  ExternalLinkNode,
  HeadingNode,
  Node,
  TagAttribute,
  TagNode,
  TemplateNode,
  TemplateParam,
  TextNode,
  Wikicode,
  WikilinkNode,
} from "./nodes.ts";

// ---------------------------------------------------------------------------------------------
// Route contexts (bit flags; all fit in an int32).
const C_TPL_NAME = 1 << 0;
const C_TPL_KEY = 1 << 1;
const C_TPL_VALUE = 1 << 2;
const C_ARG_NAME = 1 << 3;
const C_ARG_DEFAULT = 1 << 4;
const C_WL_TITLE = 1 << 5;
const C_WL_TEXT = 1 << 6;
const C_EXT_URI = 1 << 7;
const C_EXT_TITLE = 1 << 8;
const C_HEADING = 1 << 9;
const C_TAG_OPEN = 1 << 10;
const C_TAG_ATTR = 1 << 11;
const C_TAG_BODY = 1 << 12;
const C_TAG_CLOSE = 1 << 13;
const C_ITALICS = 1 << 14;
const C_BOLD = 1 << 15;
const C_PASS_AGAIN = 1 << 16;
const C_SECOND_PASS = 1 << 17;
const C_DL_TERM = 1 << 18;
const C_TABLE = 1 << 19;
const C_CELL_OPEN = 1 << 20;
const C_CELL_STYLE = 1 << 21;
const C_ROW_OPEN = 1 << 22;
const C_TD_LINE = 1 << 23;
const C_TH_LINE = 1 << 24;
// safety-check state flags
const S_HAS_TEXT = 1 << 25;
const S_FAIL_ON_TEXT = 1 << 26;
const S_FAIL_NEXT = 1 << 27;
const S_FAIL_ON_LBRACE = 1 << 28;
const S_FAIL_ON_RBRACE = 1 << 29;
const S_FAIL_ON_EQUALS = 1 << 30;
const S_HAS_TEMPLATE = 1 << 31;

const C_TEMPLATE = C_TPL_NAME | C_TPL_KEY | C_TPL_VALUE;
const C_ARGUMENT = C_ARG_NAME | C_ARG_DEFAULT;
const C_WIKILINK = C_WL_TITLE | C_WL_TEXT;
const C_EXT_LINK = C_EXT_URI | C_EXT_TITLE;
const C_TAG = C_TAG_OPEN | C_TAG_ATTR | C_TAG_BODY | C_TAG_CLOSE;
const C_STYLE = C_ITALICS | C_BOLD | C_PASS_AGAIN | C_SECOND_PASS;
const C_CELL_LINE = C_TD_LINE | C_TH_LINE | C_CELL_STYLE;
const C_FAIL_AT_END =
  C_TEMPLATE | C_ARGUMENT | C_WIKILINK | C_EXT_TITLE | C_HEADING | C_TAG | C_STYLE | C_TABLE;
const C_UNSAFE = C_TPL_NAME | C_WL_TITLE | C_EXT_TITLE | C_TPL_KEY | C_ARG_NAME | C_TAG_CLOSE;
const C_DOUBLE = C_TPL_KEY | C_TAG_CLOSE | C_ROW_OPEN;
const C_NO_WIKILINKS = C_TPL_NAME | C_ARG_NAME | C_WL_TITLE | C_EXT_URI;
const C_NO_EXT_LINKS = C_TPL_NAME | C_ARG_NAME | C_WL_TITLE | C_EXT_LINK;

/** Maximum route nesting depth (mwparserfromhell 0.6.4). */
export const MAX_DEPTH = 40;

const MARKERS = new Set([
  "{",
  "}",
  "[",
  "]",
  "<",
  ">",
  "|",
  "=",
  "&",
  "'",
  '"',
  "#",
  "*",
  ";",
  ":",
  "/",
  "-",
  "!",
  "\n",
]);

/** Tags whose contents are kept as raw text. */
const RAW_TAGS = new Set([
  "categorytree",
  "ce",
  "chem",
  "gallery",
  "graph",
  "hiero",
  "imagemap",
  "inputbox",
  "math",
  "nowiki",
  "pre",
  "score",
  "section",
  "source",
  "syntaxhighlight",
  "templatedata",
  "timeline",
]);
/** Tags that never have contents. */
const SINGLE_ONLY = new Set(["br", "wbr", "hr", "meta", "link", "img"]);
/** Tags that may be left unclosed. */
const SINGLE = new Set(["br", "wbr", "hr", "meta", "link", "img", "li", "dt", "dd", "th", "td", "tr"]);

/** URI schemes → whether "//" must follow the colon. */
const URI_SCHEMES = new Map<string, boolean>([
  ["bitcoin", false],
  ["ftp", true],
  ["ftps", true],
  ["geo", false],
  ["git", true],
  ["gopher", true],
  ["http", true],
  ["https", true],
  ["irc", true],
  ["ircs", true],
  ["magnet", false],
  ["mailto", false],
  ["mms", true],
  ["news", false],
  ["nntp", true],
  ["redis", true],
  ["sftp", true],
  ["sip", false],
  ["sips", false],
  ["sms", false],
  ["ssh", true],
  ["svn", true],
  ["tel", false],
  ["telnet", true],
  ["urn", false],
  ["worldwind", true],
  ["xmpp", false],
]);

// Python str.isspace(): the 29 whitespace characters of Python 3.11 (no U+FEFF, unlike JS \s).
const PY_SPACES = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
    0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  ].map((c) => String.fromCharCode(c)),
);
export function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && PY_SPACES.has(ch);
}
/** Python's str.rstrip(). */
function pyRstrip(text: string): string {
  let k = text.length;
  while (k > 0 && PY_SPACES.has(text[k - 1])) k--;
  return text.slice(0, k);
}

/** Python's `\w` on str. */
const WORD_RE = /^[\p{L}\p{N}_]$/u;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}
function isAsciiAlnum(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

// ---------------------------------------------------------------------------------------------
// Frames and items.

interface Marker {
  type: "Marker";
  kind: "sep" | "eq" | "extsep";
}
type Item = Node | Marker;

interface Frame {
  ctx: number;
  items: Item[];
  buf: string;
  /** position and context at push time (memo key of a failed route) */
  pos0: number;
  ctx0: number;
  /** heading level of a heading route */
  level: number;
  /** tag routes: the tag name, and (set on close) the closing tag text */
  tagName?: string;
  /** heading routes: the last run of "=" seen (the candidate end of the heading) */
  hEnd?: { pos: number; itemsLen: number; buf: string; level: number; extra: number };
  /** virtual nesting depth (see handleHeadingEnd) */
  vdepth: number;
  closing?: string;
  singleEnd?: boolean;
}

class BadRoute {
  ctx: number;
  constructor(ctx: number) {
    this.ctx = ctx;
  }
}

function textNode(str: string): TextNode {
  return { type: "Text", str };
}

function asNodes(items: Item[]): Wikicode {
  const out: Wikicode = [];
  for (const it of items) if (it.type !== "Marker") out.push(it);
  return out;
}

function makeTag(
  str: string,
  name: string,
  contents: Wikicode,
  attributes: TagAttribute[],
  wikiMarkup: string | null,
  opts: { selfClosing?: boolean; implicit?: boolean; invalid?: boolean; closing?: Wikicode | null } = {},
): TagNode {
  return {
    type: "Tag",
    str,
    tag: [textNode(name)],
    contents,
    attributes,
    wiki_markup: wikiMarkup,
    self_closing: opts.selfClosing ?? false,
    implicit: opts.implicit ?? false,
    invalid: opts.invalid ?? false,
    closing_tag: opts.closing ?? [textNode(name)],
  };
}

// ---------------------------------------------------------------------------------------------

class Parser {
  private readonly s: string;
  private readonly n: number;
  private pos = 0;
  private stack: Frame[] = [];
  private top!: Frame;
  private inHeading = false;
  private readonly bad = new Map<number, Set<number>>();
  private lastCtx = 0;
  private vdepth = 0;
  private headingLevel = 0;
  /** smallest position from which no "-->" follows (comment scan cache) */
  private noCommentEndFrom = Infinity;

  // Fast-fail guards: a construct whose closing markup occurs nowhere after it cannot succeed.
  // They only skip work that would end in a bad route anyway.
  private readonly lastClose2: number;
  private readonly lastClose3: number;
  private readonly lastLinkClose: number;
  private readonly lastTableClose: number;
  private readonly lastGt: number;
  private lowerText: string | null = null;
  private readonly closeTagCache = new Map<string, { from: number; found: number }>();

  constructor(text: string) {
    this.s = text;
    this.n = text.length;
    this.lastClose2 = text.lastIndexOf("}}");
    this.lastClose3 = text.lastIndexOf("}}}");
    this.lastLinkClose = text.lastIndexOf("]]");
    this.lastTableClose = text.lastIndexOf("|}");
    this.lastGt = text.lastIndexOf(">");
  }

  /** Whether "</name" (case-insensitive) may occur at or after `from` (false: it surely does not). */
  private hasCloseTag(lowerName: string, from: number): boolean {
    // Only ASCII names, and only texts without the non-ASCII letters that lower-case to ASCII.
    if (this.lowerText === null) {
      this.lowerText = /[\u0130\u212a]/.test(this.s) ? "" : this.s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
    }
    if (this.lowerText === "" || !isAscii(lowerName)) return true;
    const c = this.closeTagCache.get(lowerName);
    if (c !== undefined) {
      if (from >= c.from) {
        if (c.found < 0) return false;
        if (c.found >= from) return true;
      } else if (c.found >= 0) return true;
    }
    const found = this.lowerText.indexOf("</" + lowerName, from);
    this.closeTagCache.set(lowerName, { from, found });
    return found >= 0;
  }

  parse(): Wikicode {
    this.push(0);
    const items = this.loop();
    return asNodes(items);
  }

  // --- stack primitives -------------------------------------------------------------------

  private push(ctx: number, level = 0): void {
    const set = this.bad.get(this.pos);
    if (set !== undefined && set.has(ctx)) throw new BadRoute(ctx);
    const f: Frame = { ctx, items: [], buf: "", pos0: this.pos, ctx0: ctx, level, vdepth: 0 };
    this.stack.push(f);
    this.top = f;
  }

  private flush(f: Frame): void {
    if (f.buf !== "") {
      f.items.push(textNode(f.buf));
      f.buf = "";
    }
  }

  private pop(): Item[] {
    const f = this.stack.pop()!;
    this.flush(f);
    this.lastCtx = f.ctx;
    this.vdepth -= f.vdepth;
    this.top = this.stack[this.stack.length - 1];
    return f.items;
  }

  private memoize(f: Frame): void {
    let set = this.bad.get(f.pos0);
    if (set === undefined) {
      set = new Set();
      this.bad.set(f.pos0, set);
    }
    set.add(f.ctx0);
  }

  private fail(): never {
    const f = this.top;
    this.memoize(f);
    const ctx = f.ctx;
    this.pop();
    throw new BadRoute(ctx);
  }

  /** Discard frames above `depth` after a failed route. */
  private unwind(depth: number): void {
    while (this.stack.length > depth) {
      this.memoize(this.top);
      this.pop();
    }
  }

  private canRecurse(): boolean {
    return this.stack.length + this.vdepth < MAX_DEPTH;
  }

  private emitText(t: string): void {
    this.top.buf += t;
  }

  private emit(item: Item): void {
    const f = this.top;
    this.flush(f);
    f.items.push(item);
  }

  private emitAll(items: Item[]): void {
    if (items.length === 0) return;
    const f = this.top;
    let i = 0;
    const first = items[0];
    if (first.type === "Text") {
      f.buf += first.str;
      i = 1;
    }
    if (i < items.length) {
      this.flush(f);
      for (; i < items.length; i++) f.items.push(items[i]);
    }
  }

  private route(ctx: number, level = 0): Item[] {
    this.push(ctx, level);
    return this.loop();
  }

  private atLineStart(p: number): boolean {
    return p === 0 || this.s[p - 1] === "\n";
  }

  // --- safety checks ----------------------------------------------------------------------

  private verifySafe(ch: string | undefined): boolean {
    const f = this.top;
    const ctx = f.ctx;
    if (ctx & S_FAIL_NEXT) return false;
    if (ctx & C_WL_TITLE) {
      if (ch === "]" || ch === "{") f.ctx |= S_FAIL_NEXT;
      else if (ch === "\n" || ch === "[" || ch === "}" || ch === ">") return false;
      else if (ch === "<") {
        if (this.s[this.pos + 1] === "!") f.ctx |= S_FAIL_NEXT;
        else return false;
      }
      return true;
    }
    if (ctx & C_EXT_TITLE) return ch !== "\n";
    if (ctx & C_TPL_NAME) {
      if (ch === "{") {
        f.ctx |= S_HAS_TEMPLATE | S_FAIL_NEXT;
        return true;
      }
      if (ch === "}" || (ch === "<" && this.s[this.pos + 1] === "!")) {
        f.ctx |= S_FAIL_NEXT;
        return true;
      }
      if (ch === "[" || ch === "]" || ch === "<" || ch === ">") return false;
      if (ch === "|") return true;
      if (ctx & S_HAS_TEXT) {
        if (ctx & S_FAIL_ON_TEXT) {
          if (ch === undefined || !isSpace(ch)) return false;
        } else if (ch === "\n") f.ctx |= S_FAIL_ON_TEXT;
      } else if (ch === undefined || !isSpace(ch)) f.ctx |= S_HAS_TEXT;
      return true;
    }
    if (ctx & S_FAIL_ON_EQUALS) {
      if (ch === "=") return false;
    } else if (ctx & S_FAIL_ON_LBRACE) {
      if (ch === "{" || (this.s[this.pos - 1] === "{" && this.s[this.pos - 2] === "{")) {
        if (ctx & C_TEMPLATE) f.ctx |= S_FAIL_ON_EQUALS;
        else f.ctx |= S_FAIL_NEXT;
        return true;
      }
      f.ctx &= ~S_FAIL_ON_LBRACE;
    } else if (ctx & S_FAIL_ON_RBRACE) {
      if (ch === "}") {
        f.ctx |= S_FAIL_NEXT;
        return true;
      }
      f.ctx &= ~S_FAIL_ON_RBRACE;
    } else if (ch === "{") f.ctx |= S_FAIL_ON_LBRACE;
    else if (ch === "}") f.ctx |= S_FAIL_ON_RBRACE;
    return true;
  }

  // --- main loop --------------------------------------------------------------------------

  private loop(): Item[] {
    const s = this.s;
    for (;;) {
      const ctx = this.top.ctx;
      const ch = s[this.pos] as string | undefined;
      if (ctx & C_UNSAFE) {
        if (!this.verifySafe(ch)) {
          if (ctx & C_DOUBLE) this.pop();
          this.fail();
        }
      } else if (ch !== undefined && !MARKERS.has(ch)) {
        // fast path: a run of plain characters
        let p = this.pos + 1;
        while (p < this.n && !MARKERS.has(s[p])) p++;
        this.top.buf += s.slice(this.pos, p);
        this.pos = p;
        continue;
      }
      if (ch === undefined) return this.handleEnd();
      if (!MARKERS.has(ch)) {
        this.top.buf += ch;
        this.pos++;
        continue;
      }
      const next = s[this.pos + 1];
      if (ch === "{" && next === "{") {
        if (this.canRecurse()) this.parseTemplateOrArgument();
        else {
          this.emitText("{");
          this.pos++;
        }
      } else if (ch === "|" && ctx & C_TEMPLATE) {
        this.handleTemplateParam();
      } else if (ch === "=" && ctx & C_TPL_KEY) {
        if (!this.inHeading && this.atLineStart(this.pos) && next === "=") this.parseHeading();
        else this.handleTemplateParamValue();
      } else if (ch === "}" && next === "}" && ctx & C_TEMPLATE) {
        return this.handleTemplateEnd();
      } else if (ch === "|" && ctx & C_ARG_NAME) {
        this.top.ctx = (ctx & ~C_ARG_NAME) | C_ARG_DEFAULT;
        this.emit({ type: "Marker", kind: "sep" });
        this.pos++;
      } else if (ch === "}" && next === "}" && ctx & C_ARGUMENT) {
        if (s[this.pos + 2] === "}") {
          this.pos += 3;
          return this.pop();
        }
        this.emitText("}");
        this.pos++;
      } else if (ch === "[" && next === "[" && this.canRecurse()) {
        if (!(ctx & C_NO_WIKILINKS)) this.parseWikilink();
        else {
          this.emitText("[");
          this.pos++;
        }
      } else if (ch === "|" && ctx & C_WL_TITLE) {
        this.top.ctx = (ctx & ~C_WL_TITLE) | C_WL_TEXT;
        this.emit({ type: "Marker", kind: "sep" });
        this.pos++;
      } else if (ch === "]" && next === "]" && ctx & C_WIKILINK) {
        this.pos += 2;
        return this.pop();
      } else if (ch === "[") {
        this.parseExternalLink(true);
      } else if (ch === ":" && this.pos > 0 && !MARKERS.has(s[this.pos - 1])) {
        this.parseExternalLink(false);
      } else if (ch === "]" && ctx & C_EXT_TITLE) {
        this.pos++;
        return this.pop();
      } else if (ch === "=" && !this.inHeading && !(ctx & C_TEMPLATE)) {
        if (this.atLineStart(this.pos)) this.parseHeading();
        else {
          this.emitText("=");
          this.pos++;
        }
      } else if (ch === "=" && ctx & C_HEADING) {
        this.handleHeadingEnd();
      } else if (ch === "\n" && ctx & C_HEADING) {
        return this.headingLineEnd();
      } else if (ch === "&") {
        this.parseEntity();
      } else if (ch === "<" && next === "!") {
        if (s[this.pos + 2] === "-" && s[this.pos + 3] === "-") this.parseComment();
        else {
          this.emitText("<");
          this.pos++;
        }
      } else if (ch === "<" && next === "/" && this.pos + 2 < this.n) {
        if (ctx & C_TAG_BODY) this.handleTagOpenClose();
        else this.handleInvalidTagStart();
      } else if (ch === "<" && !(ctx & C_TAG_CLOSE)) {
        if (this.canRecurse()) this.parseTag();
        else {
          this.emitText("<");
          this.pos++;
        }
      } else if (ch === ">" && ctx & C_TAG_CLOSE) {
        return this.handleTagCloseClose();
      } else if (ch === "'" && next === "'") {
        const r = this.parseStyle();
        if (r !== null) return r;
      } else if (this.atLineStart(this.pos) && (ch === "#" || ch === "*" || ch === ";" || ch === ":")) {
        this.handleList();
      } else if (
        this.atLineStart(this.pos) &&
        ch === "-" &&
        next === "-" &&
        s[this.pos + 2] === "-" &&
        s[this.pos + 3] === "-"
      ) {
        this.handleHr();
      } else if ((ch === "\n" || ch === ":") && ctx & C_DL_TERM) {
        this.handleDlTerm();
        if (ch === "\n") this.top.ctx &= ~C_CELL_LINE;
      } else if (ch === "{" && next === "|" && this.tableLineStart()) {
        if (this.canRecurse()) this.parseTable();
        else {
          this.emitText("{");
          this.pos++;
        }
      } else if (ctx & C_TABLE) {
        const r = this.handleTableChar(ch, next, ctx);
        if (r !== null) return r;
      } else {
        this.emitText(ch);
        this.pos++;
      }
    }
  }

  /** At a line start, or after a run of whitespace that follows a line start. */
  private tableLineStart(): boolean {
    let p = this.pos;
    while (p > 0 && this.s[p - 1] !== "\n" && isSpace(this.s[p - 1])) p--;
    return this.atLineStart(p);
  }

  private handleEnd(): Item[] {
    const ctx = this.top.ctx;
    if (ctx & C_HEADING) return this.headingLineEnd();
    if (ctx & C_FAIL_AT_END) {
      if (ctx & C_TAG_BODY && this.top.tagName !== undefined && SINGLE.has(this.top.tagName.toLowerCase())) {
        return this.handleSingleTagEnd();
      }
      if (ctx & C_CELL_OPEN) this.pop();
      if (ctx & C_DOUBLE) this.pop();
      this.fail();
    }
    return this.pop();
  }

  // --- templates and arguments ------------------------------------------------------------

  private parseTemplateOrArgument(): void {
    const start = this.pos;
    let p = start;
    while (this.s[p] === "{") p++;
    let braces = p - start;
    this.pos = p;
    this.push(0);
    let hasContent = false;
    let consumed = 0;
    const end = (text: string): void => {
      const items = this.pop();
      this.emitText(text);
      this.emitAll(items);
    };
    while (braces > 0) {
      if (braces === 1) return end("{");
      if (braces === 2) {
        try {
          this.parseTemplate(hasContent, p - consumed - 2);
        } catch (e) {
          if (!(e instanceof BadRoute)) throw e;
          return end("{{");
        }
        break;
      }
      try {
        this.parseArgument(p - consumed - 3);
        braces -= 3;
        consumed += 3;
      } catch (e) {
        if (!(e instanceof BadRoute)) throw e;
        try {
          this.parseTemplate(hasContent, p - consumed - 2);
          braces -= 2;
          consumed += 2;
        } catch (e2) {
          if (!(e2 instanceof BadRoute)) throw e2;
          return end("{".repeat(braces));
        }
      }
      if (braces > 0) hasContent = true;
    }
    this.emitAll(this.pop());
    this.top.ctx &= ~S_FAIL_NEXT;
  }

  /** Parse a template whose name starts at the current position; wrap it (with any earlier
   *  content of the brace frame) into a Template node kept in the brace frame. */
  private parseTemplate(hasContent: boolean, start: number): void {
    if (this.pos > this.lastClose2) throw new BadRoute(0);
    const reset = this.pos;
    const depth = this.stack.length;
    let items: Item[];
    try {
      items = this.route(C_TPL_NAME | (hasContent ? S_HAS_TEMPLATE : 0));
    } catch (e) {
      if (e instanceof BadRoute) {
        this.unwind(depth);
        this.pos = reset;
      }
      throw e;
    }
    const f = this.top;
    this.flush(f);
    const all = f.items.concat(items);
    f.items = [buildTemplate(all, this.s.slice(start, this.pos))];
  }

  private parseArgument(start: number): void {
    if (this.pos > this.lastClose3) throw new BadRoute(0);
    const reset = this.pos;
    const depth = this.stack.length;
    let items: Item[];
    try {
      items = this.route(C_ARG_NAME);
    } catch (e) {
      if (e instanceof BadRoute) {
        this.unwind(depth);
        this.pos = reset;
      }
      throw e;
    }
    const f = this.top;
    this.flush(f);
    const all = f.items.concat(items);
    const sep = all.findIndex((it) => it.type === "Marker");
    const node: ArgumentNode = {
      type: "Argument",
      str: this.s.slice(start, this.pos),
      name: asNodes(sep < 0 ? all : all.slice(0, sep)),
      default: sep < 0 ? null : asNodes(all.slice(sep + 1)),
    };
    f.items = [node];
  }

  private handleTemplateParam(): void {
    const ctx = this.top.ctx;
    if (ctx & C_TPL_NAME) {
      if (!(ctx & (S_HAS_TEXT | S_HAS_TEMPLATE))) this.fail();
      this.top.ctx &= ~C_TPL_NAME;
    } else if (ctx & C_TPL_VALUE) {
      this.top.ctx &= ~C_TPL_VALUE;
    } else {
      this.emitAll(this.pop());
    }
    this.top.ctx |= C_TPL_KEY;
    this.emit({ type: "Marker", kind: "sep" });
    this.push(this.top.ctx);
    this.pos++;
  }

  private handleTemplateParamValue(): void {
    this.emitAll(this.pop());
    this.top.ctx = (this.top.ctx & ~C_TPL_KEY) | C_TPL_VALUE;
    this.emit({ type: "Marker", kind: "eq" });
    this.pos++;
  }

  private handleTemplateEnd(): Item[] {
    const ctx = this.top.ctx;
    if (ctx & C_TPL_NAME) {
      if (!(ctx & (S_HAS_TEXT | S_HAS_TEMPLATE))) this.fail();
    } else if (ctx & C_TPL_KEY) {
      this.emitAll(this.pop());
    }
    this.pos += 2;
    return this.pop();
  }

  // --- wikilinks and external links -------------------------------------------------------

  private parseWikilink(): void {
    const start = this.pos;
    const depth = this.stack.length;
    this.pos = start + 2;
    // "[[http://…]]" is "[" + an external link + "]"
    let ext: { node: ExternalLinkNode; tail: string } | null = null;
    try {
      ext = this.reallyParseExternalLink(true, start + 1);
    } catch (e) {
      if (!(e instanceof BadRoute)) throw e;
      this.unwind(depth);
    }
    if (ext !== null) {
      if (this.top.ctx & C_EXT_TITLE) {
        this.pos = start + 2;
        this.emitText("[[");
        return;
      }
      this.emitText("[");
      this.emit(ext.node);
      this.emitText(ext.tail);
      return;
    }
    this.pos = start + 2;
    let items: Item[];
    try {
      if (this.pos > this.lastLinkClose) throw new BadRoute(0);
      items = this.route(C_WL_TITLE);
    } catch (e) {
      if (!(e instanceof BadRoute)) throw e;
      this.unwind(depth);
      this.pos = start + 2;
      this.emitText("[[");
      return;
    }
    const sep = items.findIndex((it) => it.type === "Marker");
    const node: WikilinkNode = {
      type: "Wikilink",
      str: this.s.slice(start, this.pos),
      title: asNodes(sep < 0 ? items : items.slice(0, sep)),
      text: sep < 0 ? null : asNodes(items.slice(sep + 1)),
    };
    this.emit(node);
  }

  private parseExternalLink(brackets: boolean): void {
    const start = this.pos;
    const ctx = this.top.ctx;
    if (ctx & C_NO_EXT_LINKS || !this.canRecurse()) {
      if (!brackets && ctx & C_DL_TERM) this.handleDlTerm();
      else {
        this.emitText(this.s[start]);
        this.pos++;
      }
      return;
    }
    const depth = this.stack.length;
    let res: { node: ExternalLinkNode; tail: string };
    try {
      if (brackets) this.pos = start + 1;
      res = this.reallyParseExternalLink(brackets, start);
    } catch (e) {
      if (!(e instanceof BadRoute)) throw e;
      this.unwind(depth);
      this.pos = start;
      if (!brackets && ctx & C_DL_TERM) this.handleDlTerm();
      else {
        this.emitText(this.s[start]);
        this.pos++;
      }
      return;
    }
    this.emit(res.node);
    this.emitText(res.tail);
  }

  /** Free-link end test; it looks at the context of the route the link sits in. */
  private isFreeLinkEnd(ch: string | undefined, next: string | undefined, outer: number): boolean {
    if (ch === undefined || ch === "\n" || ch === "[" || ch === "]" || ch === "<" || ch === ">" || ch === '"')
      return true;
    if (isSpace(ch)) return true;
    if (ch === "'" && next === "'") return true;
    if (ch === "|" && outer & C_TEMPLATE) return true;
    if (ch === "=" && outer & (C_TPL_KEY | C_HEADING)) return true;
    if (ch === "}" && next === "}" && outer & (C_TEMPLATE | C_ARGUMENT)) return true;
    return false;
  }

  /**
   * Parse an external link. Bracketed: `open` is the position of "[" and the current position is
   * just after it. Free: the current position is the ":" and the scheme is at the end of the text
   * buffer. Returns the items to emit (the link node, then any trailing punctuation text).
   */
  private reallyParseExternalLink(brackets: boolean, open: number): { node: ExternalLinkNode; tail: string } {
    const s = this.s;
    const outer = this.top.ctx;
    let linkStart: number;
    let schemeText: string;
    let schemeLen = 0;
    this.push(C_EXT_URI);
    if (brackets) {
      linkStart = open;
      if (s[this.pos] === "/" && s[this.pos + 1] === "/") {
        schemeText = "//";
        this.pos += 2;
      } else {
        let p = this.pos;
        while (p < this.n && /[A-Za-z0-9+.-]/.test(s[p])) p++;
        const scheme = s.slice(this.pos, p);
        if (s[p] !== ":" || !URI_SCHEMES.has(scheme.toLowerCase())) this.fail();
        const slashes = URI_SCHEMES.get(scheme.toLowerCase())!;
        p++;
        if (slashes) {
          if (s[p] !== "/" || s[p + 1] !== "/") this.fail();
          p += 2;
        }
        schemeText = s.slice(this.pos, p);
        this.pos = p;
      }
    } else {
      // the scheme is the run of word characters just before the colon (already in the text
      // buffer); it must consist of ASCII letters and digits only
      const buf = this.stack[this.stack.length - 2].buf;
      let i = buf.length;
      while (i > 0) {
        const lowSurrogate =
          i >= 2 && /[\udc00-\udfff]/.test(buf[i - 1]) && /[\ud800-\udbff]/.test(buf[i - 2]);
        const ch = lowSurrogate ? buf.slice(i - 2, i) : buf[i - 1];
        if (!WORD_RE.test(ch)) break;
        i -= ch.length;
      }
      const scheme = buf.slice(i);
      if (scheme === "" || !/^[A-Za-z0-9]+$/.test(scheme)) this.fail();
      const lower = scheme.toLowerCase();
      if (!URI_SCHEMES.has(lower)) this.fail();
      let p = this.pos + 1;
      if (URI_SCHEMES.get(lower)!) {
        if (s[p] !== "/" || s[p + 1] !== "/") this.fail();
        p += 2;
      }
      schemeText = scheme + s.slice(this.pos, p);
      schemeLen = scheme.length;
      linkStart = this.pos - scheme.length;
      this.pos = p;
    }
    this.emitText(schemeText);
    let hasBody = false;
    let titleItems: Item[] | null = null;
    for (;;) {
      const ch = s[this.pos] as string | undefined;
      const next = s[this.pos + 1];
      if (ch === "&") {
        hasBody = true;
        this.parseEntity();
      } else if (ch === "<" && next === "!" && s[this.pos + 2] === "-" && s[this.pos + 3] === "-") {
        hasBody = true;
        this.parseComment();
      } else if (!brackets && this.isFreeLinkEnd(ch, next, outer)) {
        break;
      } else if (ch === undefined || ch === "\n") {
        this.fail();
      } else if (ch === "{" && next === "{" && this.canRecurse()) {
        hasBody = true;
        this.parseTemplateOrArgument();
      } else if (brackets && ch === "]") {
        if (!hasBody) this.fail();
        this.pos++;
        break;
      } else if (brackets && isSpace(ch)) {
        if (!hasBody) this.fail();
        this.emit({ type: "Marker", kind: "extsep" });
        this.pos++;
        this.top.ctx = C_EXT_TITLE;
        titleItems = this.loop();
        break;
      } else if (
        brackets &&
        (ch === "[" || ch === '"' || ch === "<" || ch === ">" || (ch === "'" && next === "'"))
      ) {
        if (!hasBody) this.fail();
        this.emit({ type: "Marker", kind: "extsep" });
        this.top.ctx = C_EXT_TITLE;
        titleItems = this.loop();
        break;
      } else {
        hasBody = true;
        this.emitText(ch);
        this.pos++;
      }
    }
    let items: Item[];
    if (titleItems !== null) items = titleItems;
    else {
      if (!hasBody) this.fail();
      items = this.pop();
    }
    let tail = "";
    if (!brackets) {
      // trailing punctuation is not part of a free link
      const last = items[items.length - 1];
      if (last !== undefined && last.type === "Text") {
        let url = "";
        for (const it of items) if (it.type === "Text") url += it.str;
        const punct = url.includes("(") ? ",;\\.:!?" : ",;\\.:!?)";
        let t = last.str;
        let k = t.length;
        while (k > 0 && punct.includes(t[k - 1])) k--;
        tail = t.slice(k);
        t = t.slice(0, k);
        if (tail !== "") {
          items = items.slice(0, -1);
          if (t !== "") items.push(textNode(t));
          this.pos -= tail.length;
          if (items.length === 0) throw new BadRoute(0);
        }
      }
      this.top.buf = this.top.buf.slice(0, this.top.buf.length - schemeLen);
    }
    const sep = items.findIndex((it) => it.type === "Marker");
    const node: ExternalLinkNode = {
      type: "ExternalLink",
      str: s.slice(linkStart, this.pos),
      url: asNodes(sep < 0 ? items : items.slice(0, sep)),
      title: sep < 0 ? null : asNodes(items.slice(sep + 1)),
      brackets,
    };
    this.pos += tail.length;
    return { node, tail };
  }

  // --- headings ---------------------------------------------------------------------------

  private parseHeading(): void {
    const start = this.pos;
    let p = start;
    while (this.s[p] === "=") p++;
    const best = p - start;
    this.pos = p;
    this.inHeading = true;
    const depth = this.stack.length;
    try {
      let items: Item[];
      try {
        items = this.route(C_HEADING, Math.min(best, 6));
      } catch (e) {
        if (!(e instanceof BadRoute)) throw e;
        this.unwind(depth);
        this.pos = start + best;
        this.emitText("=".repeat(best));
        return;
      }
      const level = this.headingLevel;
      const title: Item[] = [];
      if (level < best) title.push(textNode("=".repeat(best - level)));
      // merge like a text buffer would
      for (const it of items) {
        const last = title[title.length - 1];
        if (title.length === 1 && last.type === "Text" && it === items[0] && it.type === "Text") {
          title[0] = textNode(last.str + it.str);
        } else title.push(it);
      }
      const node: HeadingNode = {
        type: "Heading",
        str: this.s.slice(start, this.pos),
        level,
        title: asNodes(title),
      };
      this.emit(node);
    } finally {
      this.inHeading = false;
    }
  }

  /**
   * A run of "=" inside a heading. The heading ends at the last run of its line: the run is
   * recorded as the candidate end and parsing goes on as if it were text (mwparserfromhell
   * recurses into a new route per run instead; the recursion depth is kept as virtual depth, so the
   * nesting limit applies the same way).
   */
  private handleHeadingEnd(): void {
    const f = this.top;
    const start = this.pos;
    let p = start;
    while (this.s[p] === "=") p++;
    const best = p - start;
    const level = Math.min(f.level, best, 6);
    f.hEnd = { pos: p, itemsLen: f.items.length, buf: f.buf, level, extra: best - level };
    this.emitText("=".repeat(best));
    f.vdepth++;
    this.vdepth++;
    this.pos = p;
  }

  /** The heading line ended (newline or end of input): close at the last run, or fail. */
  private headingLineEnd(): Item[] {
    const f = this.top;
    const end = f.hEnd;
    if (end === undefined) this.fail();
    f.items.length = end.itemsLen;
    f.buf = end.buf + "=".repeat(end.extra);
    this.pos = end.pos;
    this.headingLevel = end.level;
    return this.pop();
  }

  // --- entities and comments --------------------------------------------------------------

  private parseEntity(): void {
    const s = this.s;
    const start = this.pos;
    let p = start + 1;
    let ok = false;
    let value = "";
    let named = false;
    let hex = false;
    if (s[p] === "#") {
      p++;
      if (s[p] === "x" || s[p] === "X") {
        hex = true;
        p++;
      }
      const q = p;
      while (p < this.n && (hex ? /[0-9a-fA-F]/ : /[0-9]/).test(s[p])) p++;
      if (p > q && s[p] === ";") {
        value = s.slice(q, p);
        const num = parseInt(value, hex ? 16 : 10);
        ok = num >= 1 && num <= 0x10ffff;
      }
    } else {
      const q = p;
      while (p < this.n && isAsciiAlnum(s[p])) p++;
      if (p > q && s[p] === ";") {
        value = s.slice(q, p);
        named = true;
        ok = HTML4_ENTITIES.has(value);
      }
    }
    if (!ok) {
      this.emitText("&");
      this.pos = start + 1;
      return;
    }
    this.pos = p + 1;
    this.emit({
      type: "HTMLEntity",
      str: s.slice(start, this.pos),
      value,
      named,
      hexadecimal: hex,
    });
  }

  private parseComment(): void {
    const start = this.pos;
    let end = -1;
    if (start + 4 < this.noCommentEndFrom) {
      end = this.s.indexOf("-->", start + 4);
      if (end < 0) this.noCommentEndFrom = Math.min(this.noCommentEndFrom, start + 4);
    }
    if (end < 0) {
      this.emitText("<!--");
      this.pos = start + 4;
      return;
    }
    this.pos = end + 3;
    this.emit({
      type: "Comment",
      str: this.s.slice(start, this.pos),
      contents: this.s.slice(start + 4, end),
    });
    this.top.ctx &= ~S_FAIL_NEXT;
  }

  // --- tags -------------------------------------------------------------------------------

  private parseTag(): void {
    const start = this.pos;
    const depth = this.stack.length;
    let items: Item[];
    try {
      items = this.reallyParseTag(start, false);
    } catch (e) {
      if (!(e instanceof BadRoute)) throw e;
      this.unwind(depth);
      this.pos = start + 1;
      this.emitText("<");
      return;
    }
    this.emitAll(items);
  }

  /** `</` outside a tag body: only `</br>`-like single-only tags become (invalid) tags. */
  private handleInvalidTagStart(): void {
    const start = this.pos;
    const s = this.s;
    let p = start + 2;
    while (p < this.n && !MARKERS.has(s[p]) && !isSpace(s[p]) && s[p] !== "'" && s[p] !== "\\") p++;
    const name = s.slice(start + 2, p);
    const depth = this.stack.length;
    if (SINGLE_ONLY.has(name.toLowerCase())) {
      try {
        const items = this.reallyParseTag(start, true);
        this.emitAll(items);
        return;
      } catch (e) {
        if (!(e instanceof BadRoute)) throw e;
        this.unwind(depth);
      }
    }
    this.pos = start + 2;
    this.emitText("</");
  }

  /** Parse a whole tag starting at `start` ("<", or "</" when invalid). */
  private reallyParseTag(start: number, invalid: boolean): Item[] {
    const s = this.s;
    if (start > this.lastGt) throw new BadRoute(0);
    this.pos = start + (invalid ? 2 : 1);
    this.push(C_TAG_OPEN);
    const frame = this.top;
    // tag name
    const nameStart = this.pos;
    let p = nameStart;
    while (p < this.n) {
      const c = s[p];
      if (isSpace(c) || c === ">" || (c === "/" && s[p + 1] === ">")) break;
      if (MARKERS.has(c)) this.fail();
      p++;
    }
    if (p === nameStart || p >= this.n) this.fail();
    const name = s.slice(nameStart, p);
    frame.tagName = name;
    this.pos = p;
    const { attrs, selfClose } = this.parseAttributes(null);
    const lower = name.toLowerCase();
    if (selfClose) {
      this.pop();
      return [makeTag(s.slice(start, this.pos), name, [], attrs, null, { selfClosing: true, invalid })];
    }
    // at ">"
    this.pos++;
    if (SINGLE_ONLY.has(lower)) {
      this.pop();
      return [
        makeTag(s.slice(start, this.pos), name, [], attrs, null, {
          selfClosing: true,
          implicit: true,
          invalid,
        }),
      ];
    }
    const openEnd = this.pos;
    if (!SINGLE.has(lower) && !this.hasCloseTag(lower, openEnd)) this.fail();
    if (RAW_TAGS.has(lower)) {
      // contents are raw text (HTML entities aside) up to the matching closing tag
      frame.ctx = C_TAG_BODY;
      for (;;) {
        const ch = s[this.pos];
        if (ch === undefined) this.fail();
        if (ch === "<" && s[this.pos + 1] === "/") {
          let r = this.pos + 2;
          while (r < this.n && !MARKERS.has(s[r])) r++;
          const chunk = s.slice(this.pos + 2, r);
          if (s[r] === ">" && pyRstrip(chunk).toLowerCase() === lower) {
            this.pos = r + 1;
            const body = this.pop();
            return [
              makeTag(s.slice(start, this.pos), name, asNodes(body), attrs, null, {
                closing: [textNode(chunk)],
              }),
            ];
          }
          this.emitText("</");
          this.pos += 2;
        } else if (ch === "&") {
          this.parseEntity();
        } else {
          let q = this.pos + 1;
          while (q < this.n && s[q] !== "<" && s[q] !== "&") q++;
          this.emitText(s.slice(this.pos, q));
          this.pos = q;
        }
      }
    }
    frame.ctx = C_TAG_BODY;
    const items = this.loop();
    if (frame.singleEnd) {
      const tag = makeTag(s.slice(start, openEnd), name, [], attrs, null, {
        selfClosing: true,
        implicit: true,
        invalid,
      });
      return [tag as Item].concat(items);
    }
    return [
      makeTag(s.slice(start, this.pos), name, asNodes(items), attrs, null, {
        closing: [textNode(frame.closing ?? name)],
        invalid,
      }),
    ];
  }

  private handleSingleTagEnd(): Item[] {
    this.top.singleEnd = true;
    return this.pop();
  }

  private handleTagOpenClose(): void {
    this.pos += 2;
    this.push(C_TAG_CLOSE);
  }

  private handleTagCloseClose(): Item[] {
    const closing = this.pop();
    const body = this.top;
    const first = closing[0];
    if (
      closing.length !== 1 ||
      first.type !== "Text" ||
      pyRstrip(first.str).toLowerCase() !== pyRstrip(body.tagName ?? "").toLowerCase()
    ) {
      this.fail();
    }
    body.closing = first.str;
    this.pos++;
    return this.pop();
  }

  /**
   * Attributes of a tag (term = null: up to ">" or "/>") or of a table element (term = "\n" or
   * "|"). Leaves the position on the terminator.
   */
  private parseAttributes(term: string | null): { attrs: TagAttribute[]; selfClose: boolean } {
    const s = this.s;
    const attrs: TagAttribute[] = [];
    for (;;) {
      while (this.pos < this.n && isSpace(s[this.pos]) && s[this.pos] !== term) this.pos++;
      const ch = s[this.pos];
      if (ch === undefined) this.fail();
      if (term === null) {
        if (ch === ">") return { attrs, selfClose: false };
        if (ch === "/" && s[this.pos + 1] === ">") {
          this.pos += 2;
          return { attrs, selfClose: true };
        }
      } else if (ch === term) return { attrs, selfClose: false };
      attrs.push(this.parseAttribute(term));
    }
  }

  private atAttrExit(term: string | null): boolean {
    const ch = this.s[this.pos];
    if (term === null) return ch === ">" || (ch === "/" && this.s[this.pos + 1] === ">");
    return ch === term;
  }

  private parseAttribute(term: string | null): TagAttribute {
    const s = this.s;
    this.push(C_TAG_ATTR);
    // name
    for (;;) {
      const ch = s[this.pos];
      if (ch === undefined) this.fail();
      if (this.atAttrExit(term) || isSpace(ch) || ch === "=") break;
      this.handleTagText();
    }
    const name = asNodes(this.pop());
    // optional spaces, then "=" or not
    let p = this.pos;
    while (p < this.n && isSpace(s[p]) && s[p] !== term) p++;
    if (s[p] !== "=") {
      this.pos = p;
      return { name, value: null, quotes: null };
    }
    this.pos = p + 1;
    while (this.pos < this.n && isSpace(s[this.pos]) && s[this.pos] !== term) this.pos++;
    const q = s[this.pos];
    if (q === '"' || q === "'") {
      const reset = this.pos;
      const depth = this.stack.length;
      try {
        this.pos++;
        this.push(C_TAG_ATTR);
        // mwparserfromhell keeps an attribute route open under a quoted value's route: count it
        this.top.vdepth = 1;
        this.vdepth++;
        for (;;) {
          const ch = s[this.pos];
          // an unclosed quote (or, in table markup, a quote cut by the terminator) is not a quote
          if (ch === undefined || (term !== null && ch === term)) this.fail();
          if (ch === q && !(s[this.pos - 1] === "\\" && s[this.pos - 2] !== "\\")) {
            this.pos++;
            const after = s[this.pos];
            if (after !== undefined && !isSpace(after) && !this.atAttrExit(term)) this.fail();
            return { name, value: asNodes(this.pop()), quotes: q };
          }
          this.handleTagText();
        }
      } catch (e) {
        if (!(e instanceof BadRoute)) throw e;
        this.unwind(depth);
        this.pos = reset;
      }
    }
    this.push(C_TAG_ATTR);
    for (;;) {
      const ch = s[this.pos];
      if (ch === undefined) this.fail();
      if (this.atAttrExit(term) || isSpace(ch)) break;
      this.handleTagText();
    }
    return { name, value: asNodes(this.pop()), quotes: null };
  }

  private handleTagText(): void {
    const s = this.s;
    const ch = s[this.pos];
    const next = s[this.pos + 1];
    if (!this.canRecurse() || !MARKERS.has(ch)) {
      this.emitText(ch);
      this.pos++;
    } else if (ch === "{" && next === "{") this.parseTemplateOrArgument();
    else if (ch === "[" && next === "[") this.parseWikilink();
    else if (ch === "<") this.parseTag();
    else {
      this.emitText(ch);
      this.pos++;
    }
  }
  // --- bold and italics -------------------------------------------------------------------

  /** Returns the items of the current route when the quotes close it, else null. */
  private parseStyle(): Item[] | null {
    const s = this.s;
    const tickStart = this.pos;
    let p = tickStart;
    while (s[p] === "'") p++;
    let ticks = p - tickStart;
    this.pos = p;
    const ctx = this.top.ctx;
    const italics = (ctx & C_ITALICS) !== 0;
    const bold = (ctx & C_BOLD) !== 0;
    if (ticks > 5) {
      this.emitText("'".repeat(ticks - 5));
      ticks = 5;
    } else if (ticks === 4) {
      this.emitText("'");
      ticks = 3;
    }
    if ((italics && (ticks === 2 || ticks === 5)) || (bold && (ticks === 3 || ticks === 5))) {
      if (ticks === 5) this.pos -= italics ? 3 : 2;
      return this.pop();
    }
    if (!this.canRecurse()) {
      if (ticks === 3) {
        if (ctx & C_SECOND_PASS) {
          this.emitText("'");
          return this.pop();
        }
        if (ctx & C_ITALICS) this.top.ctx |= C_PASS_AGAIN;
      }
      this.emitText("'".repeat(ticks));
    } else if (ticks === 2) {
      this.parseItalics();
    } else if (ticks === 3) {
      if (this.parseBold()) return this.pop();
    } else {
      this.parseItalicsAndBold();
    }
    return null;
  }

  private lastFailCtx = 0;

  private styleRoute(ctx: number): Item[] | null {
    const reset = this.pos;
    const depth = this.stack.length;
    try {
      return this.route(ctx);
    } catch (e) {
      if (!(e instanceof BadRoute)) throw e;
      this.unwind(depth);
      this.pos = reset;
      this.lastFailCtx = e.ctx;
      return null;
    }
  }

  private emitStyle(tag: "i" | "b", start: number, end: number, items: Item[]): void {
    const markup = tag === "i" ? "''" : "'''";
    this.emit(makeTag(this.s.slice(start, end), tag, asNodes(items), [], markup));
  }

  private parseItalics(): void {
    const reset = this.pos;
    let items = this.styleRoute(C_ITALICS);
    if (items === null) {
      if (this.lastFailCtx & C_PASS_AGAIN) items = this.styleRoute(C_ITALICS | C_SECOND_PASS);
      if (items === null) {
        this.emitText("''");
        return;
      }
    }
    this.emitStyle("i", reset - 2, this.pos, items);
  }

  /** Returns true when a failed bold closes the current (second-pass) italics. */
  private parseBold(): boolean {
    const reset = this.pos;
    const items = this.styleRoute(C_BOLD);
    if (items === null) {
      const ctx = this.top.ctx;
      if (ctx & C_SECOND_PASS) {
        this.emitText("'");
        return true;
      }
      if (ctx & C_ITALICS) {
        this.top.ctx |= C_PASS_AGAIN;
        this.emitText("'''");
      } else {
        this.emitText("'");
        this.parseItalics();
      }
      return false;
    }
    this.emitStyle("b", reset - 3, this.pos, items);
    return false;
  }

  private parseItalicsAndBold(): void {
    const reset = this.pos;
    const boldItems = this.styleRoute(C_BOLD);
    if (boldItems === null) {
      const itItems = this.styleRoute(C_ITALICS);
      if (itItems === null) {
        this.emitText("'''''");
        return;
      }
      const reset2 = this.pos;
      const b2 = this.styleRoute(C_BOLD);
      if (b2 === null) {
        this.emitText("'''");
        this.emitStyle("i", reset - 2, reset2, itItems);
        return;
      }
      this.push(0);
      this.emitStyle("i", reset - 2, reset2, itItems);
      this.emitAll(b2);
      this.emitStyle("b", reset - 5, this.pos, this.pop());
      return;
    }
    const reset2 = this.pos;
    const i2 = this.styleRoute(C_ITALICS);
    if (i2 === null) {
      this.emitText("''");
      this.emitStyle("b", reset - 3, reset2, boldItems);
      return;
    }
    this.push(0);
    this.emitStyle("b", reset - 3, reset2, boldItems);
    this.emitAll(i2);
    this.emitStyle("i", reset - 5, this.pos, this.pop());
  }

  // --- lists, rules -----------------------------------------------------------------------

  private emitListMarker(m: string): void {
    const name = m === ";" ? "dt" : m === ":" ? "dd" : "li";
    if (m === ";") this.top.ctx |= C_DL_TERM;
    this.emit(makeTag(m, name, [], [], m, { selfClosing: true }));
  }

  private handleList(): void {
    const s = this.s;
    this.emitListMarker(s[this.pos]);
    this.pos++;
    while (this.pos < this.n && "#*;:".includes(s[this.pos])) {
      this.emitListMarker(s[this.pos]);
      this.pos++;
    }
  }

  private handleHr(): void {
    const start = this.pos;
    let p = start;
    while (this.s[p] === "-") p++;
    this.pos = p;
    const markup = this.s.slice(start, p);
    this.emit(makeTag(markup, "hr", [], [], markup, { selfClosing: true }));
  }

  private handleDlTerm(): void {
    this.top.ctx &= ~C_DL_TERM;
    if (this.s[this.pos] === ":") this.emitListMarker(":");
    else this.emitText("\n");
    this.pos++;
  }
  // --- tables -----------------------------------------------------------------------------

  private parseTable(): void {
    const start = this.pos;
    const depth = this.stack.length;
    this.pos += 2;
    let attrs: TagAttribute[];
    let items: Item[];
    try {
      if (this.pos > this.lastTableClose) throw new BadRoute(0);
      this.push(C_TABLE);
      attrs = this.parseAttributes("\n").attrs;
      this.pop();
      this.pos++;
      items = this.route(C_TABLE);
    } catch (e) {
      if (!(e instanceof BadRoute)) throw e;
      this.unwind(depth);
      this.pos = start + 1;
      this.emitText("{");
      return;
    }
    this.emit(makeTag(this.s.slice(start, this.pos), "table", asNodes(items), attrs, "{|"));
  }

  private handleTableChar(ch: string, next: string | undefined, ctx: number): Item[] | null {
    if (ch === "|" && next === "|" && ctx & C_TD_LINE) {
      if (ctx & C_CELL_OPEN) return this.cellEnd(false);
      this.handleTableCell("||", "td", C_TD_LINE);
    } else if (ch === "|" && next === "|" && ctx & C_TH_LINE) {
      if (ctx & C_CELL_OPEN) return this.cellEnd(false);
      this.handleTableCell("||", "th", C_TH_LINE);
    } else if (ch === "!" && next === "!" && ctx & C_TH_LINE) {
      if (ctx & C_CELL_OPEN) return this.cellEnd(false);
      this.handleTableCell("!!", "th", C_TH_LINE);
    } else if (ch === "|" && ctx & C_CELL_STYLE) {
      return this.cellEnd(true);
    } else if (ch === "\n" && ctx & C_CELL_LINE) {
      this.top.ctx &= ~C_CELL_LINE;
      this.emitText("\n");
      this.pos++;
    } else if (this.tableLineStart()) {
      if (ch === "|" && next === "}") {
        if (ctx & C_CELL_OPEN) return this.cellEnd(false);
        if (ctx & C_ROW_OPEN) return this.pop();
        this.pos += 2;
        return this.pop();
      } else if (ch === "|" && next === "-") {
        if (ctx & C_CELL_OPEN) return this.cellEnd(false);
        if (ctx & C_ROW_OPEN) return this.pop();
        this.handleTableRow();
      } else if (ch === "|") {
        if (ctx & C_CELL_OPEN) return this.cellEnd(false);
        this.handleTableCell("|", "td", C_TD_LINE);
      } else if (ch === "!") {
        if (ctx & C_CELL_OPEN) return this.cellEnd(false);
        this.handleTableCell("!", "th", C_TH_LINE);
      } else {
        this.emitText(ch);
        this.pos++;
      }
    } else {
      this.emitText(ch);
      this.pos++;
    }
    return null;
  }

  private cellEnd(resetForStyle: boolean): Item[] {
    if (resetForStyle) this.top.ctx |= C_CELL_STYLE;
    else this.top.ctx &= ~C_CELL_STYLE;
    return this.pop();
  }

  private handleTableRow(): void {
    const start = this.pos;
    this.pos += 2;
    if (!this.canRecurse()) {
      this.emitText("|-");
      return;
    }
    this.push(C_TABLE | C_ROW_OPEN);
    const attrs = this.parseAttributes("\n").attrs;
    this.pop();
    this.pos++;
    const items = this.route(C_TABLE | C_ROW_OPEN);
    this.emit(makeTag(this.s.slice(start, this.pos), "tr", asNodes(items), attrs, "|-"));
  }

  private handleTableCell(markup: string, tag: string, lineCtx: number): void {
    const start = this.pos;
    this.pos += markup.length;
    const reset = this.pos;
    if (!this.canRecurse()) {
      this.emitText(markup);
      return;
    }
    let items = this.route(C_TABLE | C_CELL_OPEN | lineCtx | C_CELL_STYLE);
    let cellCtx = this.lastCtx;
    let attrs: TagAttribute[] = [];
    if (cellCtx & C_CELL_STYLE) {
      this.pos = reset;
      this.push(C_TABLE | C_CELL_OPEN | lineCtx);
      attrs = this.parseAttributes("|").attrs;
      this.pop();
      this.pos++;
      items = this.route(C_TABLE | C_CELL_OPEN | lineCtx);
      cellCtx = this.lastCtx;
    }
    this.emit(makeTag(this.s.slice(start, this.pos), tag, asNodes(items), attrs, markup));
    this.top.ctx |= cellCtx & (C_TH_LINE | C_TD_LINE);
  }
}

function buildTemplate(items: Item[], str: string): TemplateNode {
  let i = 0;
  const name: Wikicode = [];
  while (i < items.length && items[i].type !== "Marker") name.push(items[i++] as Node);
  const params: TemplateParam[] = [];
  let positional = 0;
  while (i < items.length) {
    i++; // separator
    const key: Wikicode = [];
    let value: Wikicode | null = null;
    for (; i < items.length; i++) {
      const it = items[i];
      if (it.type === "Marker") {
        if (it.kind === "sep") break;
        value = [];
        continue;
      }
      if (value === null) key.push(it);
      else value.push(it);
    }
    if (value === null) {
      positional++;
      params.push({ name: [textNode(String(positional))], value: key, showkey: false });
    } else params.push({ name: key, value, showkey: true });
  }
  return { type: "Template", str, name, params };
}

/**
 * Parse wikitext into mwparserfromhell-0.6.4-shaped nodes. Never throws on string input: should an
 * internal error ever occur (none is known; the fuzz tests check `parseStrict`), the whole text is
 * returned as one Text node, which still round-trips.
 */
export function parse(text: string): Wikicode {
  try {
    return parseStrict(text);
  } catch {
    return text === "" ? [] : [textNode(text)];
  }
}

/** `parse` without the safety net (for tests). */
export function parseStrict(text: string): Wikicode {
  return new Parser(text).parse();
}
