/**
 * Request and response schemas of the on-demand HTTP API (zod), from which the OpenAPI document is
 * generated (functions/api/openapi.ts). Runtime-agnostic.
 *
 * Request validation follows LiftWing's order and messages exactly, so handlers validate by hand
 * (functions/api/liftwing.ts) and the `revision_data` input is validated by RevisionDataInput. None
 * of them only documents: the API tests validate every answer they receive, and every request the API
 * accepted, against the served document (test/api-responses.ts), so a schema that drifts fails them.
 */
import { z } from "zod";
import type { RevisionData } from "../../shared/mediawiki/revision-data.ts";
import { ClassifierStatisticsSchema, ModelStatistics } from "../../shared/model/bundle.ts";

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

const RevId = z
  .union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]*$/)])
  .describe("Revision id: a positive integer, or a string of digits (echoed back as received).");

// Inputs are loose objects: LiftWing ignores keys it does not read (a bot's "project", …), so does revrisk.
export const PlainInput = z
  .looseObject({
    lang: z.string().min(1).describe('Wikipedia language code, e.g. "en" (not "enwiki").'),
    rev_id: RevId,
  })
  .meta({ id: "PlainInput", description: "Score one revision of a Wikipedia." });

export const EventInput = z
  .looseObject({
    event: z
      .looseObject({})
      .describe(
        "A mediawiki/page/change/1.x event (what changeprop sends). mediawiki/revision/create events are accepted for scoring but emit no prediction event.",
      ),
  })
  .meta({
    id: "EventInput",
    description: "Score the revision of a page_change event and emit a prediction event.",
  });

const RevisionDataPage = z.looseObject({
  id: z.number().int(),
  title: z.string(),
  first_edit_timestamp: z.string(),
});
const RevisionDataParent = z.looseObject({
  id: z.number().int(),
  lang: z.string(),
  text: z.string(),
  timestamp: z.string(),
  bytes: z.number().int(),
  comment: z.string().optional(),
  tags: z.array(z.string()).optional(),
});
const RevisionDataUser = z.looseObject({
  id: z.number().int().describe("0 for an anonymous (IP) editor."),
  name: z.string().optional(),
  editcount: z.number().int().optional(),
  groups: z
    .array(z.string())
    .optional()
    .describe('Explicit and implicit groups, e.g. ["*", "user", "autoconfirmed"].'),
  registration_timestamp: z.string().nullable().optional(),
});

/** LiftWing's pre-save `revision_data` (KI `Revision.from_json`). */
export const RevisionDataInput = z
  .looseObject({
    id: z.number().int(),
    lang: z.string().min(1),
    text: z.string(),
    timestamp: z.string().describe('e.g. "2022-02-15T04:30:00Z"'),
    bytes: z.number().int(),
    comment: z.string().optional(),
    tags: z.array(z.string()).optional(),
    page: RevisionDataPage,
    parent: RevisionDataParent,
    user: RevisionDataUser,
  })
  .meta({ id: "RevisionDataInput", description: "A revision that is not saved yet (pre-save input)." });
export type RevisionDataInput = z.infer<typeof RevisionDataInput>;

export const RevisionDataRequest = z.looseObject({ revision_data: RevisionDataInput }).meta({
  id: "RevisionDataRequest",
  description: "Only when allowRevisionJsonInput is enabled; ignored otherwise.",
});

const InstanceItem = z.looseObject({ lang: z.string().min(1), rev_id: RevId });

export const InstancesInput = z
  .looseObject({
    instances: z
      .array(
        z.union([
          InstanceItem,
          z
            .unknown()
            .describe("Anything else is accepted too, and answered as that item's error (status 400)."),
        ]),
      )
      .min(1)
      .describe(
        "Revisions of any wikis (mixed languages allowed), at most maxInstances (default 50). Each item gets the plain input's checks; an item failing them is that item's error, the others are scored.",
      ),
  })
  .meta({
    id: "InstancesInput",
    description:
      "revrisk's batch: 200 every item scored, 207 some failed, 422 every item failed (InstancesResponse).",
  });

