/**
 * In-memory MediaWiki data for the fixture server (standins/mediawiki-fixture/server.ts): per wiki, pages with
 * revision histories, users with groups, and the revision-deletion states the client must handle.
 *
 * Seeding from the parity fixtures (`standins/mediawiki-fixture/edits/*.jsonl.gz`, `{id, lang, prev, curr, …}`): each
 * edit becomes a page whose first revision (a page creation) has `prev` as text and whose second
 * revision is `curr`. Ids, timestamps, users and tags are deterministic (they depend only on the
 * order of the fixtures).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { resolveWiki } from "../../shared/wikis/wikis.ts";

export interface FixtureUser {
  userId: number;
  name: string;
  /** All groups as `list=users&usprop=groups` returns them (explicit first, then implicit `*`, `user`, …). */
  groups: string[];
  registration: string;
  editCount: number;
  /** Hidden (suppressed) user: `list=users` reports it missing, its revisions are `userhidden`. */
  hidden: boolean;
}

export interface FixtureRevision {
  revId: number;
  /** 0 for a page creation. */
  parentId: number;
  pageId: number;
  /** ISO-8601, seconds precision, e.g. "2024-01-01T00:01:00Z". */
  timestamp: string;
  text: string;
  /** UTF-8 byte length of `text`. */
  size: number;
  /** 0 for anonymous editors. */
  userId: number;
  userText: string;
  tags: string[];
  comment: string;
  minor: boolean;
  textHidden: boolean;
  userHidden: boolean;
  commentHidden: boolean;
  /** Hidden from administrators too (rev_deleted & DELETED_RESTRICTED). */
  suppressed: boolean;
  /** Deleted (archived, e.g. page deletion): `badrevids` for the API. */
  archived: boolean;
}

export interface FixturePage {
  pageId: number;
  ns: number;
  title: string;
  /** Ascending. */
  revIds: number[];
  /** Simulated inconsistency: the page is reported `missing` although its revisions resolve. */
  missing: boolean;
}

export interface FixtureWiki {
  lang: string;
  host: string;
  pages: Map<number, FixturePage>;
  titles: Map<string, number>;
  revisions: Map<number, FixtureRevision>;
  users: Map<number, FixtureUser>;
  userNames: Map<string, number>;
  nextPageId: number;
  nextRevId: number;
  nextUserId: number;
  /** Milliseconds since epoch of the last revision timestamp handed out. */
  clock: number;
}

/** A parity fixture edit (standins/mediawiki-fixture/edits/*.jsonl.gz). */
export interface ParityEdit {
  id: string;
  lang: string;
  prev: string;
  curr: string;
}

/** A seeded edit: score `revId` on wiki `lang` (its parent is `parentId`). */
export interface SeededEdit {
  lang: string;
  host: string;
  revId: number;
  parentId: number;
  pageId: number;
  title: string;
  fixtureId: string;
  userId: number;
}

export interface AddRevisionInput {
  /** Page by id or title (created on demand when only `title` is given). */
  pageId?: number;
  title?: string;
  ns?: number;
  text: string;
  /** Default: the page's latest revision, or 0 for a new page. */
  parentId?: number;
  /** Registered editor (must exist); absent → anonymous `userText` (default 192.0.2.1). */
  userId?: number;
  userText?: string;
  tags?: string[];
  comment?: string;
  minor?: boolean;
  /** Default: the wiki's clock + 60 s. */
  timestamp?: string;
  revId?: number;
}

const BASE_TIME = Date.UTC(2024, 0, 1, 0, 0, 0);
const IMPLICIT_REGISTERED = ["*", "user", "autoconfirmed"];

/** The users every seeded wiki gets (explicit groups first, like MediaWiki). */
export const SEED_USERS: ReadonlyArray<{ name: string; groups: string[] }> = [
  { name: "Regular Editor", groups: [...IMPLICIT_REGISTERED] },
  { name: "New Editor", groups: ["*", "user"] },
  { name: "Example Admin", groups: ["extendedconfirmed", "sysop", ...IMPLICIT_REGISTERED] },
  { name: "Example Rollbacker", groups: ["extendedconfirmed", "rollbacker", ...IMPLICIT_REGISTERED] },
  { name: "ExampleBot", groups: ["bot", ...IMPLICIT_REGISTERED] },
];

/** Who makes the i-th seeded edit: a seed user's name, or an IP address (anonymous). */
const EDITOR_CYCLE = [
  "192.0.2.10",
  "Regular Editor",
  "New Editor",
  "Example Admin",
  "2001:db8::1f",
  "Example Rollbacker",
  "ExampleBot",
];
const TAG_CYCLE: string[][] = [
  [],
  ["mobile edit", "mobile web edit"],
  ["visualeditor"],
  ["wikieditor"],
  ["mobile edit", "mobile app edit", "android app edit"],
  ["visualeditor-wikitext"],
];

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function titleFromFixtureId(id: string): string {
  const [base, variant] = id.split(":", 2);
  const words = base.replace(/[_-]+/g, " ").trim();
  const title = words.charAt(0).toUpperCase() + words.slice(1);
  return variant ? `${title} (${variant.replace(/[_-]+/g, " ")})` : title;
}

