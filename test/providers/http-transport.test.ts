import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeFetch } from "../../providers/http-transport.js";

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

let server: Server;
let base: string;
const routes = new Map<string, Handler>();

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => routes.get(request.url ?? "")?.(request, body, response));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("nodeFetch", () => {
  it("sends the method, headers and body, and answers with status, headers and body", async () => {
    routes.set("/echo", (request, body, response) => {
      response.writeHead(201, "Made", [
        ["content-type", "application/json"],
        ["x-ratelimit-remaining-tokens", "42"],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
      ]);
      response.end(JSON.stringify({ method: request.method, auth: request.headers.authorization, body }));
    });
    const response = await nodeFetch(`${base}/echo`, {
      method: "POST",
      headers: new Headers({ Authorization: "Bearer sk-test" }),
      body: '{"q":1}',
    });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe("Made");
    expect(response.ok).toBe(true);
    expect(response.headers.get("x-ratelimit-remaining-tokens")).toBe("42");
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await response.json()).toEqual({ method: "POST", auth: "Bearer sk-test", body: '{"q":1}' });
  });

  it("answers 204 with no body", async () => {
    routes.set("/empty", (_request, _body, response) => {
      response.writeHead(204);
      response.end();
    });
    const response = await nodeFetch(`${base}/empty`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it("hands an event stream over as it arrives, before the server has finished", async () => {
    let finish: () => void = () => {};
    routes.set("/events", (_request, _body, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: first\n\n");
      finish = () => response.end("data: last\n\n");
    });
    const response = await nodeFetch(`${base}/events`, { method: "POST", body: "{}" });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("data: first\n\n");
    finish();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toBe("data: last\n\n");
  });

  it("undoes a gzip content encoding", async () => {
    routes.set("/gzip", (_request, _body, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      response.end(gzipSync('{"ok":true}'));
    });
    const response = await nodeFetch(`${base}/gzip`);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.get("content-encoding")).toBeNull();
  });

  it("answers a 304 with no body even when it claims a content encoding", async () => {
    routes.set("/not-modified", (_request, _body, response) => {
      response.writeHead(304, { "content-encoding": "gzip" });
      response.end();
    });
    const response = await nodeFetch(`${base}/not-modified`);
    expect(response.status).toBe(304);
    expect(response.body).toBeNull();
  });

  it("rejects a body that does not decode, and frees the connection", async () => {
    let closed: Promise<unknown> = Promise.resolve();
    routes.set("/bad-gzip", (request, _body, response) => {
      closed = new Promise((resolve) => request.socket.once("close", resolve));
      response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      response.write("this is not gzip at all");
    });
    await expect(nodeFetch(`${base}/bad-gzip`)).rejects.toThrow();
    await closed; // the agent let go of the socket (the server never ends this answer)
  });

  it("ends an event stream with an AbortError when aborted in the middle of it", async () => {
    routes.set("/events-forever", (_request, _body, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: first\n\n");
    });
    const controller = new AbortController();
    const response = await nodeFetch(`${base}/events-forever`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: "AbortError" });
  });

  it("rejects with an AbortError when aborted before the answer", async () => {
    routes.set("/never", () => {});
    const controller = new AbortController();
    const pending = nodeFetch(`${base}/never`, { method: "POST", body: "{}", signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("rejects with an AbortError when aborted in the middle of the answer", async () => {
    routes.set("/half", (_request, _body, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"partial":');
    });
    const controller = new AbortController();
    const pending = nodeFetch(`${base}/half`, { method: "POST", body: "{}", signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("rejects at once when the signal is already aborted", async () => {
    await expect(nodeFetch(`${base}/echo`, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: "AbortError",
    });
  });

  it("rejects when the connection is cut in the middle of the answer", async () => {
    routes.set("/cut", (_request, _body, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      response.write('{"partial":');
      setTimeout(() => response.socket?.destroy(), 20);
    });
    await expect(nodeFetch(`${base}/cut`, { method: "POST", body: "{}" })).rejects.toThrow();
  });

  it("rejects when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(nodeFetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("leaves bodies it does not stream itself (forms) to the built-in fetch", async () => {
    const form = new FormData();
    form.set("field", "value");
    const response = await nodeFetch(`${base}/echo`, { method: "POST", body: form });
    const echoed = (await response.json()) as { body: string };
    expect(echoed.body).toContain('name="field"');
    expect(echoed.body).toContain("value");
  });
});
