/**
 * `revrisk evaluate` as a user runs it (a real process over the fixture model and the in-process
 * MediaWiki fixture server): the committed fixture statistics are what it computes, bad lines are
 * reported with their numbers before anything is scored, revision_data examples are scored, and
 * --write puts statistics into a bundle that still loads.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseLabelledSet } from "../functions/evaluate/cli.ts";
import { Manifest } from "../shared/model/bundle.ts";
import { REVISION_DATA } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "revrisk-evaluate-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function revrisk(args: string[], input?: string) {
  return spawnSync(process.execPath, ["bin/revrisk.ts", ...args], {
    encoding: "utf8",
    input,
    env: { ...process.env, REVRISK_LOG_FORMAT: "json", REVRISK_LOG_LEVEL: "warn" },
    timeout: 170_000,
  });
}

describe("parseLabelledSet", () => {
  it("accepts {lang, rev_id, label} and {revision_data, label}; labels as booleans or 0/1", () => {
    const { examples, errors } = parseLabelledSet(
      [
        '{"lang":"en","rev_id":1,"label":true}',
        "",
        '{"lang":"de","rev_id":2,"label":0}',
        JSON.stringify({ revision_data: REVISION_DATA, label: "true" }),
      ].join("\n"),
    );
    expect(errors).toEqual([]);
    expect(examples.map((e) => [e.line, e.label, e.lang ?? e.revision?.lang])).toEqual([
      [1, true, "en"],
      [3, false, "de"],
      [4, true, "en"],
    ]);
  });

  it("names every bad line", () => {
    const { errors } = parseLabelledSet(
      [
        "not json",
        '{"lang":"en","rev_id":1}',
        '{"lang":"en","rev_id":"12","label":1}',
        '{"lang":"en","rev_id":-3,"label":1}',
        '{"revision_data":{"id":1},"label":false}',
        "[1]",
      ].join("\n"),
    );
    expect(errors).toEqual([
      "line 1: not JSON",
      'line 2: "label" must be true/false (or 1/0)',
      expect.stringMatching(/^line 3: expected \{lang/),
      expect.stringMatching(/^line 4: expected \{lang/),
      expect.stringMatching(/^line 5: Missing some required fields/),
      "line 6: expected a JSON object",
    ]);
  });
});

describe("revrisk evaluate", () => {
  it("reproduces the statistics committed in the fixture bundle", () => {
    const out = join(tmp, "stats.json");
    const r = revrisk([
      "evaluate",
      "--offline",
      "--provider",
      "cpu",
      "--input",
      "models/fixture/evaluation.jsonl",
      "--min-wiki-examples",
      "10",
      "--output",
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/504 labelled revisions scored; threshold 0\.5/);
    expect(r.stdout).toMatch(/^all\s+504\s/m);
    const computed = JSON.parse(readFileSync(out, "utf8"));
    const committed = Manifest.parse(
      JSON.parse(readFileSync("models/fixture/manifest.json", "utf8")),
    ).statistics!;
    expect(committed, "run `npm run models:fixture-statistics`").toBeDefined();
    expect({ ...computed, dataset: { ...computed.dataset, computed: "" } }).toEqual({
      ...committed,
      dataset: { ...committed.dataset, description: computed.dataset.description, computed: "" },
    });
    expect(Object.keys(committed.per_wiki).length).toBeGreaterThan(5);
  }, 180_000);

  it("rejects a bad labelled set with line numbers and exit code 2, scoring nothing", () => {
    const file = join(tmp, "bad.jsonl");
    writeFileSync(file, '{"lang":"en","rev_id":100002,"label":true}\n{"lang":"en","rev_id":1}\n');
    const r = revrisk(["evaluate", "--provider", "cpu", "--input", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}: line 2: "label" must be true/false (or 1/0)`);
    expect(r.stdout).toBe("");
  });

  it("--write stores revision_data and rev_id examples' statistics in a bundle that still loads", () => {
    const bundle = join(tmp, "bundle");
    cpSync("models/fixture", bundle, { recursive: true });
    const lines = [
      ...readFileSync("models/fixture/evaluation.jsonl", "utf8").trim().split("\n").slice(0, 30),
      JSON.stringify({ revision_data: REVISION_DATA, label: true }),
      '{"lang":"en","rev_id":999999999,"label":false}',
    ];
    const r = revrisk(
      [
        "evaluate",
        "--offline",
        "--provider",
        "cpu",
        "--model",
        bundle,
        "--input",
        "-",
        "--write",
        "--description",
        "t",
      ],
      lines.join("\n") + "\n",
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/31 labelled revisions scored, 1 could not be scored/);
    expect(r.stdout).toMatch(/unscored: revision_missing 1/);
    const m = Manifest.parse(JSON.parse(readFileSync(join(bundle, "manifest.json"), "utf8")));
    expect(m.statistics?.dataset).toMatchObject({ description: "t", n: 31, unscored: 1 });
    expect(m.statistics?.overall.counts.labels.true).toBe(
      lines.slice(0, 31).filter((l) => JSON.parse(l).label === true).length,
    );
    // Everything else in the manifest is unchanged.
    const before = JSON.parse(readFileSync("models/fixture/manifest.json", "utf8"));
    const after = JSON.parse(readFileSync(join(bundle, "manifest.json"), "utf8"));
    expect({ ...after, statistics: null }).toEqual({ ...before, statistics: null });
  }, 120_000);
});