/** A structured-mode CloudEvent (KServe unwraps it when it has all six attributes): `data` is the input. */
export const CloudEventInput = z
  .looseObject({
    specversion: z.string(),
    id: z.string(),
    source: z.string(),
    type: z.string(),
    time: z.string(),
    data: z.looseObject({}).describe("One of the other inputs."),
  })
  .meta({ id: "CloudEventInput", description: "A structured CloudEvent wrapping an input (KServe)." });

export const PredictRequest = z
  .union([PlainInput, EventInput, RevisionDataRequest, InstancesInput, CloudEventInput])
  .meta({ id: "PredictRequest" });

/** The fields KI requires, in the order of LiftWing's error message. */
export const REVISION_DATA_REQUIRED = [
  "id",
  "lang",
  "text",
  "timestamp",
  "bytes",
  "page.id",
  "page.title",
  "page.first_edit_timestamp",
  "parent.id",
  "parent.lang",
  "parent.text",
  "parent.timestamp",
  "parent.bytes",
  "user.id",
] as const;

export const REVISION_DATA_MISSING_MESSAGE =
  "Missing some required fields. Required fields are " +
  REVISION_DATA_REQUIRED.map((f) => `\`${f}\``).join(", ");

export type RevisionDataParse = { ok: true; revision: RevisionData } | { ok: false; detail: string };

function has(obj: unknown, path: string): boolean {
  let cur: unknown = obj;
  for (const k of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur) || !(k in cur)) return false;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur !== null && cur !== undefined;
}

/** Validates LiftWing's `revision_data` and maps it to the featurizer's RevisionData. */
export function parseRevisionData(value: unknown): RevisionDataParse {
  if (!REVISION_DATA_REQUIRED.every((p) => has(value, p)))
    return { ok: false, detail: REVISION_DATA_MISSING_MESSAGE };
  const r = RevisionDataInput.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    return { ok: false, detail: `Invalid revision_data: ${problems.join("; ")}` };
  }
  const d = r.data;
  const revision: RevisionData = {
    lang: d.lang,
    wikiDb: `${d.lang}wiki`,
    revId: d.id,
    parentId: d.parent.id,
    text: d.text,
    parentText: d.parent.text,
    bytes: d.bytes,
    parentBytes: d.parent.bytes,
    tags: d.tags ?? [],
    timestamp: d.timestamp,
    parentTimestamp: d.parent.timestamp,
    pageId: d.page.id,
    pageTitle: d.page.title,
    userId: d.user.id,
    userGroups: d.user.groups ?? [],
  };
  if (d.user.name !== undefined) revision.userText = d.user.name;
  return { ok: true, revision };
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

const Probabilities = z.object({ true: z.number(), false: z.number() });
const Features = z
  .record(z.string(), z.union([z.number(), z.string()]))
  .describe("The classifier's input row by feature name, in model order (only with ?features=true).");

export const PredictResponse = z
  .object({
    model_name: z.string(),
    model_version: z.string(),
    wiki_db: z.string().describe('lang + "wiki" (LiftWing quirk, even for rewritten codes: "gswwiki").'),
    revision_id: z.union([z.number(), z.string()]).describe("rev_id as received; -1 for revision_data."),
    output: z.object({ prediction: z.boolean(), probabilities: Probabilities }),
    supported: z
      .literal(false)
      .optional()
      .describe("Present (false) when the wiki is not one the model was trained on."),
    features: Features.optional(),
  })
  .meta({ id: "PredictResponse", description: "LiftWing's response, keys in this order." });

export const ItemError = z
  .object({
    index: z.number().int().describe("Position of the item in the request."),
    lang: z.unknown(),
    rev_id: z.unknown(),
    status: z.number().int().describe("The status a single request for this item would have had."),
    detail: z.string(),
    reason: z
      .string()
      .describe(
        "Machine-readable code: a LiftWing data error code, mediawiki_error, unavailable, model_error or invalid_input.",
      ),
    retryable: z.boolean(),
  })
  .meta({ id: "ItemError" });

export const InstancesResponse = z
  .object({
    predictions: z.array(PredictResponse.extend({ index: z.number().int() })),
    errors: z.array(ItemError),
  })
  .meta({ id: "InstancesResponse", description: "200 all scored, 207 some failed, 422 all failed." });

