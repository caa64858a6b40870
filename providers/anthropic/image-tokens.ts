/**
 * Image input tokens as Anthropic's vision guide counts them (docs.anthropic.com, "Vision":
 * "Evaluate image size"): `tokens = (width × height) / 750`, after an image whose long edge is over
 * 1568 px, or that would be over ~1,600 tokens, is scaled down (aspect ratio kept) until it is not.
 * An image of unknown size (a URL) counts as the most an image can: 1,600.
 */
export function anthropicImageTokens(size: { width: number; height: number } | undefined): number {
  if (!size) return MAX_TOKENS;
  const { width, height } = size;
  const scale = Math.min(1, 1568 / Math.max(width, height), Math.sqrt((MAX_TOKENS * 750) / (width * height)));
  return Math.min(MAX_TOKENS, Math.ceil((width * scale * height * scale) / 750));
}

const MAX_TOKENS = 1600;
