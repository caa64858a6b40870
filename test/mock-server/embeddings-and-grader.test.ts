import { afterEach, describe, expect, it } from "vitest";
import { mockEmbedding } from "../../providers/mock/mock-embedding.js";
import { type MockServer, startMockServer } from "../../src/mock-server/index.js";

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function post(s: MockServer, path: string, body: unknown, key = "sk-1") {
  return fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe("mock-server: embeddings and the grader model", () => {
  it("serves /v1/embeddings deterministically, as floats or as base64 float32", async () => {
    server = await startMockServer({ host: "127.0.0.1", port: 0 });
    const floats = await post(server, "/v1/embeddings", {
      model: "text-embedding-3-small",
      input: ["refund policy", "hi"],
    });
    expect(floats.status).toBe(200);
    const body = (await floats.json()) as {
      data: { index: number; embedding: number[] }[];
      usage: { prompt_tokens: number };
    };
    expect(body.data.map((d) => d.index)).toEqual([0, 1]);
    expect(body.data[0]?.embedding).toEqual(mockEmbedding("refund policy"));
    expect(body.usage.prompt_tokens).toBe(5); // ceil(13/4) + ceil(2/4)

    const encoded = await post(server, "/v1/embeddings", {
      model: "m",
      input: "refund policy",
      encoding_format: "base64",
    });
    const b64 = ((await encoded.json()) as { data: { embedding: string }[] }).data[0]?.embedding ?? "";
    const decoded = Array.from(new Float32Array(Uint8Array.from(Buffer.from(b64, "base64")).buffer));
    expect(decoded.map((x) => x.toFixed(5))).toEqual(mockEmbedding("refund policy").map((x) => x.toFixed(5)));

    expect((await post(server, "/v1/embeddings", { model: "m", input: [1, 2] })).status).toBe(400);
    expect((await post(server, "/v1/embeddings", { model: "m", input: "x" }, "")).status).toBe(401);
    expect(server.stats().requests).toBe(4);
  });

  it("refuses embeddings with an invalid or exhausted key as it refuses chat", async () => {
    server = await startMockServer({
      host: "127.0.0.1",
      port: 0,
      invalidKeys: ["sk-bad"],
      quotaKeys: ["sk-broke"],
    });
    const request = { model: "m", input: "x" };
    expect((await post(server, "/v1/embeddings", request, "sk-bad")).status).toBe(401);
    const quota = await post(server, "/v1/embeddings", request, "sk-broke");
    const chat = await post(
      server,
      "/v1/chat/completions",
      { model: "m", messages: [{ role: "user", content: "x" }] },
      "sk-broke",
    );
    expect(quota.status).toBe(chat.status);
    expect(await quota.json()).toEqual(await chat.json());
  });

  it("a model named grader… answers promptfoo's rubric prompt with a verdict; other models echo", async () => {
    server = await startMockServer({ host: "127.0.0.1", port: 0 });
    const content = '<Output>\nwe refund\n</Output>\n<Rubric>\nmentions "refund"\n</Rubric>';
    const judged = await post(server, "/v1/chat/completions", {
      model: "grader",
      messages: [{ role: "user", content }],
    });
    const verdict = ((await judged.json()) as { choices: { message: { content: string } }[] }).choices[0]
      ?.message.content;
    expect(JSON.parse(verdict ?? "")).toEqual({
      reason: "The output meets the rubric.",
      pass: true,
      score: 1,
    });
    const echoed = await post(server, "/v1/chat/completions", {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content }],
    });
    expect(
      ((await echoed.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toBe(content);
  });
});