export const ErrorBody = z
  .object({
    error: z.string(),
    reason: z.string().optional(),
    retryable: z.boolean().optional(),
  })
  .meta({
    id: "ErrorBody",
    description: 'KServe InvalidInput/InferenceError style: {"error": "<message>"}.',
  });

export const DetailBody = z
  .object({
    detail: z.string(),
    reason: z.string().optional(),
    retryable: z.boolean().optional(),
  })
  .meta({ id: "DetailBody", description: 'FastAPI HTTPException style: {"detail": "<message>"}.' });

export const ModelInfo = z
  .object({
    name: z.string(),
    ready: z.boolean(),
    version: z.string(),
    threshold: z.number(),
    supported_wikis: z.array(z.string()),
    statistics: z
      .object({
        dataset: ModelStatistics.shape.dataset,
        overall: ClassifierStatisticsSchema.omit({ thresholds: true }),
        wikis: z.array(z.string()).describe("Wikis with statistics of their own."),
        href: z.string().describe("Where the full statistics and threshold queries are."),
      })
      .optional()
      .describe("Evaluation statistics carried by the bundle (revrisk evaluate)."),
  })
  .meta({ id: "ModelInfo" });

const ThresholdRowSchema = ClassifierStatisticsSchema.shape.thresholds.shape.true.element;

export const ModelStatisticsAnswer = z
  .object({
    model_name: z.string(),
    model_version: z.string(),
    wiki: z.string().nullable(),
    scope: z.string().describe('The wiki whose statistics these are, or "overall".'),
    dataset: ModelStatistics.shape.dataset.optional(),
    label: z.enum(["true", "false"]).optional(),
    optimization: z.string().optional(),
    threshold: z.number().nullable().optional(),
    statistics: z.union([ClassifierStatisticsSchema, ThresholdRowSchema, z.null()]),
  })
  .meta({ id: "ModelStatisticsAnswer" });

export const ModelList = z.object({ models: z.array(z.string()) }).meta({ id: "ModelList" });

const OresScore = z.object({
  score: z.object({ prediction: z.boolean(), probability: Probabilities }).optional(),
  features: Features.optional(),
  error: z
    .object({
      type: z
        .string()
        .describe(
          "RevisionNotFound, TextDeleted, PageNotFound, UserDeleted, TimeoutError, MediaWikiError, ModelError",
        ),
      message: z.string(),
      reason: z.string(),
      retryable: z.boolean(),
    })
    .optional(),
});

export const OresResponse = z
  .record(
    z.string().describe("wiki database name, e.g. enwiki"),
    z.object({
      models: z.record(
        z.string(),
        z
          .object({ version: z.string(), supported: z.literal(false).optional() })
          .partial({ version: true })
          .catchall(z.unknown())
          .describe("{version}, or the fields model_info= selects"),
      ),
      scores: z.record(z.string(), z.record(z.string(), OresScore)).optional(),
    }),
  )
  .meta({ id: "OresResponse", description: "ORES v3 scores shape." });

export const OresError = z
  .object({ error: z.object({ code: z.string(), message: z.string() }) })
  .meta({ id: "OresError" });

export const Health = z
  .object({
    status: z.enum(["ok", "degraded", "starting"]),
    ready: z.boolean(),
    model: z.object({ name: z.string(), version: z.string() }),
    provider: z.string().describe("Execution provider actually in use."),
    requested_provider: z.string(),
    fallback: z.string().optional().describe("Why the requested provider is not in use."),
    warning: z.string().optional(),
    warmed_up: z.boolean(),
  })
  .meta({ id: "Health" });

export const Ready = z.object({ ready: z.boolean() }).meta({ id: "Ready" });

/** The named schemas: the OpenAPI document's components. */
export const COMPONENTS: z.ZodType[] = [
  PlainInput,
  EventInput,
  RevisionDataInput,
  RevisionDataRequest,
  InstancesInput,
  CloudEventInput,
  PredictRequest,
  PredictResponse,
  ItemError,
  InstancesResponse,
  ErrorBody,
  DetailBody,
  ModelInfo,
  ModelList,
  OresResponse,
  OresError,
  ModelStatisticsAnswer,
  Health,
  Ready,
];
