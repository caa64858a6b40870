import { createHash } from "node:crypto";
import type { ItemResult } from "../core/types.js";

const ERROR_TYPES: Record<string, string> = {
  bad_request: "invalid_request_error",
  content_filter: "invalid_request_error",
  auth: "authentication_error",
  rate_limited: "rate_limit_error",
  quota_exhausted: "insufficient_quota",
  server: "server_error",
  overloaded: "server_error",
};

/**
 * A result shaped like a line of OpenAI Batch API output, so tools built for the Batch API read
 * metasync's results: `{id, custom_id, response: {status_code, request_id, body}, error}`.
 */
export function openaiBatchLine(result: ItemResult): string {
  const id = `batch_req_${createHash("sha256").update(result.id).digest("hex").slice(0, 24)}`;
  const model = result.model.slice(result.model.indexOf(":") + 1);
  if (result.status === "ok") {
    const usage = result.usage ?? { input_tokens: 0, output_tokens: 0 };
    return `${JSON.stringify({
      id,
      custom_id: result.id,
      response: {
        status_code: 200,
        request_id: result.request_id ?? null,
        body: {
          id: `chatcmpl-${id.slice(10)}`,
          object: "chat.completion",
          model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: result.output },
              logprobs: null,
              finish_reason: result.finish_reason ?? "stop",
            },
          ],
          usage: {
            prompt_tokens: usage.input_tokens,
            completion_tokens: usage.output_tokens,
            total_tokens: usage.input_tokens + usage.output_tokens,
            ...(usage.cached_tokens ? { prompt_tokens_details: { cached_tokens: usage.cached_tokens } } : {}),
          },
        },
      },
      error: null,
    })}\n`;
  }
  const error = result.error ?? { type: "server", message: "unknown error" };
  const response =
    error.status === undefined
      ? null
      : {
          status_code: error.status,
          request_id: result.request_id ?? null,
          body: {
            error: {
              message: error.message,
              type: ERROR_TYPES[error.type] ?? error.type,
              param: null,
              code: null,
            },
          },
        };
  return `${JSON.stringify({
    id,
    custom_id: result.id,
    response,
    error: response ? null : { code: error.type, message: error.message },
  })}\n`;
}
