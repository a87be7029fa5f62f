/**
 * The one page_change builder for revisions known outside the event stream
 * (shared/events/synthesize-page-change.ts, used by the backfill sources and the offline replay):
 * its events are valid page_change 1.2.0 events whose prediction events EventGate accepts, with
 * wiki_id and meta.domain from the wiki table, also for a hidden user (no empty user_text).
 */
import { describe, expect, it } from "vitest";
import { synthesizePageChange, type RevisionFacts } from "../shared/events/synthesize-page-change.ts";
import { buildPredictionEvent } from "../shared/events/prediction-event.ts";
import { parsePageChange } from "../shared/events/page-change.ts";
import { resolveWiki } from "../shared/wikis/wikis.ts";
import { DEFAULT_STREAMS, SchemaValidator } from "../standins/eventgate-sink/sink.ts";

const validator = new SchemaValidator();
const facts = (over: Partial<RevisionFacts> = {}): RevisionFacts => ({
  wiki: resolveWiki("gsw"),
  revId: 101,
  parentId: 100,
  pageId: 7,
  pageTitle: "Zürich Altstadt",
  namespace: 0,
  timestamp: "2026-01-02T03:04:05Z",
  bytes: 1234,
  userId: 42,
  userText: "Someone",
  ...over,
});

function expectValidEverywhere(event: Record<string, unknown>) {
  expect(validator.validate(event, DEFAULT_STREAMS).result.context?.errorsText).toBeUndefined();
  expect(parsePageChange(event).ok).toBe(true);
  const p = buildPredictionEvent(event, {
    model_name: "revertrisk-multilingual",
    model_version: "4",
    prediction: false,
    probability: 0.1,
  });
  expect(p.ok).toBe(true);
  if (p.ok) expect(validator.validate(p.event, DEFAULT_STREAMS).result.status).toBe("success");
}

describe("synthesizePageChange", () => {
  it("takes wiki_id and meta.domain from the wiki table (gsw is alswiki on als.wikipedia.org)", () => {
    const e = synthesizePageChange(facts()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect([e.wiki_id, e.meta.domain, e.meta.stream]).toEqual([
      "alswiki",
      "als.wikipedia.org",
      "mediawiki.page_change.v1",
    ]);
    expect(e.page.page_title).toBe("Zürich_Altstadt");
    expect(e.revision).toMatchObject({ rev_id: 101, rev_parent_id: 100, rev_size: 1234 });
    expectValidEverywhere(e);
  });

  it("a hidden or unknown user has no user_text (the schemas refuse an empty one)", () => {
    for (const userText of [undefined, ""]) {
      const e = synthesizePageChange(facts({ userId: 0, userText })) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(e.performer).not.toHaveProperty("user_text");
      expect(e.revision.editor).not.toHaveProperty("user_text");
      expectValidEverywhere(e);
    }
  });

  it("is_bot follows the editor's groups; a page creation is create/insert", () => {
    const bot = synthesizePageChange(facts({ groups: ["*", "user", "bot"] })) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(bot.performer.is_bot).toBe(true);
    const created = synthesizePageChange(facts({ parentId: 0 })) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect([created.page_change_kind, created.changelog_kind]).toEqual(["create", "insert"]);
    expect(created.revision).not.toHaveProperty("rev_parent_id");
    expectValidEverywhere(created);
  });
});
