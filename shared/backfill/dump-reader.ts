/**
 * Streaming reader of MediaWiki XML dumps (`pages-meta-history`, export format 0.10/0.11): yields one
 * revision at a time, with the text of the revision before it on the same page, so that a backfill
 * can featurize edits without any API call. Memory is bounded by one page header plus two revision
 * texts (the parser keeps no tree, only the current element path and the previous revision's text).
 *
 * Runtime-agnostic: consumes any `AsyncIterable<Uint8Array | string>` (decompress first; see
 * functions/backfill/input.ts for .gz / .bz2 on Node).
 *
 * Positions: every revision carries `pageIndex` (0-based ordinal of its `<page>` in the stream),
 * `revIndex` (0-based ordinal inside the page) and `pageOffset` (decompressed byte offset of its
 * `<page>` start tag). A backfill checkpoints these and resumes either by seeking to `pageOffset`
 * (uncompressed files) or by skipping `pageIndex` pages (compressed streams): see `skipPages`.
 */

export interface DumpContributor {
  username?: string;
  id?: number;
  ip?: string;
  /** `<contributor deleted="deleted" />`. */
  deleted: boolean;
}

export interface DumpPageInfo {
  title: string;
  ns: number;
  id: number;
  /** `<redirect title="…"/>` present. */
  redirect: boolean;
}

export interface DumpRevision {
  id: number;
  /** 0 when absent (page creation). */
  parentId: number;
  timestamp: string;
  contributor: DumpContributor;
  minor: boolean;
  comment?: string;
  commentDeleted: boolean;
  model?: string;
  format?: string;
  /** undefined when the text is deleted (`deleted="deleted"`) or not inline (stub dumps). */
  text?: string;
  textDeleted: boolean;
  /** `<text bytes="…">`, else the UTF-8 length of the text. */
  bytes: number;
  sha1?: string;
}

export interface DumpItem {
  /** From `<siteinfo><dbname>` when the dump has one. */
  dbName?: string;
  page: DumpPageInfo;
  revision: DumpRevision;
  /** The revision before this one on the same page in the stream (its text is kept), if any. */
  previous?: { id: number; text?: string; bytes: number; timestamp: string };
  pageIndex: number;
  revIndex: number;
  /** Decompressed byte offset of this page's `<page>` tag (relative to the start of what was read + `startOffset`). */
  pageOffset: number;
}

export interface DumpReaderOptions {
  /** Skip this many whole pages (resume on a stream that cannot seek). Default 0. */
  skipPages?: number;
  /** Within the first page that is not skipped, skip this many revisions. Default 0. */
  skipRevisions?: number;
  /** Byte offset the input starts at (when resuming with a seek), added to `pageOffset`. */
  startOffset?: number;
  /** Page ordinal of the first page in the input (when resuming with a seek). Default 0. */
  startPageIndex?: number;
  /** Called with the number of decompressed bytes consumed so far (for progress). */
  onBytes?: (bytes: number) => void;
}

