import { roughTokens } from "../../providers/mock/index.js";
import { mockEmbedding } from "../../providers/mock/mock-embedding.js";
import { isRecord } from "./dialect.js";

/** `POST …/embeddings` under any prefix (OpenAI's embeddings API). */
export function isEmbeddingsPath(path: string): boolean {
  return path.endsWith("/embeddings");
}

/** A parsed embeddings request: the model and its inputs, one vector each. */
export interface EmbeddingsRequest {
  model: string;
  inputs: string[];
  /** `base64`: each vector as little-endian float32 bytes in base64 (what the OpenAI SDK asks for). */
  base64: boolean;
  inputTokens: number;
}

/** The request body read, or a problem (a 400). Token-id inputs are refused: the mock embeds text. */
export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest | string {
  if (!isRecord(body)) return "the request body must be a JSON object";
  if (typeof body.model !== "string" || body.model === "") return "'model' is required";
  const input = body.input;
  const inputs = typeof input === "string" ? [input] : Array.isArray(input) ? input : undefined;
  if (!inputs || inputs.length === 0 || !inputs.every((x): x is string => typeof x === "string")) {
    return "'input' must be a string or a non-empty list of strings";
  }
  const format = body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") return "'encoding_format' must be float or base64";
  return {
    model: body.model,
    inputs,
    base64: format === "base64",
    inputTokens: inputs.reduce((sum, text) => sum + roughTokens(text), 0),
  };
}

/**
 * OpenAI's `CreateEmbeddingResponse` with the mock's deterministic vectors (`mockEmbedding`: texts
 * sharing words are close), so `similar` assertions are tested through the real SDK.
 */
export function embeddingsBody(request: EmbeddingsRequest): unknown {
  return {
    object: "list",
    data: request.inputs.map((text, index) => {
      const vector = mockEmbedding(text);
      return {
        object: "embedding",
        index,
        embedding: request.base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector,
      };
    }),
    model: request.model,
    usage: { prompt_tokens: request.inputTokens, total_tokens: request.inputTokens },
  };
}
