import type { IncomingMessage, ServerResponse } from "node:http";
import type { SseFrame } from "./dialect.js";

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The request's body parsed as JSON, or an Error saying why it could not be. */
export async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Keep reading (and dropping) the rest, so the answer is not sent before the request is in.
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  if (size > MAX_BODY_BYTES) return new Error(`the request body is larger than ${MAX_BODY_BYTES} bytes`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    return new Error("the request body is not valid JSON");
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  response.end(text);
}

export function startEventStream(response: ServerResponse, headers: Record<string, string>): void {
  response.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  response.flushHeaders();
}

export function writeFrame(response: ServerResponse, frame: SseFrame): void {
  const event = frame.event === undefined ? "" : `event: ${frame.event}\n`;
  response.write(`${event}data: ${frame.data}\n\n`);
}

/** Waits `ms`; resolves false early when the client goes away meanwhile. */
export function wait(ms: number, response: ServerResponse): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!response.destroyed);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      response.off("close", onClose);
      resolve(true);
    }, ms);
    response.once("close", onClose);
  });
}
