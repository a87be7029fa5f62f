/**
 * The route table of the on-demand HTTP API and what is generated from it with the zod schemas of
 * functions/api/schemas.ts: the OpenAPI 3.1 document served at `/openapi.json` and the HTML page
 * served at `/docs`. Runtime-agnostic.
 */
import { z } from "zod";
import {
  COMPONENTS,
  DetailBody,
  ErrorBody,
  Health,
  InstancesResponse,
  ModelInfo,
  ModelList,
  ModelStatisticsAnswer,
  OresError,
  OresResponse,
  PredictRequest,
  PredictResponse,
  Ready,
} from "./schemas.ts";

// ---------------------------------------------------------------------------------------------
// Route table → OpenAPI document and HTML docs
// ---------------------------------------------------------------------------------------------

export interface RouteResponse {
  status: number | string;
  description: string;
  /** The body's schema; several: any one of them (anyOf). */
  schema?: z.ZodType | z.ZodType[];
  example?: unknown;
  contentType?: string;
}

export interface RouteParam {
  name: string;
  in: "path" | "query" | "header";
  description: string;
  required?: boolean;
  example?: string;
}

export interface RouteDoc {
  method: "get" | "post";
  /** OpenAPI path template. */
  path: string;
  summary: string;
  description: string;
  params?: RouteParam[];
  body?: { schema: z.ZodType; examples: Record<string, unknown> };
  responses: RouteResponse[];
}

const MODEL_INFO: RouteParam = {
  name: "model_info",
  in: "query",
  description:
    "ORES model_info: |-separated dotted paths of type, version, params, environment, statistics; under statistics.thresholds.<label> a quoted threshold optimization (docs/statistics.md).",
  example: 'statistics.thresholds.true."maximum recall @ precision >= 0.9"',
};

const DEADLINE_HEADER: RouteParam = {
  name: "X-Request-Deadline-Ms",
  in: "header",
  description:
    "Milliseconds the client is willing to wait. When it passes, unscored revisions are answered as unavailable (single: 504; instances/ORES: per item) instead of hanging.",
  example: "2000",
};

/** A whole mediawiki/page/change event as changeprop sends it (the fields the API reads and more). */
const EXAMPLE_EVENT = {
  $schema: "/mediawiki/page/change/1.2.0",
  meta: {
    stream: "mediawiki.page_change.v1",
    id: "0b8f3f9e-6c1a-4d3b-8f2e-1a2b3c4d5e6f",
    dt: "2026-11-24T12:00:00.512Z",
    domain: "en.wikipedia.org",
  },
  dt: "2026-11-24T12:00:00Z",
  changelog_kind: "update",
  page_change_kind: "edit",
  wiki_id: "enwiki",
  page: { page_id: 123456, page_title: "Example_article", namespace_id: 0, is_redirect: false },
  performer: {
    user_text: "ExampleEditor",
    user_id: 4242,
    groups: ["*", "user", "autoconfirmed"],
    is_bot: false,
  },
  revision: { rev_id: 1260000001, rev_parent_id: 1259999990, rev_dt: "2026-11-24T12:00:00Z", rev_size: 5120 },
};

/** A pre-save revision as the ORES extension sends it (LiftWing's revision_data). */
const EXAMPLE_REVISION_DATA = {
  id: 1260000001,
  lang: "en",
  text: "An example article, with the new sentence.",
  timestamp: "2026-11-24T12:00:00Z",
  bytes: 42,
  comment: "copyedit",
  tags: ["mobile edit"],
  page: { id: 123456, title: "Example article", first_edit_timestamp: "2010-01-01T00:00:00Z" },
  parent: {
    id: 1259999990,
    lang: "en",
    text: "An example article.",
    timestamp: "2026-11-20T08:00:00Z",
    bytes: 19,
  },
  user: { id: 0 },
};

const ORES_PARAMS: RouteParam[] = [
  {
    name: "wiki",
    in: "path",
    required: true,
    description: 'Wiki database name (real dbname, or LiftWing\'s lang + "wiki").',
    example: "enwiki",
  },
  {
    name: "features",
    in: "query",
    description: "Present (or true): add each revision's features.",
    example: "true",
  },
  DEADLINE_HEADER,
];

const REV_ID_PARAM: RouteParam = {
  name: "rev_id",
  in: "path",
  required: true,
  description: "Revision id: digits only (ORES's int converter; anything else is 404).",
  example: "12345",
};

