import { describe, expect, it } from "vitest";
import { readResult } from "../../providers/anthropic/batch.js";
import { readOutputLine } from "../../providers/openai/batch.js";
import { customIdOf, readCustomId } from "../../src/run/batch-chunks.js";

describe("OpenAI Batch API output and error lines", () => {
  it("an answer, with its usage and request id", () => {
    const line = JSON.stringify({
      id: "batch_req_1",
      custom_id: "0123456789ab-7",
      response: {
        status_code: 200,
        request_id: "req_1",
        body: {
          id: "chatcmpl-1",
          object: "chat.completion",
          created: 1,
          model: "gpt-4o-mini",
          choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
        },
      },
      error: null,
    });
    const result = readOutputLine(line);
    expect(result).toMatchObject({
      customId: "0123456789ab-7",
      kind: "answer",
      completion: {
        text: "hi",
        finishReason: "stop",
        requestId: "req_1",
        usage: { input_tokens: 3, output_tokens: 1 },
      },
    });
  });

  it("a request's error status is classified as a live call's would be", () => {
    const line = (status: number, code: string | null = null) =>
      JSON.stringify({
        custom_id: "x",
        response: { status_code: status, request_id: "r", body: { error: { message: "no", code } } },
        error: null,
      });
    expect(readOutputLine(line(500))).toMatchObject({
      kind: "error",
      error: { type: "server", status: 500 },
    });
    expect(readOutputLine(line(429))).toMatchObject({ kind: "error", error: { type: "rate_limited" } });
    expect(readOutputLine(line(400))).toMatchObject({ kind: "error", error: { type: "bad_request" } });
    expect(readOutputLine(line(429, "insufficient_quota"))).toMatchObject({
      error: { type: "quota_exhausted" },
    });
  });

  it("batch_expired and batch_cancelled: requests that never ran", () => {
    const line = (code: string) =>
      JSON.stringify({ custom_id: "x", response: null, error: { code, message: "m" } });
    expect(readOutputLine(line("batch_expired"))).toEqual({
      customId: "x",
      kind: "unfinished",
      reason: "expired",
    });
    expect(readOutputLine(line("batch_cancelled"))).toEqual({
      customId: "x",
      kind: "unfinished",
      reason: "cancelled",
    });
  });
});

describe("Anthropic Message Batches result lines", () => {
  it("succeeded, errored (classified), canceled and expired", () => {
    const message = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-haiku-4-5",
      content: [{ type: "text", text: "hello" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    };
    expect(readResult({ custom_id: "a", result: { type: "succeeded", message } } as never)).toMatchObject({
      kind: "answer",
      completion: { text: "hello", finishReason: "stop", usage: { input_tokens: 5, output_tokens: 1 } },
    });
    const errored = {
      custom_id: "b",
      result: {
        type: "errored",
        error: { type: "error", error: { type: "overloaded_error", message: "busy" } },
      },
    };
    expect(readResult(errored as never)).toMatchObject({ kind: "error", error: { type: "overloaded" } });
    expect(readResult({ custom_id: "c", result: { type: "canceled" } } as never)).toMatchObject({
      kind: "unfinished",
      reason: "cancelled",
    });
    expect(readResult({ custom_id: "d", result: { type: "expired" } } as never)).toMatchObject({
      kind: "unfinished",
      reason: "expired",
    });
  });
});

describe("custom_ids", () => {
  it("carry the chunk's nonce and the item's index, within Anthropic's pattern", () => {
    const id = customIdOf("0123456789ab", 41999);
    expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(readCustomId(id)).toEqual({ nonce: "0123456789ab", index: 41999 });
    expect(readCustomId("request-1")).toBeUndefined();
  });
});
