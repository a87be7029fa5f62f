/**
 * EventGate-compatible sink (Node only): `POST /v1/events[?hasty=…]` with EventGate 1.8.4's HTTP
 * contract (docs/events.md): 201 all accepted / 207 partial / 400 all invalid / 500 errored /
 * 202 hasty, reason phrases and `{invalid:[…], error:[…]}` bodies as EventGate sends them.
 * The request as EventGate's body parser reads it: only a JSON, text/plain or reports+json content
 * type is parsed (anything else is an empty body), JSON objects or arrays only, at most
 * `maxBodyBytes` (EventGate's max_body_size; 4 MiB by default here); an empty body, `{}` or `[]` is
 * "Request body was empty"; unreadable bodies get EventGate's 500 error object.
 * Per event, in production's order: the stream name (`meta.stream`, with the stream rule), the
 * `$schema` (missing, or a schema that cannot be loaded: an "error"), the stream rule (optional, on
 * by default: the stream must be configured and its `schema_title` must equal the schema's title;
 * an "error" with eventgate-wikimedia's messages), then validation like EventGate's (ajv 6.12.6,
 * `schemaId: auto`, `allErrors`, `useDefaults`) against `schemas/jsonschema/<uri>.yaml` ("invalid").
 * Accepted events go to a store callback; by default the DuckDB results table
 * (standins/results-db/results-db.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import Ajv from "ajv";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { load as loadYaml } from "js-yaml";
import { ResultsDb } from "../results-db/results-db.ts";

export const DEFAULT_SCHEMAS_DIR = fileURLToPath(new URL("../../schemas/jsonschema", import.meta.url));

/** Stream config as production has it for the streams revrisk uses (docs/events.md, "EventGate-compatible sink"). */
export const DEFAULT_STREAMS: Record<string, { schema_title: string }> = {
  "mediawiki.page_change.v1": { schema_title: "mediawiki/page/change" },
  "mediawiki.page_revert_risk_prediction_change.v1": {
    schema_title: "mediawiki/page/prediction_classification_change",
  },
  "mediawiki.page_revert_risk_multilingual_prediction_change.v1": {
    schema_title: "mediawiki/page/prediction_classification_change",
  },
  "/^eventgate\\.test\\.event$/": { schema_title: "test/event" },
};

type Obj = Record<string, unknown>;
type AjvValidate = ((data: unknown) => boolean | PromiseLike<unknown>) & { errors?: unknown[] | null };

export interface EventResult {
  status: "success" | "invalid" | "error";
  event: unknown;
  context?: { errors?: unknown[]; errorsText?: string; message?: string };
}

/** Loads, compiles and caches schemas by URI; validates events as EventGate does. */
export class SchemaValidator {
  private ajv: InstanceType<typeof Ajv>;
  private cache = new Map<string, { validate: AjvValidate; title: string; id: string }>();
  readonly schemasDir: string;

  constructor(schemasDir = DEFAULT_SCHEMAS_DIR) {
    this.schemasDir = schemasDir;
    this.ajv = new Ajv({ schemaId: "auto", allErrors: true, useDefaults: true });
    const require = createRequire(import.meta.url);
    const draft7 = require("ajv/lib/refs/json-schema-draft-07.json") as Obj;
    this.ajv.addMetaSchema({ ...draft7, $id: "https://json-schema.org/draft-07/schema" });
  }

  /** The compiled schema for a `$schema` URI; throws `Failed loading schema at <uri>`. */
  schemaFor(uri: string): { validate: AjvValidate; title: string; id: string } {
    const hit = this.cache.get(uri);
    if (hit) return hit;
    const rel = uri.replace(/^\/+/, "");
    const file = join(this.schemasDir, `${rel}.yaml`);
    if (!rel || rel.includes("..") || !existsSync(file)) throw new Error(`Failed loading schema at ${uri}`);
    let compiled;
    try {
      const schema = loadYaml(readFileSync(file, "utf8")) as Obj;
      compiled = {
        validate: this.ajv.compile(schema) as AjvValidate,
        title: String(schema.title ?? ""),
        id: String(schema.$id ?? uri),
      };
    } catch (e) {
      throw new Error(`Failed loading schema at ${uri}: ${(e as Error).message}`, { cause: e });
    }
    this.cache.set(uri, compiled);
    return compiled;
  }

