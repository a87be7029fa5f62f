import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SchemaValidator } from "../standins/eventgate-sink/sink.ts";
import {
  buildPredictionEvent,
  predictionEventId,
  sha1,
  uuidV5,
  type PredictionEvent,
} from "../shared/events/prediction-event.ts";

const load = (f: string) =>
  JSON.parse(readFileSync(new URL(`./data/samples/${f}`, import.meta.url), "utf8")) as Record<
    string,
    unknown
  >;
const sample = () => load("page_change-1.2.0.example.json");
const live = () => load("page_change-1.6.0-wikidatawiki.live.json");
const pred = {
  model_name: "revertrisk-multilingual",
  model_version: "4",
  prediction: false,
  probability: 0.2,
};
const now = () => new Date("2026-11-24T12:00:01.000Z");
const validator = new SchemaValidator();
const streams = {
  "mediawiki.page_revert_risk_multilingual_prediction_change.v1": {
    schema_title: "mediawiki/page/prediction_classification_change",
  },
};

function build(src: Record<string, unknown>, o = {}): PredictionEvent {
  const r = buildPredictionEvent(src, pred, { now, ...o });
  if (!r.ok) throw new Error(r.message);
  return r.event;
}

function expectValid(e: unknown) {
  const v = validator.validate(e, streams);
  expect(v.result.context?.errorsText ?? v.result.context?.message).toBeUndefined();
  expect(v.result.status).toBe("success");
}

describe("uuid v5 / sha1", () => {
  it("sha1 matches node:crypto", () => {
    for (const s of ["", "abc", "x".repeat(55), "y".repeat(56), "z".repeat(200), "ü€"]) {
      const b = new TextEncoder().encode(s);
      expect(Buffer.from(sha1(b)).toString("hex")).toBe(createHash("sha1").update(b).digest("hex"));
    }
  });
  it("uuidV5 matches the RFC 4122 example (DNS namespace, python.org)", () => {
    expect(uuidV5("python.org", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
      "886313e1-3b8a-5372-9b90-0c9aee199e5d",
    );
  });
  it("ids are deterministic per stream, wiki, revision and model version", () => {
    const a = predictionEventId("s", "enwiki", 1, "4");
    expect(a).toBe(predictionEventId("s", "enwiki", 1, "4"));
    expect(a).not.toBe(predictionEventId("s", "enwiki", 1, "5"));
    expect(a).not.toBe(predictionEventId("s", "dewiki", 1, "4"));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("buildPredictionEvent", () => {
  it("builds a valid 1.1.0 event from the 1.2.0 example, field by field", () => {
    const src = sample();
    const e = build(src);
    expectValid(e);
    expect(e.$schema).toBe("/mediawiki/page/prediction_classification_change/1.1.0");
    expect(e.meta).toEqual({
      stream: "mediawiki.page_revert_risk_multilingual_prediction_change.v1",
      id: predictionEventId(
        "mediawiki.page_revert_risk_multilingual_prediction_change.v1",
        "enwiki",
        1260000001,
        "4",
      ),
      dt: "2026-11-24T12:00:01.000Z",
      request_id: (src.meta as Record<string, string>).request_id,
      domain: "en.wikipedia.org",
      uri: "https://en.wikipedia.org/wiki/Example_article",
    });
    expect(e.dt).toBe(src.dt);
    expect(e.predicted_classification).toEqual({
      model_name: "revertrisk-multilingual",
      model_version: "4",
      predictions: ["false"],
      probabilities: { true: 0.2, false: 0.8 },
    });
    expect(e.revision).not.toHaveProperty("content_slots");
    expect(e.performer).toEqual(src.performer);
  });

  it("reduces the live 1.6.0 event to 1.1.0 (drops namespace_is_content, user_central_id, wiki_id, content_slots)", () => {
    const src = live();
    // the live event is Wikidata; the reduction is what is tested here
    const e = build(src);
    expectValid(e);
    expect(e.page).not.toHaveProperty("namespace_is_content");
    expect(e.performer).not.toHaveProperty("user_central_id");
    expect(e.performer).not.toHaveProperty("wiki_id");
    expect(e.revision.editor).not.toHaveProperty("wiki_id");
    expect((e.prior_state as { revision: Record<string, unknown> }).revision).not.toHaveProperty(
      "content_slots",
    );
    expect(JSON.stringify(e)).not.toMatch(/topic|partition|offset|user_central_id|content_slots/);
  });

  it("strips unknown fields, negative namespaces and revert objects", () => {
    const src = sample() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    src.surprise = 1;
    src.page.new_field = "x";
    src.page.redirect_page_link = {
      page_id: 1,
      page_title: "Special:Foo",
      namespace_id: -1,
      is_redirect: false,
      extra: 1,
    };
    src.revision.revert = { kind: "undo" };
    src.created_redirect_page = {
      page_id: 2,
      page_title: "Old",
      namespace_id: 0,
      redirect_page_link: { page_id: 3 },
    };
    src.prior_state = { page: { page_title: "Older", namespace_id: 0, redirect_page_link: { page_id: 4 } } };
    const e = build(src);
    expectValid(e);
    expect(e).not.toHaveProperty("surprise");
    expect(e.page.redirect_page_link).toEqual({ page_id: 1, page_title: "Special:Foo", is_redirect: false });
    // 1.3.0 keeps what LiftWing copies
    const e3 = build(src, { schemaVersion: "1.3.0" });
    expect((e3.page.redirect_page_link as Record<string, unknown>).namespace_id).toBe(-1);
    expect(e3.$schema).toBe("/mediawiki/page/prediction_classification_change/1.3.0");
  });

  it("derives performer from revision.editor, else skips with no_performer", () => {
    const src = sample();
    delete src.performer;
    const e = build(src);
    expect(e.performer).toEqual((src.revision as Record<string, unknown>).editor);
    expectValid(e);
    delete (src.revision as Record<string, unknown>).editor;
    expect(buildPredictionEvent(src, pred)).toMatchObject({ ok: false, reason: "no_performer" });
  });

  it("refuses non page_change sources; a true prediction is ['true']", () => {
    expect(buildPredictionEvent({ $schema: "/foo/1.0.0" }, pred)).toMatchObject({
      ok: false,
      reason: "not_page_change",
    });
    const e = build(sample(), {});
    const t = buildPredictionEvent(sample(), { ...pred, prediction: true, probability: 0.9 }, { now });
    expect(t.ok && t.event.predicted_classification.predictions).toEqual(["true"]);
    expect(t.ok && t.event.meta.id).toBe(e.meta.id);
  });

  it("the 1.1.0 example on the shelf validates (validator sanity)", () => {
    const ex = load("prediction_classification_change-1.1.0.example.json");
    expect(validator.validate(ex).result.status).toBe("success");
  });
});
