/**
 * Limits every public revrisk HTTP server on Node (ingest, the API) applies against slow or broken
 * clients, and clear JSON answers for the requests Node's HTTP parser refuses before any handler
 * runs. Without them an incomplete request line or body holds a connection for Node's defaults
 * (60 s headers / 300 s request, checked every 30 s), and an over-long URL gets 431 with an empty body.
 */
import type { Server, ServerOptions, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface HttpLimits {
  /** Time to receive the request line and headers. Default 10000 ms. */
  headersTimeoutMs?: number;
  /** Time to receive the whole request (headers and body; not the answer). Default 30000 ms. */
  requestTimeoutMs?: number;
}

export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Node's limit on the request line plus headers (its `maxHeaderSize` default). */
export const MAX_HEADER_BYTES = 16_384;

/** `serverOptions` for @hono/node-server's serve(). */
export function httpServerOptions(limits: HttpLimits = {}): ServerOptions {
  const headersTimeout = limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeout = Math.max(limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout);
  return {
    headersTimeout,
    requestTimeout,
    maxHeaderSize: MAX_HEADER_BYTES,
    // Node checks the two timeouts only this often (default 30 s).
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  };
}

/** How long a refused client may go on sending (its body) before the connection is cut. */
const LINGER_MS = 2000;

function answer(socket: Socket, status: number, reason: string, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // Read and drop what the client still sends (e.g. the body after over-long headers): closing at
  // once would reset the connection before a client still uploading could read the answer.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** Answers what Node's parser refuses (timeouts, over-long headers, malformed requests) with a JSON message. */
export function answerClientErrors(server: Server, limits: HttpLimits = {}): void {
  const o = httpServerOptions(limits);
  // The answer in progress on each connection: once its headers are out, nothing else can be written.
  const answering = new WeakMap<Socket, ServerResponse>();
  server.on("request", (req, res: ServerResponse) => {
    answering.set(req.socket, res);
    res.once("finish", () => answering.delete(req.socket));
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    // A reset, or an answer already under way on this connection: only closing is left. (A keep-alive
    // connection whose earlier answers are complete still gets one.)
    if (err.code === "ECONNRESET" || !socket.writable || answering.get(socket)?.headersSent) {
      socket.destroy();
      return;
    }
    if (err.code === "HPE_HEADER_OVERFLOW")
      answer(
        socket,
        431,
        "Request Header Fields Too Large",
        `the request line and headers exceed ${MAX_HEADER_BYTES} bytes (the limit): shorten the URL (e.g. fewer revids per request) or the headers`,
      );
    else if (err.code === "ERR_HTTP_REQUEST_TIMEOUT")
      answer(
        socket,
        408,
        "Request Timeout",
        `the request was not received in time (headers within ${o.headersTimeout} ms, the whole request within ${o.requestTimeout} ms)`,
      );
    else answer(socket, 400, "Bad Request", `malformed HTTP request (${err.code ?? err.message})`);
  });
}