  /**
   * Validates one event. On success returns the validated copy (with schema defaults filled, as
   * EventGate produces it). `streams` enables the production stream/title rule.
   */
  validate(
    event: unknown,
    streams?: Record<string, { schema_title: string }>,
  ): { result: EventResult; accepted?: Obj } {
    const error = (message: string) => ({
      result: { status: "error" as const, event, context: { message } },
    });
    const obj = event !== null && typeof event === "object" ? (event as Obj) : {};
    const stream = (obj.meta as Obj | undefined)?.stream;
    if (streams && stream === undefined)
      return error("Event stream name cannot be extracted. Event must have a 'meta.stream' property.");
    const uri = obj.$schema;
    if (uri === undefined)
      return error("Field(s) $schema were missing from event and could not be extracted.");
    let schema;
    try {
      if (typeof uri !== "string" || !uri) throw new Error(`Failed loading schema at ${String(uri)}`);
      schema = this.schemaFor(uri);
    } catch (e) {
      return error((e as Error).message);
    }
    if (streams) {
      const msg = checkStream(String(stream), schema, streams);
      if (msg) return error(msg);
    }
    const copy = structuredClone(event) as Obj;
    if (!schema.validate(copy)) {
      const errors = schema.validate.errors ?? [];
      return {
        result: {
          status: "invalid",
          event,
          context: {
            errors,
            errorsText: errorsText(errors as Array<{ dataPath?: string; message?: string }>),
          },
        },
      };
    }
    return { result: { status: "success", event }, accepted: copy };
  }
}

/** EventGate's errorsText format: `'<dataPath>' <message>`, comma separated (docs/events.md, "EventGate-compatible sink"). */
export function errorsText(errors: ReadonlyArray<{ dataPath?: string; message?: string }>): string {
  return errors.map((e) => `'${e.dataPath ?? ""}' ${e.message ?? ""}`).join(", ");
}

function streamSettings(stream: string, streams: Record<string, { schema_title: string }>) {
  if (streams[stream] && !stream.startsWith("/")) return streams[stream];
  for (const [k, v] of Object.entries(streams)) {
    const m = /^\/(.*)\/$/.exec(k);
    if (m && new RegExp(m[1]!).test(stream)) return v;
  }
  return undefined;
}

/** eventgate-wikimedia's stream rule; its error message, or null when the event may go to the stream. */
function checkStream(
  stream: string,
  schema: { title: string; id: string },
  streams: Record<string, { schema_title: string }>,
): string | null {
  const s = streamSettings(stream, streams);
  if (!s)
    return `Schema at ${schema.id} is not allowed in stream ${stream}; ${stream} is not a configured stream.`;
  if (s.schema_title !== schema.title)
    return `Schema ${schema.title} is not allowed in stream ${stream}; must be ${s.schema_title}.`;
  return null;
}

export interface SinkOptions {
  validator?: SchemaValidator;
  /** Stream config for the production rule; `false` disables it (default EventGate behaviour). */
  streams?: Record<string, { schema_title: string }> | false;
  /** Stores accepted events; a throw marks them as errored. */
  store: (events: Obj[]) => Promise<unknown>;
  /** Called with hasty-mode failures (they are otherwise dropped silently, as EventGate does). */
  onHastyResult?: (results: EventResult[]) => void;
  /** EventGate's max_body_size. Default 4 MiB. */
  maxBodyBytes?: number;
}

/** Content types EventGate's body parser reads as JSON (sendBeacon's text/plain and the Reporting API's). */
const JSON_TYPES = new Set(["application/json", "text/plain", "application/reports+json"]);

type Status = 201 | 202 | 207 | 400 | 500;