const MODELS_PARAM = (model: string): RouteParam => ({
  name: "models",
  in: "query",
  description: "Model names separated by |; absent or empty: all. A model not served → 404.",
  example: model,
});

/** Routes as documented; `model` stands for the configured model name. */
export function routeDocs(model: string): RouteDoc[] {
  const predictExample = {
    model_name: model,
    model_version: "4",
    wiki_db: "enwiki",
    revision_id: 12345,
    output: { prediction: false, probabilities: { true: 0.208, false: 0.792 } },
  };
  const instancesExample = {
    predictions: [{ ...predictExample, index: 0 }],
    errors: [
      {
        index: 1,
        lang: "de",
        rev_id: 67890,
        status: 422,
        detail: "Could not make prediction for revision 67890 (de). Reason: revision_info_deleted",
        reason: "revision_info_deleted",
        retryable: false,
      },
    ],
  };
  const oresScoresExample = {
    enwiki: {
      models: { [model]: { version: "4" } },
      scores: {
        "12345": { [model]: { score: { prediction: false, probability: { true: 0.1, false: 0.9 } } } },
        "12346": {
          [model]: {
            error: {
              type: "RevisionNotFound",
              message: "RevisionNotFound: Could not find revision ({revision}:12346)",
              reason: "revision_missing",
              retryable: false,
            },
          },
        },
      },
    },
  };
  const oresNotFound = {
    status: 404,
    description:
      'Unknown wiki, a model not served, or (path) a rev_id that is not an integer: ORES\'s {"error": {code, message}}.',
    schema: OresError,
    example: { error: { code: "not found", message: "No scorers available for xxwiki" } },
  };
  const oresCommon = (bad: string): RouteResponse[] => [
    { status: 400, description: bad, schema: OresError },
    oresNotFound,
    { status: 503, description: "Model not ready.", schema: OresError },
  ];
  const modelChecks: RouteResponse[] = [
    {
      status: 404,
      description: "Unknown model (KServe ModelNotFound).",
      schema: ErrorBody,
      example: { error: "Model with name x does not exist." },
    },
    { status: 413, description: "Body larger than maxBodyBytes.", schema: ErrorBody },
    { status: 503, description: "Model not ready (KServe ModelNotReady).", schema: ErrorBody },
  ];
  return [
    {
      method: "post",
      path: `/v1/models/{model}:predict`,
      summary: "Score revisions (LiftWing / KServe v1 predict)",
      description:
        "Drop-in for LiftWing's revertrisk-multilingual predict endpoint. Inputs: {lang, rev_id}; {event} (page_change; a prediction event is emitted after scoring); {revision_data} (only when enabled, else ignored); {instances} (revrisk's batch: at most maxInstances (default 50) revisions of any wikis; 200 all scored, 207 some failed, 422 all failed; each failure is an object with the index, the status a single request would have had, detail, reason and retryable). The body is decoded as KServe 0.15.2 does: without a content type or with application/json, application/cloudevents+json or application/ld+json it must be JSON (else 400 \"Unrecognized request format: …\"), and a structured CloudEvent (time, type, source, id, specversion, data) is unwrapped to its data. Add ?features=true for the feature vector.",
      params: [
        { name: "model", in: "path", required: true, description: "Model name.", example: model },
        {
          name: "features",
          in: "query",
          description: "true: add the classifier's feature vector.",
          example: "true",
        },
        DEADLINE_HEADER,
      ],
      body: {
        schema: PredictRequest,
        examples: {
          plain: { lang: "en", rev_id: 12345 },
          event: { event: EXAMPLE_EVENT },
          revision_data: { revision_data: EXAMPLE_REVISION_DATA },
          instances: {
            instances: [
              { lang: "en", rev_id: 12345 },
              { lang: "de", rev_id: 67890 },
            ],
          },
          cloudevent: {
            specversion: "1.0",
            id: "a1b2c3",
            source: "changeprop",
            type: "org.wikimedia.page_change",
            time: "2026-11-24T12:00:00Z",
            data: { lang: "en", rev_id: 12345 },
          },
        },
      },
      responses: [
        {
          status: 200,
          description: "Scored (single input), or every instance scored.",
          schema: [PredictResponse, InstancesResponse],
          example: predictExample,
        },
        {
          status: 207,
          description: "instances: some scored, some failed.",
          schema: InstancesResponse,
          example: instancesExample,
        },
        {
          status: 400,
          description:
            'Invalid input: {"error"} (KServe InvalidInput: LiftWing\'s parameter checks, undecodable bodies) or {"detail"} (FastAPI HTTPException: LiftWing\'s lang checks, revision_data, instances), as LiftWing answers each.',
          schema: [ErrorBody, DetailBody],
          example: { error: "The parameter lang is required." },
        },
        ...modelChecks,
        {
          status: 422,
          description:
            "The revision cannot be scored (deleted, suppressed, missing); do not retry. instances: every item failed.",
          schema: [DetailBody, InstancesResponse],
          example: {
            detail: "Could not make prediction for revision 12345 (en). Reason: revision_info_deleted",
            reason: "revision_info_deleted",
            retryable: false,
          },
        },
        { status: 500, description: "MediaWiki or model failure (retryable).", schema: ErrorBody },
        {
          status: 504,
          description: "The client's deadline passed before the revision was scored.",
          schema: ErrorBody,
        },
      ],
    },
    {
      method: "post",
      path: `/v1/models/{model}:explain`,
      summary: "Explain (KServe v1): not available",
      description:
        "KServe's explain verb; the model has no explainer. The model and the body are checked first.",
      params: [{ name: "model", in: "path", required: true, description: "Model name.", example: model }],
      responses: [
        { status: 400, description: "Body that does not decode.", schema: [ErrorBody, DetailBody] },
        ...modelChecks,
        {
          status: 501,
          description: "No explainer (KServe NotImplementedError).",
          schema: ErrorBody,
          example: { error: "Could not find explainer_host." },
        },
      ],
    },
    {
      method: "get",
      path: "/v3/scores/{wiki}/{rev_id}/{model}",
      summary: "Score one revision with one model (ORES v3)",
      description:
        "ORES v3 shape. Per-revision problems are reported in place of `score` (revscoring's error type and message), with HTTP 200.",
      params: [
        ...ORES_PARAMS,
        REV_ID_PARAM,
        { name: "model", in: "path", required: true, description: "Model name.", example: model },
        MODEL_INFO,
      ],
      responses: [
        {
          status: 200,
          description: "Score or per-revision error.",
          schema: OresResponse,
          example: oresScoresExample,
        },
        ...oresCommon("A bad model_info, or an invalid X-Request-Deadline-Ms header."),
      ],
    },
    {
      method: "get",
      path: "/v3/scores/{wiki}/{rev_id}",
      summary: "Score one revision with the models asked for (ORES v3)",
      description: "As /v3/scores/{wiki}/{rev_id}/{model}, for the models of ?models= (default all).",
      params: [...ORES_PARAMS, REV_ID_PARAM, MODELS_PARAM(model), MODEL_INFO],
      responses: [
        { status: 200, description: "Score or per-revision error.", schema: OresResponse },
        ...oresCommon("A bad model_info, or an invalid X-Request-Deadline-Ms header."),
      ],
    },
    {
      method: "get",
      path: "/v3/scores/{wiki}",
      summary: "Score several revisions (ORES v3)",
      description:
        "revids separated by |, at most maxOresRevisions (default 50, ORES's limit). Without revids: the wiki's models. A value that is not an integer is that revision's error (ValueError) while the others are scored; a zero or negative one is RevisionNotFound.",
      params: [
        ...ORES_PARAMS,
        MODELS_PARAM(model),
        { name: "revids", in: "query", description: "Revision ids separated by |.", example: "12345|12346" },
        MODEL_INFO,
      ],
      responses: [
        {
          status: 200,
          description: "Scores or per-revision errors.",
          schema: OresResponse,
          example: oresScoresExample,
        },
        ...oresCommon(
          'revids with no integer ("Could not interpret revids. …"), too many values, a bad model_info, or an invalid X-Request-Deadline-Ms header.',
        ),
      ],
    },
    {
      method: "get",
      path: "/v3/scores",
      summary: "Wikis and models (ORES v3)",
      description: "Every wiki the model was trained on, with its models.",
      params: [MODEL_INFO],
      responses: [
        { status: 200, description: "Wikis.", schema: OresResponse },
        { status: 400, description: "A bad model_info.", schema: OresError },
      ],
    },
    {
      method: "get",
      path: "/v1/models/{model}/statistics",
      summary: "Evaluation statistics and threshold queries",
      description:
        "The bundle's evaluation statistics for a wiki (its own where the labelled set had enough of its edits, else overall), and with optimize= the threshold-table row a revscoring-style query selects.",
      params: [
        { name: "model", in: "path", required: true, description: "Model name.", example: model },
        { name: "wiki", in: "query", description: "Language code, e.g. he.", example: "en" },
        {
          name: "optimize",
          in: "query",
          description: "maximum|minimum <stat> @ <stat> >=|<= <value>",
          example: "maximum recall @ precision >= 0.9",
        },
        { name: "label", in: "query", description: "true (default) or false." },
      ],
      responses: [
        { status: 200, description: "Statistics, or the selected row.", schema: ModelStatisticsAnswer },
        { status: 400, description: "Unknown wiki, label or a malformed query.", schema: ErrorBody },
        { status: 404, description: "Unknown model, or no statistics in the bundle.", schema: ErrorBody },
      ],
    },
    {
      method: "get",
      path: "/v1/models/{model}",
      summary: "Model readiness and info (KServe v1)",
      description:
        "KServe {name, ready} plus version, threshold, supported wikis and a summary of the evaluation statistics.",
      params: [{ name: "model", in: "path", required: true, description: "Model name.", example: model }],
      responses: [
        { status: 200, description: "Ready.", schema: ModelInfo },
        {
          status: 404,
          description: "Unknown model (also GET …:predict, whose model name is taken whole, as KServe does).",
          schema: ErrorBody,
          example: { error: `Model with name ${model}:predict does not exist.` },
        },
        {
          status: 503,
          description: "Not ready yet (KServe ModelNotReady).",
          schema: ErrorBody,
          example: { error: `Model with name ${model} is not ready.` },
        },
      ],
    },
    {
      method: "post",
      path: "/v1/models/{model}",
      summary: "Not a route for POST (FastAPI 405)",
      description: "Use POST /v1/models/{model}:predict.",
      params: [{ name: "model", in: "path", required: true, description: "Model name.", example: model }],
      responses: [
        {
          status: 405,
          description: "Method Not Allowed.",
          schema: DetailBody,
          example: { detail: "Method Not Allowed" },
        },
      ],
    },
    {
      method: "get",
      path: "/v1/models",
      summary: "Model list (KServe v1)",
      description: "Names of the served models.",
      responses: [{ status: 200, description: "Models.", schema: ModelList, example: { models: [model] } }],
    },
    {
      method: "get",
      path: "/",
      summary: "Liveness (KServe)",
      description: "Always 200 while the process runs.",
      responses: [{ status: 200, description: "Alive.", example: { status: "alive" } }],
    },
    {
      method: "get",
      path: "/healthz",
      summary: "Health and execution provider",
      description:
        'status "degraded" with a warning when the requested execution provider (e.g. cuda) is not the one in use (e.g. fell back to cpu).',
      responses: [{ status: 200, description: "Health.", schema: Health }],
    },
    {
      method: "get",
      path: "/readyz",
      summary: "Readiness",
      description: "503 until the model is loaded and warmed up.",
      responses: [
        { status: 200, description: "Ready.", schema: Ready },
        { status: 503, description: "Not ready.", schema: Ready },
      ],
    },
    {
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics",
      description: "Prometheus text exposition.",
      responses: [{ status: 200, description: "Metrics.", contentType: "text/plain" }],
    },
    {
      method: "get",
      path: "/openapi.json",
      summary: "This API's OpenAPI 3.1 document",
      description: "Generated from the zod schemas.",
      responses: [{ status: 200, description: "OpenAPI document.", contentType: "application/json" }],
    },
    {
      method: "get",
      path: "/docs",
      summary: "Human-readable API documentation",
      description: "This page.",
      responses: [{ status: 200, description: "HTML.", contentType: "text/html" }],
    },
  ];
}

