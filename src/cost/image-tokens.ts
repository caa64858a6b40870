import { dataUrlImage } from "../../providers/image-header.js";
import { imageTokens } from "../../providers/image-limits.js";
import type { ChatMessage, ModelRef } from "../core/types.js";

/**
 * The input tokens a request's images cost with its model, by each provider's formula
 * (`providers/image-limits.ts`): a data URL's dimensions are read from its header; an http(s) URL,
 * whose size is not known before it is sent, counts as the largest an image can cost.
 */
export function promptImageTokens(messages: readonly ChatMessage[], model: ModelRef): number {
  let total = 0;
  for (const message of messages) {
    if (typeof message.content === "string") continue;
    for (const part of message.content) {
      if (part.type !== "image_url") continue;
      const image = part.image_url as { url?: unknown; detail?: unknown } | undefined;
      const url = typeof image?.url === "string" ? image.url : "";
      const detail = typeof image?.detail === "string" ? image.detail : undefined;
      total += imageTokens(model.provider, model.model, dataUrlImage(url), detail);
    }
  }
  return total;
}
