import http from "node:http";
import https from "node:https";
import { pipeline, Readable } from "node:stream";
import zlib from "node:zlib";

/**
 * The SDKs' transport: `fetch` over node:http(s) with keep-alive agents. Node's built-in fetch
 * (undici, web streams) costs about a third more CPU a request; at hundreds of requests a second
 * that decides whether the client or the provider sets the pace (`node bench/budgets.mjs lenient`).
 *
 * Answers are read whole before they are handed over, except event streams, which flow as they
 * come. Bodies other than text or bytes (uploads) and `Request` objects go to the built-in fetch.
 * Redirects are not followed: a provider's API answers in place, and a 3xx is an error to the SDK.
 */
export const nodeFetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
  const body = init.body;
  if (input instanceof Request || !(body == null || typeof body === "string" || body instanceof Uint8Array)) {
    return fetch(input, init);
  }
  const url = typeof input === "string" ? new URL(input) : input;
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const headers: Record<string, string> = {};
  // The SDKs hand over a Headers already: read it as it is rather than copy it for every request.
  const given = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  given.forEach((value, name) => {
    headers[name] = value;
  });
  const secure = url.protocol === "https:";
  const request = (secure ? https : http).request(url, {
    method: init.method ?? "GET",
    headers,
    agent: secure ? httpsAgent : httpAgent,
    ...(signal ? { signal } : {}),
  });
  const response = new Promise<Response>((resolve, reject) => {
    request.once("error", reject);
    request.once("response", (incoming) => {
      request.off("error", reject);
      answer(incoming, signal).then(resolve, reject);
    });
  });
  request.end(body ?? undefined);
  return response;
}) as typeof fetch;

const httpAgent = new http.Agent({ keepAlive: true });
const httpsAgent = new https.Agent({ keepAlive: true });

/** Statuses whose responses have no body (a `Response` refuses one). */
const NO_BODY = new Set([101, 204, 205, 304]);

async function answer(incoming: http.IncomingMessage, signal: AbortSignal | undefined): Promise<Response> {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  const status = incoming.statusCode ?? 500;
  const init = { status, statusText: incoming.statusMessage ?? "", headers };
  if (NO_BODY.has(status)) {
    incoming.resume();
    return new Response(null, init);
  }
  const stream = decoded(incoming, headers);
  // An abort ends the body with the error the SDKs know as one, whichever way it is being read.
  const onAbort = () => stream.destroy(abortError());
  signal?.addEventListener("abort", onAbort, { once: true });
  stream.once("close", () => signal?.removeEventListener("abort", onAbort));
  if (headers.get("content-type")?.includes("text/event-stream")) {
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, init);
  }
  return new Response(await readWhole(stream, incoming, signal), init);
}

/** The body as sent, undoing a content encoding a server applied unasked. */
function decoded(incoming: http.IncomingMessage, headers: Headers): Readable {
  const encoding = headers.get("content-encoding")?.trim().toLowerCase();
  const decoder =
    encoding === "gzip" || encoding === "x-gzip"
      ? zlib.createGunzip()
      : encoding === "deflate"
        ? zlib.createInflate()
        : encoding === "br"
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!decoder) return incoming;
  headers.delete("content-encoding");
  headers.delete("content-length");
  // A failure on either side destroys both, which frees the connection; the reader sees the error.
  return pipeline(incoming, decoder, () => {});
}

function readWhole(stream: Readable, incoming: http.IncomingMessage, signal: AbortSignal | undefined) {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const fail = (error: unknown) => {
      incoming.destroy();
      reject(signal?.aborted ? abortError() : error);
    };
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    stream.once("error", fail);
    // A connection cut mid-answer may end the message without an error.
    incoming.once("close", () => {
      if (!incoming.complete) fail(new TypeError("terminated: the connection closed mid-answer"));
    });
  });
}

function abortError(): DOMException {
  return new DOMException("This operation was aborted", "AbortError");
}
