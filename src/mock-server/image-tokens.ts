import { dataUrlImage, imageInfo } from "../../providers/image-header.js";
import { imageTokens } from "../../providers/image-limits.js";
import { isRecord } from "./dialect.js";

/**
 * The input tokens of a request's images, as the provider it imitates counts them (the formulas of
 * `providers/image-limits.ts`, the ones metasync charges budgets with): OpenAI `image_url` parts,
 * Anthropic `image` blocks; an image given by URL counts as the most an image can.
 */
export function requestImageTokens(
  dialect: "openai" | "anthropic",
  model: string,
  messages: unknown[],
): number {
  let total = 0;
  for (const message of messages) {
    const content = isRecord(message) ? message.content : undefined;
    if (!Array.isArray(content)) continue;
    for (const part of content.filter(isRecord)) {
      if (dialect === "openai" && part.type === "image_url" && isRecord(part.image_url)) {
        const url = typeof part.image_url.url === "string" ? part.image_url.url : "";
        const detail = typeof part.image_url.detail === "string" ? part.image_url.detail : undefined;
        total += imageTokens("openai", model, dataUrlImage(url), detail);
      }
      if (dialect === "anthropic" && part.type === "image" && isRecord(part.source)) {
        const data =
          part.source.type === "base64" && typeof part.source.data === "string" ? part.source.data : "";
        total += imageTokens(
          "anthropic",
          model,
          data === "" ? undefined : imageInfo(Buffer.from(data, "base64")),
        );
      }
    }
  }
  return total;
}
