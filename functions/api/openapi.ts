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
  schema?: z.ZodType;
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

const EXAMPLE_EVENT = {
  $schema: "/mediawiki/page/change/1.2.0",
  meta: { stream: "mediawiki.page_change.v1", domain: "en.wikipedia.org" },
  wiki_id: "enwiki",
  page_change_kind: "edit",
  revision: { rev_id: 1260000001, rev_dt: "2026-11-24T12:00:00Z" },
  "…": "…",
};

/** Routes as documented; `model` stands for the configured model name. */
export function routeDocs(model: string): RouteDoc[] {
  const predictExample = {
    model_name: model,
    model_version: "4",
    wiki_db: "enwiki",
    revision_id: 12345,
    output: { prediction: false, probabilities: { true: 0.208, false: 0.792 } },
  };
  return [
    {
      method: "post",
      path: `/v1/models/{model}:predict`,
      summary: "Score revisions (LiftWing / KServe v1 predict)",
      description:
        "Drop-in for LiftWing's revertrisk-multilingual predict endpoint. Inputs: {lang, rev_id}; {event} (page_change; a prediction event is emitted after scoring); {revision_data} (only when enabled, else ignored); {instances} (revrisk extension). Add ?features=true for the feature vector.",
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
          instances: {
            instances: [
              { lang: "en", rev_id: 12345 },
              { lang: "de", rev_id: 67890 },
            ],
          },
        },
      },
      responses: [
        {
          status: 200,
          description: "Scored (single input), or all instances scored.",
          schema: PredictResponse,
          example: predictExample,
        },
        { status: 207, description: "instances: some scored, some failed.", schema: InstancesResponse },
        {
          status: 400,
          description: 'Invalid input: {"error"} (InvalidInput) or {"detail"} (HTTPException), as LiftWing.',
          schema: ErrorBody,
          example: { error: "The parameter lang is required." },
        },
        {
          status: 404,
          description: "Unknown model.",
          schema: ErrorBody,
          example: { error: "Model with name x does not exist." },
        },
        { status: 413, description: "Body larger than maxBodyBytes.", schema: ErrorBody },
        {
          status: 422,
          description:
            "The revision cannot be scored (deleted, suppressed, missing); do not retry. instances: all failed.",
          schema: DetailBody,
          example: {
            detail: "Could not make prediction for revision 12345 (en). Reason: revision_info_deleted",
            reason: "revision_info_deleted",
            retryable: false,
          },
        },
        { status: 500, description: "MediaWiki or model failure (retryable).", schema: ErrorBody },
        { status: 503, description: "Model not ready.", schema: ErrorBody },
        {
          status: 504,
          description: "The client's deadline passed before the revision was scored.",
          schema: ErrorBody,
        },
      ],
    },
    {
      method: "get",
      path: "/v3/scores/{wiki}/{rev_id}/{model}",
      summary: "Score one revision (ORES v3)",
      description: "ORES v3 shape. Per-revision problems are reported in place of `score`, with HTTP 200.",
      params: [
        { name: "wiki", in: "path", required: true, description: "Wiki database name.", example: "enwiki" },
        { name: "rev_id", in: "path", required: true, description: "Revision id.", example: "12345" },
        { name: "model", in: "path", required: true, description: "Model name.", example: model },
        { name: "features", in: "query", description: "Present or true: add the features.", example: "true" },
        MODEL_INFO,
        DEADLINE_HEADER,
      ],
      responses: [
        {
          status: 200,
          description: "Scores or per-revision errors.",
          schema: OresResponse,
          example: {
            enwiki: {
              models: { [model]: { version: "4" } },
              scores: {
                "12345": {
                  [model]: { score: { prediction: false, probability: { true: 0.1, false: 0.9 } } },
                },
              },
            },
          },
        },
        { status: 400, description: "Bad revision id.", schema: OresError },
        {
          status: 404,
          description: "Unknown wiki or model.",
          schema: OresError,
          example: { error: { code: "not found", message: "No scorers available for xxwiki" } },
        },
      ],
    },
    {
      method: "get",
      path: "/v3/scores/{wiki}",
      summary: "Score several revisions (ORES v3)",
      description: "revids separated by |, at most 50. Without revids: the wiki's models.",
      params: [
        { name: "wiki", in: "path", required: true, description: "Wiki database name.", example: "enwiki" },
        {
          name: "models",
          in: "query",
          description: "Model names separated by |; default all.",
          example: model,
        },
        { name: "revids", in: "query", description: "Revision ids separated by |.", example: "12345|12346" },
        { name: "features", in: "query", description: "Present or true: add the features." },
        MODEL_INFO,
        DEADLINE_HEADER,
      ],
      responses: [
        { status: 200, description: "Scores or per-revision errors.", schema: OresResponse },
        { status: 400, description: "Bad or too many revision ids, or a bad model_info.", schema: OresError },
        { status: 404, description: "Unknown wiki or model.", schema: OresError },
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
        { status: 404, description: "Unknown model.", schema: ErrorBody },
        {
          status: 503,
          description: "Not ready yet (KServe ModelNotReady).",
          schema: ErrorBody,
          example: { error: `Model with name ${model} is not ready.` },
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
      responses: [{ status: 200, description: "OpenAPI document." }],
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
      if (res.schema || res.example !== undefined || ct !== "application/json") {
        content[ct] = {
          ...(res.schema ? { schema: jsonSchema(res.schema) } : {}),
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
<html lang="en"><head><meta charset="utf-8"><title>revrisk API (${esc(opts.model)} ${esc(opts.version)})</title>
<style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}
pre{background:#f5f5f5;padding:.5em;overflow:auto;margin:0}section{border-top:1px solid #ddd;margin-top:1.5em}</style></head>
<body><h1>revrisk on-demand scoring API</h1>
<p>Model <code>${esc(opts.model)}</code>, version <code>${esc(opts.version)}</code>. Machine-readable description: <a href="/openapi.json">/openapi.json</a>.</p>
${sections.join("\n")}
</body></html>`;
}