/** The EventGate-compatible Hono app. */
export function createEventGateApp(options: SinkOptions): Hono {
  const validator = options.validator ?? new SchemaValidator();
  const streams = options.streams === false ? undefined : (options.streams ?? DEFAULT_STREAMS);
  const app = new Hono();

  const respond = (c: { env: unknown }, status: Status, phrase: string, body?: unknown) => {
    // The reason phrase carries the summary (EventGate); @hono/node-server only passes the status.
    const out = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (out) out.statusMessage = phrase;
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      statusText: phrase,
      headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
    });
  };

  async function process(events: unknown[]): Promise<EventResult[]> {
    const results: EventResult[] = [];
    const accepted: Array<{ i: number; event: Obj }> = [];
    events.forEach((e, i) => {
      const r = validator.validate(e, streams);
      results.push(r.result);
      if (r.accepted) accepted.push({ i, event: r.accepted });
    });
    if (accepted.length) {
      try {
        await options.store(accepted.map((a) => a.event));
      } catch (e) {
        for (const a of accepted) {
          results[a.i] = { status: "error", event: events[a.i], context: { message: (e as Error).message } };
        }
      }
    }
    return results;
  }

  // EventGate's error handler answers what its body parser refuses with a 500 error object.
  const requestError = (c: { env: unknown }, title: string, detail: string) =>
    respond(c, 500, "Internal Server Error", {
      status: 500,
      type: "internal_error",
      title,
      detail,
      method: "POST",
      uri: "/v1/events",
    });

  app.post(
    "/v1/events",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 4 * 1024 * 1024,
      onError: (c) => requestError(c, "PayloadTooLargeError", "request entity too large"),
    }),
    async (c) => {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      const text = JSON_TYPES.has(type) ? await c.req.text() : "";
      let parsed: unknown;
      try {
        // The parser's strict mode: a JSON object or array (an empty body reads as {}).
        if (text.trim() && !/^\s*[[{]/.test(text))
          throw new SyntaxError(`Unexpected token ${text.trim()[0]} in JSON at position 0`);
        parsed = text.trim() ? JSON.parse(text) : undefined;
      } catch (e) {
        return requestError(c, "SyntaxError", (e as Error).message);
      }
      const isEmptyObject =
        parsed !== null &&
        typeof parsed === "object" &&
        !Array.isArray(parsed) &&
        Object.keys(parsed).length === 0;
      const events = parsed === undefined || isEmptyObject ? [] : Array.isArray(parsed) ? parsed : [parsed];
      if (events.length === 0)
        return respond(c, 400, "Request body was empty. Must provide JSON encoded events.");

      if (c.req.query("hasty")) {
        void process(events).then(
          (r) => options.onHastyResult?.(r),
          () => undefined,
        );
        return respond(c, 202, `${events.length} events hastily received.`);
      }

      const results = await process(events);
      const invalid = results.filter((r) => r.status === "invalid");
      const error = results.filter((r) => r.status === "error");
      const n = events.length;
      const ok = n - invalid.length - error.length;
      if (ok === n) return respond(c, 201, `All ${n} out of ${n} events were accepted.`);
      if (ok > 0) {
        return respond(
          c,
          207,
          `${ok} out of ${n} events were accepted, but ${n - ok} failed (${invalid.length} invalid and ${error.length} errored).`,
          { invalid, error },
        );
      }
      if (error.length === 0)
        return respond(c, 400, `${n} out of ${n} events were invalid and not accepted.`, { invalid });
      return respond(
        c,
        500,
        `${n} out of ${n} events had failures and were not accepted. (${invalid.length} invalid and ${error.length} errored).`,
        { invalid, error },
      );
    },
  );

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.notFound((c) => c.body(null, 404));
  return app;
}

export interface EventGateSink {
  /** Base URL, e.g. http://127.0.0.1:34567 */
  url: string;
  /** `${url}/v1/events` */
  eventsUrl: string;
  port: number;
  db: ResultsDb;
  close(): Promise<void>;
}

export interface StartSinkOptions {
  port?: number;
  host?: string;
  /** DuckDB file, or ":memory:" (default). */
  dbPath?: string;
  schemasDir?: string;
  streams?: Record<string, { schema_title: string }> | false;
  onHastyResult?: (results: EventResult[]) => void;
  /** EventGate's max_body_size. Default 4 MiB. */
  maxBodyBytes?: number;
}

/** Starts the sink on 127.0.0.1 (ephemeral port by default) storing into DuckDB. */
export async function startEventGateSink(options: StartSinkOptions = {}): Promise<EventGateSink> {
  const db = await ResultsDb.open(options.dbPath ?? ":memory:");
  const app = createEventGateApp({
    validator: new SchemaValidator(options.schemasDir),
    streams: options.streams,
    store: (events) => db.insert(events),
    onHastyResult: options.onHastyResult,
    maxBodyBytes: options.maxBodyBytes,
  });
  const host = options.host ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, port: options.port ?? 0, hostname: host },
      (info: AddressInfo) => {
        const url = `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`;
        resolve({
          url,
          eventsUrl: `${url}/v1/events`,
          port: info.port,
          db,
          close: async () => {
            await new Promise<void>((res) => {
              server.close(() => res());
              (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            });
            await db.close();
          },
        });
      },
    );
    server.once("error", (e) => {
      // Closing the database is best effort here: the listen error is what the caller must see.
      db.close().catch(() => undefined);
      reject(e);
    });
  });
}
