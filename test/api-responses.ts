/**
 * Checks that the on-demand API answers what its OpenAPI document (/openapi.json) says: the API
 * test files record every answer they receive (method, path, status, content type, body) and, after
 * their tests, validate all of them against the served document with ajv — a route, status or body
 * the document does not describe fails the file, so the two cannot drift. The request bodies the API
 * accepted (200, 207, 422) are validated against the operation's request schema the same way.
 */
import Ajv from "ajv";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON documents
type AnyJson = any;

export interface RecordedResponse {
  method: string;
  /** Path without the query. */
  path: string;
  status: number;
  contentType: string;
  text: string;
  /** The request body sent, when it was a string. */
  sent?: string;
}

export class ResponseRecorder {
  readonly responses: RecordedResponse[] = [];

  /** Records one answer (the caller has read its text). */
  record(method: string, url: string, res: Response, text: string, sent?: string): void {
    this.responses.push({
      method: method.toLowerCase(),
      path: new URL(url, "http://x").pathname,
      status: res.status,
      contentType: res.headers.get("content-type") ?? "",
      text,
      ...(sent !== undefined ? { sent } : {}),
    });
  }

  /** fetch, recorded. */
  async fetch(url: string, init: RequestInit = {}): Promise<{ res: Response; text: string }> {
    const res = await fetch(url, init);
    const text = await res.text();
    this.record(init.method ?? "GET", url, res, text, typeof init.body === "string" ? init.body : undefined);
    return { res, text };
  }

  /** Every way the recorded answers disagree with `doc` (an OpenAPI 3.1 document); empty when none. */
  problems(doc: AnyJson): string[] {
    const ajv = new Ajv({ allErrors: true, unknownFormats: "ignore" });
    // The document's components, addressable as "#/components/schemas/X" from every response schema.
    ajv.addSchema({ $id: "openapi", components: doc.components }, "openapi");
    const templates = Object.keys(doc.paths).map((t) => ({
      template: t,
      literal: t.replace(/\{[^}]+\}/g, "").length,
      re: new RegExp(
        "^" + t.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+?") + "$",
      ),
    }));
    const out: string[] = [];
    for (const r of this.responses) {
      const path = r.path.length > 1 ? r.path.replace(/\/$/, "") : r.path;
      const what = `${r.method.toUpperCase()} ${r.path} → ${r.status}`;
      // The most specific template that matches and has the method (a server routes by both).
      const matching = templates.filter((t) => t.re.test(path)).sort((a, b) => b.literal - a.literal);
      const match = matching.find((t) => doc.paths[t.template][r.method]) ?? matching[0];
      if (!match) {
        // Unknown paths answer FastAPI's 404; there is no operation to describe them under.
        if (r.status !== 404 || r.text !== '{"detail":"Not Found"}') out.push(`${what}: undocumented path`);
        continue;
      }
      const op = doc.paths[match.template][r.method];
      if (!op) {
        out.push(`${what}: ${r.method.toUpperCase()} ${match.template} is not documented`);
        continue;
      }
      const accepted = r.status === 200 || r.status === 207 || r.status === 422;
      const requestSchema = op.requestBody?.content?.["application/json"]?.schema;
      if (accepted && requestSchema && r.sent !== undefined) {
        const sent = parseJson(r.sent);
        if (sent === undefined) out.push(`${what}: accepted a body that is not JSON`);
        else if (!ajv.validate(refsTo(requestSchema), sent))
          out.push(
            `${what}: accepted a request the document refuses: ${ajv.errorsText(ajv.errors)} in ${r.sent.slice(0, 200)}`,
          );
      }
      const resp = op.responses[String(r.status)] ?? op.responses.default;
      if (!resp) {
        out.push(`${what}: status not documented for ${match.template}`);
        continue;
      }
      const mediaType = r.contentType.split(";")[0]!.trim();
      const content = resp.content as Record<string, { schema?: AnyJson }> | undefined;
      if (!content) {
        if (r.text !== "") out.push(`${what}: documented without a body, answered ${mediaType}`);
        continue;
      }
      const media = content[mediaType];
      if (!media) {
        out.push(`${what}: answered ${mediaType}, documented ${Object.keys(content).join(", ")}`);
        continue;
      }
      if (!media.schema || mediaType !== "application/json") continue;
      const body = parseJson(r.text);
      if (body === undefined) {
        out.push(`${what}: not JSON`);
        continue;
      }
      if (!ajv.validate(refsTo(media.schema), body))
        out.push(`${what}: ${ajv.errorsText(ajv.errors, { separator: "; " })} in ${r.text.slice(0, 300)}`);
    }
    return [...new Set(out)];
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A schema of the document, its component $refs pointing at the schema registered as "openapi". */
function refsTo(schema: AnyJson): AnyJson {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));
}