function normaliseTitle(title: string): string {
  const t = title.replace(/_/g, " ").trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

export class MwFixtureStore {
  readonly wikis = new Map<string, FixtureWiki>();
  private readonly seededEdits: SeededEdit[] = [];

  /** The wiki for a code (canonical or "test"), created on first use. */
  wiki(lang: string): FixtureWiki {
    let w = this.wikis.get(lang);
    if (!w) {
      const resolved = resolveWiki(lang);
      w = {
        lang,
        host: resolved.host,
        pages: new Map(),
        titles: new Map(),
        revisions: new Map(),
        users: new Map(),
        userNames: new Map(),
        nextPageId: 1001,
        nextRevId: 100001,
        nextUserId: 1,
        clock: BASE_TIME,
      };
      this.wikis.set(lang, w);
    }
    return w;
  }

  /** The wiki served at `host` (e.g. "als.wikipedia.org"), if it has been created. */
  wikiByHost(host: string): FixtureWiki | undefined {
    const h = host.toLowerCase().replace(/:\d+$/, "");
    for (const w of this.wikis.values()) if (w.host === h) return w;
    return undefined;
  }

  addUser(
    lang: string,
    input: { name: string; groups?: string[]; userId?: number; registration?: string },
  ): FixtureUser {
    const w = this.wiki(lang);
    if (w.userNames.has(input.name)) throw new Error(`user ${input.name} exists on ${lang}`);
    const userId = input.userId ?? w.nextUserId;
    if (w.users.has(userId)) throw new Error(`user id ${userId} exists on ${lang}`);
    w.nextUserId = Math.max(w.nextUserId, userId + 1);
    const user: FixtureUser = {
      userId,
      name: input.name,
      groups: input.groups ?? [...IMPLICIT_REGISTERED],
      registration: input.registration ?? isoSeconds(BASE_TIME - 86_400_000 * 365),
      editCount: 0,
      hidden: false,
    };
    w.users.set(userId, user);
    w.userNames.set(user.name, userId);
    return user;
  }

  user(lang: string, nameOrId: string | number): FixtureUser | undefined {
    const w = this.wiki(lang);
    const id = typeof nameOrId === "number" ? nameOrId : w.userNames.get(nameOrId);
    return id === undefined ? undefined : w.users.get(id);
  }

  addPage(lang: string, input: { title: string; ns?: number; pageId?: number }): FixturePage {
    const w = this.wiki(lang);
    const title = normaliseTitle(input.title);
    if (w.titles.has(title)) throw new Error(`page ${title} exists on ${lang}`);
    const pageId = input.pageId ?? w.nextPageId;
    if (w.pages.has(pageId)) throw new Error(`page id ${pageId} exists on ${lang}`);
    w.nextPageId = Math.max(w.nextPageId, pageId + 1);
    const page: FixturePage = { pageId, ns: input.ns ?? 0, title, revIds: [], missing: false };
    w.pages.set(pageId, page);
    w.titles.set(title, pageId);
    return page;
  }

  page(lang: string, titleOrId: string | number): FixturePage | undefined {
    const w = this.wiki(lang);
    const id = typeof titleOrId === "number" ? titleOrId : w.titles.get(normaliseTitle(titleOrId));
    return id === undefined ? undefined : w.pages.get(id);
  }

  addRevision(lang: string, input: AddRevisionInput): FixtureRevision {
    const w = this.wiki(lang);
    let page =
      input.pageId !== undefined
        ? w.pages.get(input.pageId)
        : input.title
          ? this.page(lang, input.title)
          : undefined;
    if (!page) {
      if (input.title === undefined) throw new Error(`page ${input.pageId} does not exist on ${lang}`);
      page = this.addPage(lang, { title: input.title, ns: input.ns });
    }
    const revId = input.revId ?? w.nextRevId;
    if (w.revisions.has(revId)) throw new Error(`revision ${revId} exists on ${lang}`);
    w.nextRevId = Math.max(w.nextRevId, revId + 1);
    const parentId = input.parentId ?? page.revIds.at(-1) ?? 0;
    let timestamp: string;
    if (input.timestamp) {
      timestamp = isoSeconds(Date.parse(input.timestamp));
      w.clock = Math.max(w.clock, Date.parse(timestamp));
    } else {
      w.clock += 60_000;
      timestamp = isoSeconds(w.clock);
    }
    let userId = 0;
    let userText = input.userText ?? "192.0.2.1";
    if (input.userId) {
      const user = w.users.get(input.userId);
      if (!user) throw new Error(`user ${input.userId} does not exist on ${lang}`);
      userId = user.userId;
      userText = user.name;
      user.editCount++;
    }
    const rev: FixtureRevision = {
      revId,
      parentId,
      pageId: page.pageId,
      timestamp,
      text: input.text,
      size: utf8Length(input.text),
      userId,
      userText,
      tags: input.tags ?? [],
      comment: input.comment ?? "",
      minor: input.minor ?? false,
      textHidden: false,
      userHidden: false,
      commentHidden: false,
      suppressed: false,
      archived: false,
    };
    w.revisions.set(revId, rev);
    page.revIds.push(revId);
    page.revIds.sort((a, b) => a - b);
    return rev;
  }

  revision(lang: string, revId: number): FixtureRevision | undefined {
    return this.wiki(lang).revisions.get(revId);
  }

  private mustRevision(lang: string, revId: number): FixtureRevision {
    const rev = this.revision(lang, revId);
    if (!rev) throw new Error(`revision ${revId} does not exist on ${lang}`);
    return rev;
  }

  /** Revision deletion (RevDel). Defaults: hide the text. `suppress` also sets `suppressed`. */
  hideRevision(
    lang: string,
    revId: number,
    what: { text?: boolean; user?: boolean; comment?: boolean; suppress?: boolean } = { text: true },
  ): FixtureRevision {
    const rev = this.mustRevision(lang, revId);
    if (what.text) rev.textHidden = true;
    if (what.user) rev.userHidden = true;
    if (what.comment) rev.commentHidden = true;
    if (what.suppress) rev.suppressed = true;
    return rev;
  }

  /** Archive a revision (as page deletion does): the API answers `badrevids`. */
  deleteRevision(lang: string, revId: number): FixtureRevision {
    const rev = this.mustRevision(lang, revId);
    rev.archived = true;
    return rev;
  }

  /** Hide a user (suppressing block with hideuser): missing in `list=users`, its revisions `userhidden` + suppressed. */
  hideUser(lang: string, userId: number): FixtureUser {
    const w = this.wiki(lang);
    const user = w.users.get(userId);
    if (!user) throw new Error(`user ${userId} does not exist on ${lang}`);
    user.hidden = true;
    for (const rev of w.revisions.values()) {
      if (rev.userId === userId) {
        rev.userHidden = true;
        rev.suppressed = true;
      }
    }
    return user;
  }

  /** Remove a user row entirely (e.g. a revision whose user id no longer resolves): `user_missing`. */
  removeUser(lang: string, userId: number): void {
    const w = this.wiki(lang);
    const user = w.users.get(userId);
    if (user) w.userNames.delete(user.name);
    w.users.delete(userId);
  }

  /** Make the page of `pageId` answer `missing` while its revisions still resolve: `page_missing`. */
  markPageMissing(lang: string, pageId: number): FixturePage {
    const page = this.wiki(lang).pages.get(pageId);
    if (!page) throw new Error(`page ${pageId} does not exist on ${lang}`);
    page.missing = true;
    return page;
  }

  /** A page with two revisions (creation `prev`, then `curr`). Returns the edit to score. */
  addEdit(
    lang: string,
    input: {
      title: string;
      prev: string;
      curr: string;
      userId?: number;
      userText?: string;
      tags?: string[];
      comment?: string;
      minor?: boolean;
      creatorId?: number;
    },
  ): { page: FixturePage; parent: FixtureRevision; revision: FixtureRevision } {
    const page = this.addPage(lang, { title: input.title });
    const parent = this.addRevision(lang, {
      pageId: page.pageId,
      text: input.prev,
      userId: input.creatorId,
      userText: input.creatorId ? undefined : "192.0.2.200",
      comment: "Created page",
      tags: [],
    });
    const revision = this.addRevision(lang, {
      pageId: page.pageId,
      text: input.curr,
      userId: input.userId,
      userText: input.userText,
      tags: input.tags,
      comment: input.comment,
      minor: input.minor,
    });
    return { page, parent, revision };
  }

  /** Seed users, pages and revisions from parity fixtures (deterministic). */
  seedFromParity(edits: Iterable<ParityEdit>): SeededEdit[] {
    const added: SeededEdit[] = [];
    for (const edit of edits) {
      const lang = edit.lang;
      const w = this.wiki(lang);
      if (w.users.size === 0) for (const u of SEED_USERS) this.addUser(lang, u);
      const i = this.seededEdits.length;
      const editor = EDITOR_CYCLE[i % EDITOR_CYCLE.length];
      const editorId = w.userNames.get(editor);
      let title = titleFromFixtureId(edit.id);
      for (let n = 2; w.titles.has(normaliseTitle(title)); n++) title = `${titleFromFixtureId(edit.id)} ${n}`;
      const { page, parent, revision } = this.addEdit(lang, {
        title,
        prev: edit.prev,
        curr: edit.curr,
        userId: editorId,
        userText: editorId ? undefined : editor,
        tags: TAG_CYCLE[i % TAG_CYCLE.length],
        comment: `Fixture edit ${edit.id}`,
        minor: i % 4 === 3,
        creatorId: w.userNames.get("Regular Editor"),
      });
      const seeded: SeededEdit = {
        lang,
        host: w.host,
        revId: revision.revId,
        parentId: parent.revId,
        pageId: page.pageId,
        title: page.title,
        fixtureId: edit.id,
        userId: revision.userId,
      };
      this.seededEdits.push(seeded);
      added.push(seeded);
    }
    return added;
  }

  /** The seeded (wiki, rev_id) pairs, in seeding order. */
  seeded(): SeededEdit[] {
    return [...this.seededEdits];
  }

  /** Serialisable snapshot (for `--data` files). */
  toJSON(): unknown {
    return {
      version: 1,
      seeded: this.seededEdits,
      wikis: [...this.wikis.values()].map((w) => ({
        lang: w.lang,
        users: [...w.users.values()],
        pages: [...w.pages.values()],
        revisions: [...w.revisions.values()],
        nextPageId: w.nextPageId,
        nextRevId: w.nextRevId,
        nextUserId: w.nextUserId,
        clock: w.clock,
      })),
    };
  }

  static fromJSON(data: unknown): MwFixtureStore {
    const d = data as {
      version: number;
      seeded?: SeededEdit[];
      wikis: Array<{
        lang: string;
        users: FixtureUser[];
        pages: FixturePage[];
        revisions: FixtureRevision[];
        nextPageId: number;
        nextRevId: number;
        nextUserId: number;
        clock: number;
      }>;
    };
    if (d?.version !== 1 || !Array.isArray(d.wikis))
      throw new Error("not a mw-fixture store snapshot (version 1)");
    const store = new MwFixtureStore();
    for (const sw of d.wikis) {
      const w = store.wiki(sw.lang);
      for (const u of sw.users) {
        w.users.set(u.userId, { ...u });
        w.userNames.set(u.name, u.userId);
      }
      for (const p of sw.pages) {
        w.pages.set(p.pageId, { ...p, revIds: [...p.revIds] });
        w.titles.set(p.title, p.pageId);
      }
      for (const r of sw.revisions) w.revisions.set(r.revId, { ...r, tags: [...r.tags] });
      Object.assign(w, {
        nextPageId: sw.nextPageId,
        nextRevId: sw.nextRevId,
        nextUserId: sw.nextUserId,
        clock: sw.clock,
      });
    }
    store.seededEdits.push(...(d.seeded ?? []));
    return store;
  }
}

/** Parity fixtures from a `.jsonl` or `.jsonl.gz` file. */
export function readParityFile(path: string): ParityEdit[] {
  const buf = readFileSync(path);
  const text = path.endsWith(".gz") ? gunzipSync(buf).toString("utf8") : buf.toString("utf8");
  const out: ParityEdit[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as Partial<ParityEdit>;
    if (
      typeof row.id === "string" &&
      typeof row.lang === "string" &&
      typeof row.prev === "string" &&
      typeof row.curr === "string"
    ) {
      out.push({ id: row.id, lang: row.lang, prev: row.prev, curr: row.curr });
    }
  }
  return out;
}

/** The parity fixture files shipped with the repository, in a fixed order. */
export const PARITY_FILES = ["handmade.jsonl.gz", "multilingual.jsonl.gz", "real-articles.jsonl.gz"].map(
  (f) => fileURLToPath(new URL(`./edits/${f}`, import.meta.url)),
);

/**
 * A store seeded from the repository's parity fixtures (or the given files). `rounds` > 1 seeds the
 * edits that many times (round k's pages are titled "<title> k+1"; each round's pages, revisions
 * and timestamps are new), for load tests that need more distinct revisions than the fixtures hold.
 */
export function seededStore(files: readonly string[] = PARITY_FILES, rounds = 1): MwFixtureStore {
  const store = new MwFixtureStore();
  const edits = files.map(readParityFile);
  for (let r = 0; r < rounds; r++) for (const e of edits) store.seedFromParity(e);
  return store;
}

/**
 * A store from a `--data` file: a store snapshot (`.json`, see `toJSON`) or parity-style edits
 * (`.jsonl` / `.jsonl.gz`).
 */
export function loadStoreFile(path: string): MwFixtureStore {
  if (/\.jsonl(\.gz)?$/.test(path)) return seededStore([path]);
  return MwFixtureStore.fromJSON(JSON.parse(readFileSync(path, "utf8")));
}
