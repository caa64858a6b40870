import { anthropicImageTokens } from "./anthropic/image-tokens.js";
import { openaiImageTokens } from "./openai/image-tokens.js";

/**
 * What each provider takes as an image: OpenAI PNG, JPEG, WebP and non-animated GIF up to 20 MB an
 * image (its vision guide, "Image input requirements"); Anthropic the same four types, 5 MB an image
 * through the API and at most 8000 px a side ("Vision": "Image size limits"). Other providers (the
 * mock, OpenAI-compatible servers on OpenAI's shape) are held to OpenAI's.
 */
export interface ImageLimits {
  maxBytes: number;
  maxSide: number | undefined;
}

const MB = 1024 * 1024;

export function imageLimits(provider: string): ImageLimits {
  return provider === "anthropic"
    ? { maxBytes: 5 * MB, maxSide: 8000 }
    : { maxBytes: 20 * MB, maxSide: undefined };
}

/** The input tokens an image costs with `provider:model`; `size` undefined when it is not known (a URL). */
export function imageTokens(
  provider: string,
  model: string,
  size: { width: number; height: number } | undefined,
  detail?: string,
): number {
  return provider === "anthropic" ? anthropicImageTokens(size) : openaiImageTokens(model, size, detail);
}