export class DumpFormatError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at decompressed byte ${offset})`);
    this.offset = offset;
  }
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Decodes XML character and entity references. */
function decodeXmlEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, ref: string) => {
    if (ref[0] === "#") {
      const cp = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[ref] ?? m;
  });
}

/** UTF-8 byte length of a string without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function parseAttrs(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([^\s=/]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out[m[1]!] = decodeXmlEntities(m[3] ?? m[4] ?? "");
  return out;
}

type Tok =
  | { t: "open"; name: string; attrs: Record<string, string>; selfClosing: boolean; offset: number }
  | { t: "close"; name: string }
  | { t: "text"; text: string };

/**
 * A minimal pull tokenizer for the subset of XML that dumps use (elements, attributes, text, entity
 * references, comments, processing instructions, CDATA). Text is decoded lazily by the consumer.
 */
async function* tokenize(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  startOffset: number,
  onBytes?: (n: number) => void,
): AsyncGenerator<Tok[]> {
  // Tokens are handed over in batches (one per input chunk): one await per chunk, not per token.
  let out: Tok[] = [];
  const decoder = new TextDecoder("utf-8");
  let buf = "";
  let pos = 0;
  /** Byte offset of buf[0]. */
  let base = startOffset;
  let read = 0;
  // Byte offsets are counted incrementally: positions asked for only grow within a buffer.
  let offPos = 0;
  let offBytes = 0;
  const offsetOf = (i: number) => {
    if (i < offPos) return base + utf8Length(buf.slice(0, i));
    offBytes += utf8Length(buf.slice(offPos, i));
    offPos = i;
    return base + offBytes;
  };
  const compact = () => {
    if (pos > 65536) {
      base = offsetOf(pos);
      buf = buf.slice(pos);
      pos = 0;
      offPos = 0;
      offBytes = 0;
    }
  };
  let done = false;
  const it: AsyncIterator<Uint8Array | string> | Iterator<Uint8Array | string> =
    Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : input[Symbol.iterator]();
  const more = async function* (): AsyncGenerator<Tok[], boolean> {
    if (out.length) {
      yield out;
      out = [];
    }
    if (done) return false;
    const r = await it.next();
    if (r.done) {
      done = true;
      buf += decoder.decode();
      return false;
    }
    if (typeof r.value === "string") {
      buf += r.value;
      read += utf8Length(r.value);
    } else {
      buf += decoder.decode(r.value, { stream: true });
      read += r.value.byteLength;
    }
    onBytes?.(read);
    return true;
  };
  while (true) {
    const lt = buf.indexOf("<", pos);
    if (lt < 0) {
      // Text up to the end of the buffer: emit what we have, keep reading.
      if (pos < buf.length) {
        out.push({ t: "text", text: buf.slice(pos) });
        pos = buf.length;
      }
      compact();
      if (!(yield* more())) return;
      continue;
    }
    if (lt > pos) {
      out.push({ t: "text", text: buf.slice(pos, lt) });
      pos = lt;
    }
    // A markup construct starts at pos; make sure its kind and its end are buffered.
    while (buf.length < pos + 9 && (yield* more()));
    let kind: "comment" | "cdata" | "pi" | "tag";
    if (buf.startsWith("<!--", pos)) kind = "comment";
    else if (buf.startsWith("<![CDATA[", pos)) kind = "cdata";
    else if (buf.startsWith("<?", pos) || buf.startsWith("<!", pos)) kind = "pi";
    else kind = "tag";
    const closer = kind === "comment" ? "-->" : kind === "cdata" ? "]]>" : ">";
    let end: number;
    while ((end = buf.indexOf(closer, pos + 1)) < 0) {
      if (!(yield* more())) throw new DumpFormatError("unterminated markup", offsetOf(pos));
    }
    if (kind === "cdata") {
      out.push({
        t: "text",
        text: buf
          .slice(pos + 9, end)
          .replace(/&/g, "&amp;")
          .replace(/</g, "&lt;"),
      });
      pos = end + 3;
    } else if (kind === "comment") {
      pos = end + 3;
    } else if (kind === "pi") {
      pos = end + 1;
    } else {
      const raw = buf.slice(pos + 1, end);
      if (raw.startsWith("/")) {
        out.push({ t: "close", name: raw.slice(1).trim() });
      } else {
        const selfClosing = raw.endsWith("/");
        const body = selfClosing ? raw.slice(0, -1) : raw;
        const sp = body.search(/\s/);
        const name = sp < 0 ? body : body.slice(0, sp);
        const attrs = sp < 0 ? {} : parseAttrs(body.slice(sp));
        const offset = name === "page" ? offsetOf(pos) : -1;
        out.push({ t: "open", name, attrs, selfClosing, offset });
      }
      pos = end + 1;
    }
    compact();
  }
}

function toInt(s: string, what: string, offset: number): number {
  const n = Number(s.trim());
  if (!Number.isSafeInteger(n))
    throw new DumpFormatError(`bad ${what} ${JSON.stringify(s.slice(0, 40))}`, offset);
  return n;
}

/** Reads a dump stream; yields every revision of every page, in stream order. */
export async function* readDump(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: DumpReaderOptions = {},
): AsyncGenerator<DumpItem> {
  const skipPages = options.skipPages ?? 0;
  let skipRevs = options.skipRevisions ?? 0;
  let dbName: string | undefined;
  const path: string[] = [];
  let text: string[] = [];
  let pageIndex = (options.startPageIndex ?? 0) - 1;
  let pageOffset = 0;
  let page: DumpPageInfo | undefined;
  let pageHeaderDone = false;
  let rev: DumpRevision | undefined;
  let revIndex = 0;
  let previous: DumpItem["previous"];
  let textAttrs: Record<string, string> = {};
  let skipping = false;

  for await (const batch of tokenize(input, options.startOffset ?? 0, options.onBytes))
    for (const tok of batch) {
      if (tok.t === "text") {
        if (!skipping) text.push(tok.text);
        continue;
      }
      if (tok.t === "open") {
        const parent = path[path.length - 1];
        if (tok.name === "page") {
          pageIndex++;
          pageOffset = tok.offset;
          page = { title: "", ns: 0, id: 0, redirect: false };
          pageHeaderDone = false;
          revIndex = 0;
          previous = undefined;
          // Skipped pages are still tokenized (the stream cannot seek) but no text is kept.
          skipping = pageIndex < skipPages;
        } else if (tok.name === "revision" && parent === "page") {
          pageHeaderDone = true;
          rev = {
            id: 0,
            parentId: 0,
            timestamp: "",
            contributor: { deleted: false },
            minor: false,
            commentDeleted: false,
            textDeleted: false,
            bytes: 0,
          };
        } else if (tok.name === "redirect" && parent === "page" && page) {
          page.redirect = true;
        } else if (rev && parent === "revision") {
          if (tok.name === "minor") rev.minor = true;
          else if (tok.name === "contributor" && tok.attrs.deleted) rev.contributor.deleted = true;
          else if (tok.name === "comment" && tok.attrs.deleted) rev.commentDeleted = true;
          else if (tok.name === "text") {
            textAttrs = tok.attrs;
            if (tok.attrs.deleted) rev.textDeleted = true;
          }
        }
        if (!tok.selfClosing) {
          path.push(tok.name);
          text = [];
        } else if (tok.name === "text" && rev && !rev.textDeleted && parent === "revision") {
          // <text bytes="0" /> (empty) or a stub reference (location/id attributes): no inline text.
          rev.text = tok.attrs.location || tok.attrs.id ? undefined : "";
          rev.bytes = Number(tok.attrs.bytes ?? 0) || 0;
        }
        continue;
      }
      // close
      // A stream that starts at a <page> (resume by seek) ends with the document's </mediawiki>.
      if (path.length === 0 && tok.name === "mediawiki") continue;
      const name = path.pop();
      if (name !== tok.name) {
        throw new DumpFormatError(
          `mismatched </${tok.name}> (open element: <${name ?? "none"}>)`,
          pageOffset,
        );
      }
      const parent = path[path.length - 1];
      const value = skipping ? "" : text.join("");
      text = [];
      if (name === "dbname" && parent === "siteinfo") dbName = decodeXmlEntities(value).trim();
      else if (page && parent === "page" && !pageHeaderDone) {
        if (name === "title") page.title = decodeXmlEntities(value);
        else if (name === "ns") page.ns = skipping ? 0 : toInt(value, "<ns>", pageOffset);
        else if (name === "id") page.id = skipping ? 0 : toInt(value, "page <id>", pageOffset);
      } else if (rev && parent === "revision") {
        if (skipping) continue;
        if (name === "id") rev.id = toInt(value, "revision <id>", pageOffset);
        else if (name === "parentid") rev.parentId = toInt(value, "<parentid>", pageOffset);
        else if (name === "timestamp") rev.timestamp = value.trim();
        else if (name === "comment") rev.comment = decodeXmlEntities(value);
        else if (name === "model") rev.model = value.trim();
        else if (name === "format") rev.format = value.trim();
        else if (name === "sha1") rev.sha1 = value.trim();
        else if (name === "text") {
          if (!rev.textDeleted) {
            rev.text = decodeXmlEntities(value);
            const b = Number(textAttrs.bytes);
            rev.bytes = Number.isFinite(b) && textAttrs.bytes !== "" ? b : utf8Length(rev.text);
          }
        }
      } else if (rev && parent === "contributor" && !skipping) {
        if (name === "username") rev.contributor.username = decodeXmlEntities(value);
        else if (name === "id") rev.contributor.id = toInt(value, "contributor <id>", pageOffset);
        else if (name === "ip") rev.contributor.ip = decodeXmlEntities(value).trim();
      } else if (name === "revision" && rev && page) {
        const r = rev;
        rev = undefined;
        if (skipping) continue;
        if (!r.id) throw new DumpFormatError("revision without <id>", pageOffset);
        const item: DumpItem = { dbName, page, revision: r, previous, pageIndex, revIndex, pageOffset };
        previous = { id: r.id, text: r.text, bytes: r.bytes, timestamp: r.timestamp };
        revIndex++;
        if (skipRevs > 0) {
          skipRevs--;
          continue;
        }
        yield item;
      } else if (name === "page") {
        if (!skipping) skipRevs = 0;
        page = undefined;
        previous = undefined;
        skipping = false;
      }
    }
  if (path.length) throw new DumpFormatError(`truncated dump: <${path.join("><")}> not closed`, pageOffset);
}