function componentId(schema: z.ZodType): string | undefined {
  const meta = schema.meta() as { id?: string } | undefined;
  return meta?.id;
}

/** JSON Schema of one schema; named components become $refs. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const id = componentId(schema);
  if (id) return { $ref: `#/components/schemas/${id}` };
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    unrepresentable: "any",
  });
  return rest as Record<string, unknown>;
}

/** The OpenAPI 3.1 document of the API. */
export function buildOpenApi(opts: {
  model: string;
  version: string;
  title?: string;
}): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const s of COMPONENTS) registry.add(s, { id: componentId(s)! });
  const generated = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    unrepresentable: "any",
    uri: (i) => `#/components/schemas/${i}`,
  }) as { schemas: Record<string, Record<string, unknown>> };
  const schemas: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(generated.schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = v;
    schemas[k] = rest;
  }

  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routeDocs(opts.model)) {
    const responses: Record<string, unknown> = {};
    for (const res of r.responses) {
      const ct = res.contentType ?? "application/json";
      const content: Record<string, unknown> = {};
      if (res.schema || res.example !== undefined || res.contentType) {
        const schema = Array.isArray(res.schema)
          ? { anyOf: res.schema.map(jsonSchema) }
          : res.schema && jsonSchema(res.schema);
        content[ct] = {
          ...(schema ? { schema } : {}),
          ...(res.example !== undefined ? { example: res.example } : {}),
        };
      }
      responses[String(res.status)] = {
        description: res.description,
        ...(Object.keys(content).length ? { content } : {}),
      };
    }
    const op: Record<string, unknown> = {
      summary: r.summary,
      description: r.description,
      operationId: `${r.method}_${r.path.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "") || "root"}`,
      responses,
    };
    if (r.params?.length) {
      op.parameters = r.params.map((p) => ({
        name: p.name,
        in: p.in,
        required: p.in === "path" ? true : (p.required ?? false),
        description: p.description,
        schema: { type: "string" },
        ...(p.example !== undefined ? { example: p.example } : {}),
      }));
    }
    if (r.body) {
      op.requestBody = {
        required: true,
        content: {
          "application/json": {
            schema: jsonSchema(r.body.schema),
            examples: Object.fromEntries(Object.entries(r.body.examples).map(([k, v]) => [k, { value: v }])),
          },
        },
      };
    }
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: opts.title ?? "revrisk on-demand scoring API",
      version: opts.version,
      description:
        "Revert-risk scores for Wikipedia revisions: a drop-in replacement for LiftWing's revertrisk-multilingual model server and ORES v3.",
    },
    paths,
    components: { schemas },
  };
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A self-contained HTML page (no external assets) listing routes, inputs, examples and errors. */
export function renderDocsHtml(opts: { model: string; version: string }): string {
  const sections = routeDocs(opts.model).map((r) => {
    const params = r.params?.length
      ? `<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Description</th><th>Example</th></tr>${r.params
          .map(
            (p) =>
              `<tr><td><code>${esc(p.name)}</code></td><td>${p.in}</td><td>${esc(p.description)}</td><td>${p.example !== undefined ? `<code>${esc(p.example)}</code>` : ""}</td></tr>`,
          )
          .join("")}</table>`
      : "";
    const body = r.body
      ? `<h4>Request body examples</h4>${Object.entries(r.body.examples)
          .map(([k, v]) => `<p>${esc(k)}</p><pre>${esc(JSON.stringify(v, null, 2))}</pre>`)
          .join("")}`
      : "";
    const responses = `<h4>Responses</h4><table><tr><th>Status</th><th>Meaning</th><th>Example</th></tr>${r.responses
      .map(
        (res) =>
          `<tr><td>${res.status}</td><td>${esc(res.description)}</td><td>${res.example !== undefined ? `<pre>${esc(JSON.stringify(res.example, null, 2))}</pre>` : ""}</td></tr>`,
      )
      .join("")}</table>`;
    return `<section><h3><code>${r.method.toUpperCase()} ${esc(r.path)}</code></h3><p><b>${esc(r.summary)}.</b> ${esc(r.description)}</p>${params}${body}${responses}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>revrisk API (${esc(opts.model)} ${esc(opts.version)})</title>
<style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0;width:100%;table-layout:fixed}th:first-child{width:7em}
td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left;overflow-wrap:anywhere}
code,h3{overflow-wrap:anywhere}pre{background:#f5f5f5;padding:.5em;margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
section{border-top:1px solid #ddd;margin-top:1.5em}</style></head>
<body><h1>revrisk on-demand scoring API</h1>
<p>Model <code>${esc(opts.model)}</code>, version <code>${esc(opts.version)}</code>. Machine-readable description: <a href="/openapi.json">/openapi.json</a>.</p>
${sections.join("\n")}
</body></html>`;
}
