/**
 * Slow and broken HTTP clients against the real Node ingest server (raw net sockets): incomplete
 * headers or bodies get a JSON 408 and the connection closed after the configured timeouts, an
 * over-long URL gets a JSON 431, and another method than POST on /v1/events is 405.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIngestServer, type IngestServer } from "../functions/ingest/node.ts";
import { RRML_DEFAULT_LANGS } from "../shared/events/page-change.ts";
import { EmbeddedQueue } from "../functions/node/embedded-queue.ts";
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from "../functions/node/http-limits.ts";

/** Writes `data` on a raw connection and resolves with everything the server sent until it closed. */
function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(data));
    let got = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (got += d));
    socket.on("error", reject);
    socket.on("close", () => resolve(got));
  });
}

const jsonBody = (raw: string) => JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as { error: string };

describe("ingest server against slow and broken clients", () => {
  let queue: EmbeddedQueue;
  let server: IngestServer;
  beforeAll(async () => {
    queue = new EmbeddedQueue({ path: ":memory:" });
    server = await startIngestServer({
      queue,
      config: { filter: { wikis: RRML_DEFAULT_LANGS } },
      http: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
    });
  });
  afterAll(async () => {
    await server?.close();
    await queue?.close();
  });

  it("incomplete headers: 408 with a JSON message, then the connection is closed", async () => {
    const raw = await rawExchange(server.port, "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
    expect(raw).toMatch(/^HTTP\/1\.1 408 /);
    expect(jsonBody(raw).error).toMatch(/headers within 300 ms/);
  });

  it("an incomplete body: 408 with a JSON message, then the connection is closed", async () => {
    const raw = await rawExchange(
      server.port,
      'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 408 /);
    expect(jsonBody(raw).error).toMatch(/whole request within 600 ms/);
  });

  it("a 16 KB URL: 431 with a JSON message naming the limit", async () => {
    const res = await fetch(`${server.url}/v1/events?x=${"1|".repeat(8200)}`, { method: "POST", body: "{}" });
    expect(res.status).toBe(431);
    expect(((await res.json()) as { error: string }).error).toMatch(/exceed 16384 bytes/);
  });

  it("a malformed request line: 400 with a JSON message", async () => {
    const raw = await rawExchange(server.port, "NOT HTTP AT ALL\r\n\r\n");
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(jsonBody(raw).error).toMatch(/malformed HTTP request/);
  });

  it("another method than POST on /v1/events: 405 with Allow: POST", async () => {
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const res = await fetch(`${server.url}/v1/events`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(((await res.json()) as { error: string }).error).toMatch(/method not allowed/);
    }
    expect((await fetch(`${server.url}/v1/nothing`)).status).toBe(404);
  });

  it("defaults: headers within 10 s, the whole request within 30 s", async () => {
    const q = new EmbeddedQueue({ path: ":memory:" });
    const s = await startIngestServer({ queue: q, config: { filter: { wikis: RRML_DEFAULT_LANGS } } });
    try {
      expect(s.server.headersTimeout).toBe(DEFAULT_HEADERS_TIMEOUT_MS);
      expect(s.server.requestTimeout).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
      expect(DEFAULT_HEADERS_TIMEOUT_MS).toBe(10_000);
      expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(30_000);
    } finally {
      await s.close();
      await q.close();
    }
  });
});
